// SSDT with the NVDIMM root device the Linux nfit driver binds to:
//   Device(\_SB.NVDR) { Name(_HID, "ACPI0012")  Device(NVxx) { Name(_ADR, handle) } ... }
// and, for a guest that may get NVDIMMs while it runs (fit_page.h):
//   - in NVDR: the FIT page as OperationRegion FITR with fields FGEN,
//     FLEN, FDAT; FITB, the last good FIT (starts as the boot FIT);
//     Method _FIT reading the page with the generation protocol;
//     an NVxx child for every slot, so a hot-added DIMM has its node;
//   - Device(\_SB.NVGE), an ACPI Generic Event Device (ACPI0013) whose
//     _CRS is one edge-triggered, active-high, exclusive ISA interrupt and
//     whose _EVT does Notify(\_SB.NVDR, 0x80): the guest re-reads _FIT.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "acpi/aml.h"
#include "acpi/fit_page.h"

namespace xlnv::acpi {

// Child device name for a slot: "NV" + two hex digits.
std::string ssdtChildName(unsigned slot);

struct NvdimmHotplug {
    uint64_t fit_page = 0;            // guest physical address of the FIT page
    unsigned irq = kDefaultHotplugIrq;
    unsigned slots = 0;               // NVxx children for slots [0, slots), at most 256
    Bytes boot_fit;                   // what _FIT returns until the page is good
};

// The AML body (definition block contents) and the whole table. `slots`
// name the children without hotplug (with it, every slot gets one).
Bytes nvdimmRootAml(const std::vector<unsigned> &slots, const std::optional<NvdimmHotplug> &hotplug = {});
Bytes buildNvdimmSsdt(const std::vector<unsigned> &slots, const std::optional<NvdimmHotplug> &hotplug = {});

// What a hotplug SSDT of ours tells its guest: the FIT page address and
// the GED's IRQ (boot_fit left empty, slots = NVxx children); nullopt
// for an SSDT without _FIT/GED (an older one, or someone else's).
std::optional<NvdimmHotplug> parseHotplugSsdt(const Bytes &ssdt);

// The most slots the SSDT names (two hex digits).
constexpr unsigned kSsdtMaxSlots = 256;

} // namespace xlnv::acpi
