#include "pmem_source.h"

#include <cstdlib>

#include "connection_util.h"

namespace xlnv::cli {

std::function<PmemSource(const Context &)> PmemSource::forCommand(CLI::App &)
{
    return [](const Context &ctx) {
        PmemSource source;
        const char *fixture = std::getenv("LIBXL_NVDIMM_PMEM_FIXTURE");
        if ((fixture && *fixture) || !libxl::isSimulatorUri(connectionUri(ctx)))
            source.own_ = openPmemInventory("");
        else
            source.conn_ = openConnection(ctx);
        return source;
    };
}

} // namespace xlnv::cli
