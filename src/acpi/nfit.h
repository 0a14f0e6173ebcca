// NVDIMM Firmware Interface Table (ACPI 6.4, 5.2.25): per device one
// SPA range, one memory-device-to-SPA map and one control region.
#pragma once

#include <optional>
#include <vector>

#include "acpi/aml.h"

namespace xlnv::acpi {

// One guest NVDIMM as the NFIT describes it.
struct NfitDevice {
    unsigned slot = 0;                         // dimm slot
    uint64_t spa = 0;                          // guest physical base, bytes
    uint64_t size = 0;                         // bytes
    std::optional<uint32_t> proximity_domain;  // set when the guest has vNUMA
    bool readonly = false;                     // not-armed flag
};

// QEMU's numbering, so guests see the same handles they would under KVM.
uint32_t nfitDeviceHandle(unsigned slot);   // slot + 1
uint16_t nfitSpaIndex(unsigned slot);       // (slot + 1) * 2
uint16_t nfitControlIndex(unsigned slot);   // SPA index + 1

constexpr size_t kNfitSpaSize = 56;
constexpr size_t kNfitMemdevSize = 48;
constexpr size_t kNfitControlSize = 80;

constexpr size_t kNfitHeaderSize = 40;   // table header + 4 reserved bytes

// The NFIT structures alone, device by device in the given order: what
// _FIT returns (ACPI 6.4, 6.5.9: no table header).
Bytes buildFit(const std::vector<NfitDevice> &devices);

// The whole NFIT (header + reserved + structures), checksum fixed.
Bytes buildNfit(const std::vector<NfitDevice> &devices);

// The FIT (structures) inside an NFIT, or nullopt when it is no NFIT.
std::optional<Bytes> nfitStructures(const Bytes &nfit);

// The devices a FIT describes (slot from the device handle, base, size,
// readonly), in SPA order. Throws InvalidArg on a malformed structure.
std::vector<NfitDevice> parseFit(const Bytes &fit);

} // namespace xlnv::acpi
