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
constexpr uint8_t Local0Op = 0x60;
constexpr uint8_t Arg0Op = 0x68;
constexpr uint8_t StoreOp = 0x70;
constexpr uint8_t IncrementOp = 0x75;
constexpr uint8_t AndOp = 0x7B;
constexpr uint8_t NotifyOp = 0x86;
constexpr uint8_t SizeOfOp = 0x87;
constexpr uint8_t LAndOp = 0x90;
constexpr uint8_t LOrOp = 0x91;
constexpr uint8_t LNotOp = 0x92;
constexpr uint8_t LEqualOp = 0x93;
constexpr uint8_t LGreaterOp = 0x94;
constexpr uint8_t LLessOp = 0x95;
constexpr uint8_t CopyObjectOp = 0x9D;
constexpr uint8_t MidOp = 0x9E;
constexpr uint8_t IfOp = 0xA0;
constexpr uint8_t WhileOp = 0xA2;
constexpr uint8_t OpRegionOp = 0x80;   // after ExtOpPrefix
constexpr uint8_t FieldOp = 0x81;      // after ExtOpPrefix
constexpr uint8_t NullName = 0x00;     // Target: none
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

Bytes amlLocal(unsigned n)
{
    if (n > 7)
        raise(ErrorCode::Internal, _("AML has Local0 to Local7 only"));
    return Bytes{static_cast<uint8_t>(Local0Op + n)};
}

Bytes amlArg(unsigned n)
{
    if (n > 6)
        raise(ErrorCode::Internal, _("AML has Arg0 to Arg6 only"));
    return Bytes{static_cast<uint8_t>(Arg0Op + n)};
}

Bytes amlOperationRegion(std::string_view name, uint8_t space, uint64_t offset, uint64_t length)
{
    Bytes out{ExtOpPrefix, OpRegionOp};
    amlAppend(out, amlNameString(name));
    out.push_back(space);
    amlAppend(out, amlInteger(offset));
    amlAppend(out, amlInteger(length));
    return out;
}

Bytes amlField(std::string_view region, uint8_t flags, std::initializer_list<AmlFieldUnit> units)
{
    Bytes body = amlNameString(region);
    body.push_back(flags);
    for (const auto &u : units) {
        // NamedField: NameSeg, then the width in bits as a PkgLength
        // value (it does not count its own bytes here).
        appendNameSeg(body, u.name, u.name);
        Bytes len = amlPkgLength(u.bits);
        // amlPkgLength adds its own size; undo that for a bit count.
        const size_t self = len.size();
        len = amlPkgLength(u.bits - self);
        if (len.size() != self)
            raise(ErrorCode::Internal, _("AML field '%s' is too wide"), std::string(u.name).c_str());
        amlAppend(body, len);
    }
    return packaged({ExtOpPrefix, FieldOp}, body);
}

Bytes amlWhile(const Bytes &predicate, const Bytes &body)
{
    return packaged({WhileOp}, amlConcat({predicate, body}));
}

Bytes amlIf(const Bytes &predicate, const Bytes &body)
{
    return packaged({IfOp}, amlConcat({predicate, body}));
}

Bytes amlStore(const Bytes &source, const Bytes &target)
{
    return amlConcat({Bytes{StoreOp}, source, target});
}

Bytes amlCopyObject(const Bytes &source, const Bytes &target)
{
    return amlConcat({Bytes{CopyObjectOp}, source, target});
}

Bytes amlIncrement(const Bytes &target) { return amlConcat({Bytes{IncrementOp}, target}); }

Bytes amlAnd(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{AndOp}, a, b, Bytes{NullName}}); }
Bytes amlLAnd(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{LAndOp}, a, b}); }
Bytes amlLOr(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{LOrOp}, a, b}); }
Bytes amlLNot(const Bytes &a) { return amlConcat({Bytes{LNotOp}, a}); }
Bytes amlLEqual(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{LEqualOp}, a, b}); }
Bytes amlLLess(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{LLessOp}, a, b}); }
Bytes amlLGreater(const Bytes &a, const Bytes &b) { return amlConcat({Bytes{LGreaterOp}, a, b}); }
Bytes amlSizeOf(const Bytes &object) { return amlConcat({Bytes{SizeOfOp}, object}); }

Bytes amlMid(const Bytes &source, const Bytes &index, const Bytes &length)
{
    return amlConcat({Bytes{MidOp}, source, index, length, Bytes{NullName}});
}

Bytes amlNotify(const Bytes &object, const Bytes &value)
{
    return amlConcat({Bytes{NotifyOp}, object, value});
}

Bytes amlInterruptResource(uint32_t gsi)
{
    Bytes res{0x89, 0x06, 0x00};   // Extended Interrupt, length 6
    // Flags: bit 0 consumer, bit 1 edge; active high, exclusive, no wake.
    res.push_back(0x03);
    res.push_back(0x01);           // one interrupt number
    appendLE(res, gsi, 4);
    res.push_back(0x79);           // End Tag, checksum 0 = "not computed"
    res.push_back(0x00);
    return amlBuffer(res);
}

} // namespace xlnv::acpi
