// HostBackings of the simulated host: the simulated namespaces
// (SimPmemInventory); files live under the sim's mount directories, and
// the image file of a devdax namespace stands in for /dev/daxX.Y.
#pragma once

#include <memory>

#include "pmem/host_backings.h"

namespace xlnv::libxl {

class SimHost;
class SimPmemInventory;

std::unique_ptr<HostBackings> makeSimBackings(std::shared_ptr<SimHost> host,
                                              SimPmemInventory &inventory);

} // namespace xlnv::libxl
