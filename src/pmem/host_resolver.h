// BackingResolver over a connection's host: opens the backing read-only
// and resolves it through the host pmem code (libndctl + FIEMAP on a real
// host, the simulated host's namespaces on sim://).
#pragma once

#include "pmem/backing_resolver.h"

namespace xlnv::libxl {

class InventoryBackingResolver : public BackingResolver {
public:
    explicit InventoryBackingResolver(PmemInventory &inventory) : inventory_(inventory) {}
    ResolvedBacking resolve(const conf::NvdimmDef &def) override;

private:
    PmemInventory &inventory_;
};

} // namespace xlnv::libxl
