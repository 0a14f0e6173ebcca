#include "driver_util.h"

#include "connection_util.h"
#include "util/config.h"

namespace xlnv::cli {

DriverSession openDriver(const Context &ctx, ProgressFn progress)
{
    DriverSession session;
    session.conn = openConnection(ctx);
    libxl::DriverOptions options = libxl::driverOptionsFromConfig(session.conn->config());
    options.progress = std::move(progress);
    session.driver = std::make_unique<libxl::NvdimmDriver>(*session.conn, std::move(options));
    return session;
}

} // namespace xlnv::cli
