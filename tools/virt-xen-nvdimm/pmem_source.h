// Which host the pmem-* commands look at. A fixture
// (LIBXL_NVDIMM_PMEM_FIXTURE) wins; otherwise the connection, chosen by
// the same rule as for every command (connectionUri()): a simulated host
// gives its own namespaces (sim:///default's /dev/dax0.0 and DAX mount),
// xen:///system this machine's persistent memory (libndctl).
#pragma once

#include <memory>

#include "command.h"
#include "libxl/connection.h"
#include "pmem/host_backings.h"
#include "pmem/inventory.h"

namespace xlnv::cli {

class PmemSource {
public:
    // `sub` is the command; its parent holds the global -c option.
    static std::function<PmemSource(const Context &)> forCommand(CLI::App &sub);

    PmemInventory &inventory() { return own_ ? *own_ : conn_->inventory(); }
    // The connection's own backings (a simulated host resolves and
    // provisions inside its namespaces), or null when the commands use
    // this machine's (util's resolveBackingPath / provisionBacking).
    libxl::HostBackings *connectionBackings() { return conn_ ? &conn_->backingResolver() : nullptr; }

private:
    std::unique_ptr<libxl::Connection> conn_;
    std::unique_ptr<PmemInventory> own_;
};

} // namespace xlnv::cli
