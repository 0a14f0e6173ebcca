// The ACPI System Description Table header (ACPI 6.4, 5.2.6) and the
// checksum that makes every byte of a table sum to zero.
#pragma once

#include <string_view>

#include "acpi/aml.h"

namespace xlnv::acpi {

// Who made the table (OEM ID 6 chars, OEM table ID 8, creator ID 4).
struct TableIds {
    std::string_view oem_id = "XLNVDM";
    std::string_view oem_table_id = "XENNVDIM";
    uint32_t oem_revision = 1;
    std::string_view creator_id = "XLNV";
    uint32_t creator_revision = 1;
};

constexpr size_t kTableHeaderSize = 36;

// Header + body with the length and checksum filled in.
Bytes buildTable(std::string_view signature, uint8_t revision, const Bytes &body,
                 const TableIds &ids = {});

// Sum of all bytes modulo 256 (0 for a well-formed table).
uint8_t tableByteSum(const Bytes &table);

// Little-endian field appenders used by table builders.
void putU8(Bytes &out, uint8_t v);
void putU16(Bytes &out, uint16_t v);
void putU32(Bytes &out, uint32_t v);
void putU64(Bytes &out, uint64_t v);
void putZeros(Bytes &out, size_t count);

} // namespace xlnv::acpi
