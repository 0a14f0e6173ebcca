// ACPI tables for a PVH guest. libxl loads acpi_firmware into HVM guests
// only; Linux's ACPI table upgrade (CONFIG_ACPI_TABLE_UPGRADE) installs
// the tables it finds as kernel/firmware/acpi/*.aml in an uncompressed
// cpio (newc) that comes first in the initrd. The Xen test bed showed a
// PVH guest getting /dev/pmem0 this way.
#pragma once

#include "acpi/table.h"

namespace xlnv::acpi {

// The cpio holding each table of an acpi_firmware blob (NFIT, SSDT, in
// the blob's order: the NFIT must come first) as
// kernel/firmware/acpi/<signature>.aml. Prepended to an initrd:
//   cat nvdimm-acpi-upgrade.cpio initrd.img > initrd-nvdimm.img
Bytes buildTableUpgradeCpio(const Bytes &firmware);

} // namespace xlnv::acpi
