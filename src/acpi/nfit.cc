#include "acpi/nfit.h"

#include <map>
#include <string>

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

Bytes buildFit(const std::vector<NfitDevice> &devices)
{
    Bytes body;
    for (const auto &dev : devices) {
        // Indexes are 16 bit and must stay non-zero and distinct.
        if (dev.slot >= 0x7FFE)
            raise(ErrorCode::ConfigUnsupported, _("NVDIMM slot %u is too large for the NFIT"), dev.slot);
        putSpaRange(body, dev);
        putMemdev(body, dev);
        putControlRegion(body, dev);
    }
    return body;
}

Bytes buildNfit(const std::vector<NfitDevice> &devices)
{
    Bytes body;
    putU32(body, 0);   // reserved, after the standard header
    amlAppend(body, buildFit(devices));
    return buildTable("NFIT", 1, body);
}

std::optional<Bytes> nfitStructures(const Bytes &nfit)
{
    if (nfit.size() < kNfitHeaderSize || std::string(nfit.begin(), nfit.begin() + 4) != "NFIT")
        return std::nullopt;
    return Bytes(nfit.begin() + kNfitHeaderSize, nfit.end());
}

namespace {
uint64_t getLE(const Bytes &b, size_t at, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
    return v;
}
} // namespace

std::vector<NfitDevice> parseFit(const Bytes &fit)
{
    std::vector<NfitDevice> devices;
    std::map<uint16_t, size_t> bySpa;   // SPA index -> device
    size_t pos = 0;
    while (pos < fit.size()) {
        if (fit.size() - pos < 4)
            raise(ErrorCode::InvalidArg, _("NFIT structure cut short at offset %zu"), pos);
        const uint16_t type = static_cast<uint16_t>(getLE(fit, pos, 2));
        const uint16_t len = static_cast<uint16_t>(getLE(fit, pos + 2, 2));
        if (len < 4 || len > fit.size() - pos)
            raise(ErrorCode::InvalidArg, _("NFIT structure at offset %zu has a bad length %u"), pos,
                  (unsigned)len);
        if (type == kTypeSpa && len >= kNfitSpaSize) {
            NfitDevice d;
            d.spa = getLE(fit, pos + 32, 8);
            d.size = getLE(fit, pos + 40, 8);
            bySpa[static_cast<uint16_t>(getLE(fit, pos + 4, 2))] = devices.size();
            devices.push_back(d);
        } else if (type == kTypeMemdev && len >= kNfitMemdevSize) {
            const uint32_t handle = static_cast<uint32_t>(getLE(fit, pos + 4, 4));
            auto it = bySpa.find(static_cast<uint16_t>(getLE(fit, pos + 12, 2)));
            if (it != bySpa.end() && handle > 0) {
                devices[it->second].slot = handle - 1;
                devices[it->second].readonly = (getLE(fit, pos + 44, 2) & kMemdevFlagNotArmed) != 0;
            }
        }
        pos += len;
    }
    return devices;
}

} // namespace xlnv::acpi
