#include "pmem_source.h"

#include <cstdlib>

#include "connection_util.h"

namespace xlnv::cli {

std::function<PmemSource(const Context &)> PmemSource::forCommand(CLI::App &sub)
{
    CLI::App *parent = sub.get_parent();
    return [parent](const Context &ctx) {
        PmemSource source;
        const char *fixture = std::getenv("LIBXL_NVDIMM_PMEM_FIXTURE");
        const char *defaultUri = std::getenv("LIBXL_NVDIMM_DEFAULT_URI");
        const bool uriGiven = (parent && parent->count("--connect") > 0) ||
                              (defaultUri && *defaultUri);
        if ((fixture && *fixture) || !uriGiven)
            source.own_ = openPmemInventory("");
        else
            source.conn_ = openConnection(ctx);
        return source;
    };
}

} // namespace xlnv::cli
