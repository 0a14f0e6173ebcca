#include "acpi/nfit.h"

#include "acpi/table.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::acpi {

namespace {

// NFIT structure types (5.2.25.1).
constexpr uint16_t kTypeSpa = 0;
constexpr uint16_t kTypeMemdev = 1;
constexpr uint16_t kTypeControl = 4;

// Byte-addressable persistent memory range GUID
// 66F0D379-B4F3-4074-AC43-0D3318B78CDB, in its mixed-endian byte order.
constexpr uint8_t kPersistentMemoryGuid[16] = {
    0x79, 0xD3, 0xF0, 0x66, 0xF3, 0xB4, 0x74, 0x40,
    0xAC, 0x43, 0x0D, 0x33, 0x18, 0xB7, 0x8C, 0xDB,
};

constexpr uint16_t kSpaFlagProximityValid = 1u << 1;
constexpr uint64_t kMemoryAttrWB = 0x8;        // EFI_MEMORY_WB
constexpr uint64_t kMemoryAttrNV = 0x8000;     // EFI_MEMORY_NV
constexpr uint16_t kMemdevFlagNotArmed = 1u << 3;

constexpr uint16_t kVendorIntel = 0x8086;
constexpr uint16_t kDeviceId = 0x0001;
constexpr uint16_t kRevisionId = 0x0001;
constexpr uint16_t kFormatByteAddressable = 0x0301;
constexpr uint32_t kSerialBase = 0x123456;

// 5.2.25.2 System Physical Address (SPA) Range Structure.
void putSpaRange(Bytes &out, const NfitDevice &dev)
{
    putU16(out, kTypeSpa);
    putU16(out, kNfitSpaSize);
    putU16(out, nfitSpaIndex(dev.slot));
    putU16(out, dev.proximity_domain ? kSpaFlagProximityValid : 0);
    putU32(out, 0);                                  // reserved
    putU32(out, dev.proximity_domain.value_or(0));
    out.insert(out.end(), std::begin(kPersistentMemoryGuid), std::end(kPersistentMemoryGuid));
    putU64(out, dev.spa);
    putU64(out, dev.size);
    putU64(out, kMemoryAttrWB | kMemoryAttrNV);
}

// 5.2.25.3 NVDIMM Region Mapping Structure (memory device to SPA map).
void putMemdev(Bytes &out, const NfitDevice &dev)
{
    putU16(out, kTypeMemdev);
    putU16(out, kNfitMemdevSize);
    putU32(out, nfitDeviceHandle(dev.slot));
    putU16(out, static_cast<uint16_t>(nfitDeviceHandle(dev.slot)));  // physical id
    putU16(out, 0);                                  // NVDIMM region id
    putU16(out, nfitSpaIndex(dev.slot));
    putU16(out, nfitControlIndex(dev.slot));
    putU64(out, dev.size);                           // region size
    putU64(out, 0);                                  // region offset
    putU64(out, 0);                                  // DPA base
    putU16(out, 0);                                  // interleave structure index
    putU16(out, 1);                                  // interleave ways
    putU16(out, dev.readonly ? kMemdevFlagNotArmed : 0);
    putU16(out, 0);                                  // reserved
}

// 5.2.25.5 NVDIMM Control Region Structure (no block windows).
void putControlRegion(Bytes &out, const NfitDevice &dev)
{
    putU16(out, kTypeControl);
    putU16(out, kNfitControlSize);
    putU16(out, nfitControlIndex(dev.slot));
    putU16(out, kVendorIntel);
    putU16(out, kDeviceId);
    putU16(out, kRevisionId);
    putU16(out, 0);                                  // subsystem vendor
    putU16(out, 0);                                  // subsystem device
    putU16(out, 0);                                  // subsystem revision
    putU8(out, 0);                                   // valid fields
    putU8(out, 0);                                   // manufacturing location
    putU16(out, 0);                                  // manufacturing date
    putZeros(out, 2);                                // reserved
    putU32(out, kSerialBase + dev.slot);
    putU16(out, kFormatByteAddressable);
    putU16(out, 0);                                  // number of block windows
    putZeros(out, 5 * 8);                            // block window fields
    putU16(out, 0);                                  // flags
    putZeros(out, 6);                                // reserved
}

} // namespace

uint32_t nfitDeviceHandle(unsigned slot) { return slot + 1; }
uint16_t nfitSpaIndex(unsigned slot) { return static_cast<uint16_t>((slot + 1) * 2); }
uint16_t nfitControlIndex(unsigned slot) { return static_cast<uint16_t>(nfitSpaIndex(slot) + 1); }

Bytes buildNfit(const std::vector<NfitDevice> &devices)
{
    Bytes body;
    putU32(body, 0);   // reserved, after the standard header
    for (const auto &dev : devices) {
        // Indexes are 16 bit and must stay non-zero and distinct.
        if (dev.slot >= 0x7FFE)
            raise(ErrorCode::ConfigUnsupported, _("NVDIMM slot %u is too large for the NFIT"), dev.slot);
        putSpaRange(body, dev);
        putMemdev(body, dev);
        putControlRegion(body, dev);
    }
    return buildTable("NFIT", 1, body);
}

} // namespace xlnv::acpi
