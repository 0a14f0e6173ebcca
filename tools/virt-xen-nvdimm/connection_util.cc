#include "connection_util.h"

#include "hypervisor/hypervisor.h"
#include "util/config.h"

namespace xlnv::cli {

std::unique_ptr<libxl::Connection> openConnection(const Context &ctx)
{
    return libxl::Connection::open(ctx.uri, ctx.stateDir);
}

} // namespace xlnv::cli
