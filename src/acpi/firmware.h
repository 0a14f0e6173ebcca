// The acpi_firmware blob hvmloader loads: our tables concatenated, each
// with its own header and checksum.
#pragma once

#include <string>
#include <vector>

#include "acpi/nfit.h"
#include "acpi/ssdt.h"

namespace xlnv::acpi {

// With `hotplug` (its boot_fit is filled from `devices`), the SSDT gets
// _FIT and the GED, and the NFIT is left out when there are no devices
// (Linux then binds to NVDR and reads _FIT on the first notification).
Bytes buildAcpiFirmware(const std::vector<NfitDevice> &devices,
                        std::optional<NvdimmHotplug> hotplug = std::nullopt);

// Split a blob back into its tables (by each header's length). Throws
// xlnv::Error when a header is cut short or a checksum is wrong.
std::vector<Bytes> splitAcpiTables(const Bytes &blob);

// Write the blob to `path` atomically (temp file, fsync, rename), mode 0644.
void writeAcpiFirmware(const std::string &path, const Bytes &blob);

} // namespace xlnv::acpi
