#include "acpi_test_tables.h"

#include <cstring>
#include <string_view>

namespace xlnv::testbed {
namespace {

constexpr std::size_t kHeaderSize = 36;
constexpr std::size_t kLengthOffset = 4;
constexpr std::size_t kChecksumOffset = 9;
constexpr std::uint16_t kSpaIndex = 2;     // as QEMU numbers slot 0
constexpr std::uint16_t kControlIndex = 3;
constexpr std::uint32_t kDeviceHandle = 1;

void put(Bytes &out, std::uint64_t value, int size)
{
    for (int i = 0; i < size; ++i)
        out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

void putText(Bytes &out, std::string_view text, std::size_t size)
{
    for (std::size_t i = 0; i < size; ++i)
        out.push_back(i < text.size() ? static_cast<std::uint8_t>(text[i]) : ' ');
}

Bytes header(std::string_view signature, std::uint8_t revision,
             std::string_view table_id)
{
    Bytes out;
    putText(out, signature, 4);
    put(out, 0, 4);                 // length, fixed by finish()
    out.push_back(revision);
    out.push_back(0);               // checksum, fixed by finish()
    putText(out, "XLNVTB", 6);      // OEM ID
    putText(out, table_id, 8);      // OEM table ID
    put(out, 1, 4);                 // OEM revision
    putText(out, "XLNV", 4);        // creator ID
    put(out, 1, 4);                 // creator revision
    return out;
}

void finish(Bytes &table)
{
    const auto length = static_cast<std::uint32_t>(table.size());
    for (int i = 0; i < 4; ++i)
        table[kLengthOffset + i] = static_cast<std::uint8_t>(length >> (8 * i));
    table[kChecksumOffset] = 0;
    table[kChecksumOffset] = static_cast<std::uint8_t>(0x100 - byteSum(table));
}

// AML PkgLength: counts itself; one byte up to 63, else two (up to 4095).
Bytes pkgLength(std::size_t content)
{
    if (content + 1 <= 63)
        return {static_cast<std::uint8_t>(content + 1)};
    const std::size_t total = content + 2;
    return {static_cast<std::uint8_t>(0x40 | (total & 0x0f)),
            static_cast<std::uint8_t>(total >> 4)};
}

Bytes amlDevice(const Bytes &name, const Bytes &body)
{
    Bytes content = name;
    content.insert(content.end(), body.begin(), body.end());
    Bytes out = {0x5b, 0x82};       // ExtOpPrefix DeviceOp
    const Bytes len = pkgLength(content.size());
    out.insert(out.end(), len.begin(), len.end());
    out.insert(out.end(), content.begin(), content.end());
    return out;
}

Bytes amlNameSeg(std::string_view seg)
{
    Bytes out;
    putText(out, seg, 4);
    return out;
}

}  // namespace

std::uint8_t byteSum(const Bytes &table)
{
    unsigned sum = 0;
    for (auto b : table)
        sum += b;
    return static_cast<std::uint8_t>(sum);
}

Bytes makeTestNfit(std::uint64_t spa, std::uint64_t size)
{
    Bytes t = header("NFIT", 1, "XLNVNFIT");
    put(t, 0, 4);                                   // reserved
    // SPA range structure (type 0, 56 bytes).
    put(t, 0, 2); put(t, 56, 2);
    put(t, kSpaIndex, 2);
    put(t, 0, 2);                                   // flags
    put(t, 0, 4);                                   // reserved
    put(t, 0, 4);                                   // proximity domain
    static const std::uint8_t pmem_guid[16] = {
        0x79, 0xd3, 0xf0, 0x66, 0xf3, 0xb4, 0x74, 0x40,
        0xac, 0x43, 0x0d, 0x33, 0x18, 0xb7, 0x8c, 0xdb};
    t.insert(t.end(), pmem_guid, pmem_guid + 16);
    put(t, spa, 8);
    put(t, size, 8);
    put(t, 0x8008, 8);                              // EFI_MEMORY_WB | NV
    // Memory device to SPA range map (type 1, 48 bytes).
    put(t, 1, 2); put(t, 48, 2);
    put(t, kDeviceHandle, 4);
    put(t, 0, 2);                                   // physical id
    put(t, 0, 2);                                   // region id
    put(t, kSpaIndex, 2);
    put(t, kControlIndex, 2);
    put(t, size, 8);                                // region size
    put(t, 0, 8);                                   // region offset
    put(t, 0, 8);                                   // DPA base
    put(t, 0, 2);                                   // interleave index
    put(t, 1, 2);                                   // interleave ways
    put(t, 0, 2);                                   // flags
    put(t, 0, 2);                                   // reserved
    // NVDIMM control region (type 4, 80 bytes).
    put(t, 4, 2); put(t, 80, 2);
    put(t, kControlIndex, 2);
    put(t, 0x8086, 2);                              // vendor
    put(t, 0x0001, 2);                              // device
    put(t, 0x0001, 2);                              // revision
    put(t, 0, 2); put(t, 0, 2); put(t, 0, 2);       // subsystem vendor/device/rev
    t.push_back(0);                                 // valid fields
    t.push_back(0);                                 // manufacturing location
    put(t, 0, 2);                                   // manufacturing date
    put(t, 0, 2);                                   // reserved
    put(t, 0x123456, 4);                            // serial number
    put(t, 0x0301, 2);                              // format interface code
    put(t, 0, 2);                                   // block control windows
    for (int i = 0; i < 5; ++i)
        put(t, 0, 8);                               // block window fields
    put(t, 0, 2);                                   // flags
    put(t, 0, 6);                                   // reserved
    finish(t);
    return t;
}

Bytes makeTestSsdt()
{
    Bytes t = header("SSDT", 2, "XLNVSSDT");
    // Name(_HID, "ACPI0012")
    Bytes hid = {0x08};
    Bytes seg = amlNameSeg("_HID");
    hid.insert(hid.end(), seg.begin(), seg.end());
    hid.push_back(0x0d);                            // StringPrefix
    putText(hid, "ACPI0012", 8);
    hid.push_back(0x00);
    // Device(NV00) { Name(_ADR, One) }
    Bytes adr = {0x08};
    seg = amlNameSeg("_ADR");
    adr.insert(adr.end(), seg.begin(), seg.end());
    adr.push_back(0x01);                            // OneOp
    const Bytes child = amlDevice(amlNameSeg("NV00"), adr);
    // Device(\_SB.NVDR): RootChar, DualNamePrefix, two segments.
    Bytes path = {0x5c, 0x2e};
    putText(path, "_SB_", 4);
    putText(path, "NVDR", 4);
    Bytes body = hid;
    body.insert(body.end(), child.begin(), child.end());
    const Bytes dev = amlDevice(path, body);
    t.insert(t.end(), dev.begin(), dev.end());
    finish(t);
    return t;
}

}  // namespace xlnv::testbed
