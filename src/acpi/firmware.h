// The acpi_firmware blob hvmloader loads: our tables concatenated, each
// with its own header and checksum.
#pragma once

#include <string>
#include <vector>

#include "acpi/nfit.h"

namespace xlnv::acpi {

Bytes buildAcpiFirmware(const std::vector<NfitDevice> &devices);

// Split a blob back into its tables (by each header's length). Throws
// xlnv::Error when a header is cut short or a checksum is wrong.
std::vector<Bytes> splitAcpiTables(const Bytes &blob);

// Write the blob to `path` atomically (temp file, fsync, rename), mode 0644.
void writeAcpiFirmware(const std::string &path, const Bytes &blob);

} // namespace xlnv::acpi
