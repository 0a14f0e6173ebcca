// Output shared by pmem-extents and pmem-provision.
#pragma once

#include "pmem/inventory.h"

namespace xlnv::cli {

// Extents as a table (offset, SPA, length) and a superpage line.
void printExtentsTable(const ResolvedBacking &backing);

} // namespace xlnv::cli
