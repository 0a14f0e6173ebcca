#include "acpi/aml.h"

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::acpi {

namespace {

// Opcodes, ACPI 6.4 section 20.3 (AML Byte Stream Byte Values).
constexpr uint8_t ZeroOp = 0x00;
constexpr uint8_t OneOp = 0x01;
constexpr uint8_t NameOp = 0x08;
constexpr uint8_t BytePrefix = 0x0A;
constexpr uint8_t WordPrefix = 0x0B;
constexpr uint8_t DWordPrefix = 0x0C;
constexpr uint8_t StringPrefix = 0x0D;
constexpr uint8_t QWordPrefix = 0x0E;
constexpr uint8_t ScopeOp = 0x10;
constexpr uint8_t BufferOp = 0x11;
constexpr uint8_t PackageOp = 0x12;
constexpr uint8_t MethodOp = 0x14;
constexpr uint8_t DualNamePrefix = 0x2E;
constexpr uint8_t MultiNamePrefix = 0x2F;
constexpr uint8_t ExtOpPrefix = 0x5B;
constexpr uint8_t DeviceOp = 0x82;   // after ExtOpPrefix
constexpr uint8_t RootChar = 0x5C;   // '\'
constexpr uint8_t ParentPrefixChar = 0x5E; // '^'
constexpr uint8_t ReturnOp = 0xA4;
constexpr uint8_t OnesOp = 0xFF;

void appendLE(Bytes &out, uint64_t value, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

bool isLeadNameChar(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool isNameChar(char c) { return isLeadNameChar(c) || (c >= '0' && c <= '9'); }

// NameSeg: LeadNameChar NameChar{3}, padded with '_' (20.2.2).
void appendNameSeg(Bytes &out, std::string_view seg, std::string_view whole)
{
    if (seg.empty() || seg.size() > 4 || !isLeadNameChar(seg[0]))
        raise(ErrorCode::Internal, _("invalid ACPI name segment in '%s'"),
              std::string(whole).c_str());
    for (size_t i = 0; i < 4; i++) {
        char c = i < seg.size() ? seg[i] : '_';
        if (!isNameChar(c))
            raise(ErrorCode::Internal, _("invalid ACPI name segment in '%s'"),
                  std::string(whole).c_str());
        out.push_back(static_cast<uint8_t>(c));
    }
}

// A term with a PkgLength: opcode(s), PkgLength, then the body.
Bytes packaged(std::initializer_list<uint8_t> opcodes, const Bytes &body)
{
    Bytes out(opcodes);
    amlAppend(out, amlPkgLength(body.size()));
    amlAppend(out, body);
    return out;
}

} // namespace

void amlAppend(Bytes &to, const Bytes &term)
{
    to.insert(to.end(), term.begin(), term.end());
}

Bytes amlConcat(std::initializer_list<Bytes> terms)
{
    Bytes out;
    for (const auto &t : terms)
        amlAppend(out, t);
    return out;
}

Bytes amlPkgLength(size_t body_len)
{
    // 1 byte: bits 0-5 hold the length (<= 63). n bytes (n = 2..4): the
    // lead byte holds n-1 in bits 6-7 and the low nibble in bits 0-3;
    // following bytes carry the rest, 8 bits each.
    for (unsigned n = 1; n <= 4; n++) {
        const uint64_t total = body_len + n;
        if (n == 1) {
            if (total <= 0x3F)
                return Bytes{static_cast<uint8_t>(total)};
            continue;
        }
        if (total < (1ULL << (4 + 8 * (n - 1)))) {
            Bytes out;
            out.push_back(static_cast<uint8_t>(((n - 1) << 6) | (total & 0x0F)));
            for (unsigned i = 1; i < n; i++)
                out.push_back(static_cast<uint8_t>(total >> (4 + 8 * (i - 1))));
            return out;
        }
    }
    raise(ErrorCode::Internal, _("AML package too large (%zu bytes)"), body_len);
}

Bytes amlNameString(std::string_view name)
{
    Bytes out;
    std::string_view rest = name;
    if (!rest.empty() && rest[0] == '\\') {
        out.push_back(RootChar);
        rest.remove_prefix(1);
    } else {
        while (!rest.empty() && rest[0] == '^') {
            out.push_back(ParentPrefixChar);
            rest.remove_prefix(1);
        }
    }
    if (rest.empty()) {
        out.push_back(0x00);   // NullName
        return out;
    }
    std::vector<std::string> segs = split(rest, '.');
    if (segs.size() > 255)
        raise(ErrorCode::Internal, _("invalid ACPI name segment in '%s'"),
              std::string(name).c_str());
    if (segs.size() == 2)
        out.push_back(DualNamePrefix);
    else if (segs.size() > 2) {
        out.push_back(MultiNamePrefix);
        out.push_back(static_cast<uint8_t>(segs.size()));
    }
    for (const auto &seg : segs)
        appendNameSeg(out, seg, name);
    return out;
}

Bytes amlInteger(uint64_t value)
{
    if (value == 0)
        return Bytes{ZeroOp};
    if (value == 1)
        return Bytes{OneOp};
    if (value == UINT64_MAX)
        return Bytes{OnesOp};
    Bytes out;
    if (value <= 0xFF) {
        out.push_back(BytePrefix);
        appendLE(out, value, 1);
    } else if (value <= 0xFFFF) {
        out.push_back(WordPrefix);
        appendLE(out, value, 2);
    } else if (value <= 0xFFFFFFFF) {
        out.push_back(DWordPrefix);
        appendLE(out, value, 4);
    } else {
        out.push_back(QWordPrefix);
        appendLE(out, value, 8);
    }
    return out;
}

Bytes amlString(std::string_view text)
{
    Bytes out{StringPrefix};
    for (char c : text) {
        if (c == '\0' || static_cast<unsigned char>(c) > 0x7F)
            raise(ErrorCode::Internal, _("AML strings must be ASCII without NUL"));
        out.push_back(static_cast<uint8_t>(c));
    }
    out.push_back(0x00);
    return out;
}

Bytes amlName(std::string_view name, const Bytes &data)
{
    Bytes out{NameOp};
    amlAppend(out, amlNameString(name));
    amlAppend(out, data);
    return out;
}

Bytes amlDevice(std::string_view name, const Bytes &body)
{
    return packaged({ExtOpPrefix, DeviceOp}, amlConcat({amlNameString(name), body}));
}

Bytes amlScope(std::string_view name, const Bytes &body)
{
    return packaged({ScopeOp}, amlConcat({amlNameString(name), body}));
}

Bytes amlMethod(std::string_view name, unsigned argc, bool serialized, const Bytes &body)
{
    if (argc > 7)
        raise(ErrorCode::Internal, _("AML methods take at most 7 arguments"));
    // MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag, bits 4-7 SyncLevel (0).
    const uint8_t flags = static_cast<uint8_t>(argc | (serialized ? 0x08 : 0));
    return packaged({MethodOp}, amlConcat({amlNameString(name), Bytes{flags}, body}));
}

Bytes amlReturn(const Bytes &value)
{
    Bytes out{ReturnOp};
    amlAppend(out, value);
    return out;
}

Bytes amlBuffer(const Bytes &bytes)
{
    return packaged({BufferOp}, amlConcat({amlInteger(bytes.size()), bytes}));
}

Bytes amlPackage(const std::vector<Bytes> &elements)
{
    if (elements.size() > 255)
        raise(ErrorCode::Internal, _("AML packages hold at most 255 elements"));
    Bytes body{static_cast<uint8_t>(elements.size())};
    for (const auto &e : elements)
        amlAppend(body, e);
    return packaged({PackageOp}, body);
}

Bytes amlPackage(std::initializer_list<Bytes> elements)
{
    return amlPackage(std::vector<Bytes>(elements));
}

} // namespace xlnv::acpi
