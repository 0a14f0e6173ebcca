// SSDT with the NVDIMM root device the Linux nfit driver binds to:
// Device(\_SB.NVDR) { Name(_HID, "ACPI0012")  Device(NVxx) { Name(_ADR, handle) } ... }
#pragma once

#include <string>
#include <vector>

#include "acpi/aml.h"

namespace xlnv::acpi {

// Child device name for a slot: "NV" + two hex digits.
std::string ssdtChildName(unsigned slot);

// The AML body (definition block contents) and the whole table.
Bytes nvdimmRootAml(const std::vector<unsigned> &slots);
Bytes buildNvdimmSsdt(const std::vector<unsigned> &slots);

} // namespace xlnv::acpi
