#include "acpi/table.h"

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::acpi {

namespace {

void putChars(Bytes &out, std::string_view text, size_t width)
{
    for (size_t i = 0; i < width; i++)
        out.push_back(i < text.size() ? static_cast<uint8_t>(text[i]) : ' ');
}

} // namespace

void putU8(Bytes &out, uint8_t v) { out.push_back(v); }
void putU16(Bytes &out, uint16_t v) { for (int i = 0; i < 2; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i))); }
void putU32(Bytes &out, uint32_t v) { for (int i = 0; i < 4; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i))); }
void putU64(Bytes &out, uint64_t v) { for (int i = 0; i < 8; i++) out.push_back(static_cast<uint8_t>(v >> (8 * i))); }
void putZeros(Bytes &out, size_t count) { out.insert(out.end(), count, 0); }

uint8_t tableByteSum(const Bytes &table)
{
    uint8_t sum = 0;
    for (uint8_t b : table)
        sum = static_cast<uint8_t>(sum + b);
    return sum;
}

Bytes buildTable(std::string_view signature, uint8_t revision, const Bytes &body,
                 const TableIds &ids)
{
    if (signature.size() != 4)
        raise(ErrorCode::Internal, _("ACPI table signature must be 4 characters"));
    const uint64_t length = kTableHeaderSize + body.size();
    if (length > UINT32_MAX)
        raise(ErrorCode::Internal, _("ACPI table too large"));

    Bytes out;
    out.reserve(length);
    putChars(out, signature, 4);                 // Signature
    putU32(out, static_cast<uint32_t>(length));  // Length
    putU8(out, revision);                        // Revision
    putU8(out, 0);                               // Checksum, fixed below
    putChars(out, ids.oem_id, 6);                // OEMID
    putChars(out, ids.oem_table_id, 8);          // OEM Table ID
    putU32(out, ids.oem_revision);               // OEM Revision
    putChars(out, ids.creator_id, 4);            // Creator ID
    putU32(out, ids.creator_revision);           // Creator Revision
    out.insert(out.end(), body.begin(), body.end());
    out[9] = static_cast<uint8_t>(0x100 - tableByteSum(out));
    return out;
}

} // namespace xlnv::acpi
