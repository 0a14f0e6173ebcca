#include "pmem/host_resolver.h"

#include "pmem/backing.h"

namespace xlnv::libxl {

ResolvedBacking InventoryBackingResolver::resolve(const conf::NvdimmDef &def)
{
    // The whole backing: the layout cuts it to the guest area and reports
    // a backing that is too small in the device's own words.
    return resolveBackingPath(inventory_, def.path, 0);
}

} // namespace xlnv::libxl
