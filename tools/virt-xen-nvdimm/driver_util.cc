#include "driver_util.h"

#include "connection_util.h"
#include "util/config.h"

namespace xlnv::cli {

DriverSession openDriver(const Context &ctx)
{
    DriverSession session;
    session.conn = openConnection(ctx);
    session.driver = std::make_unique<libxl::NvdimmDriver>(
        *session.conn, libxl::driverOptionsFromConfig(session.conn->config()));
    return session;
}

} // namespace xlnv::cli
