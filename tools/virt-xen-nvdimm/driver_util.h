// The NVDIMM driver a command works through: the connection from the
// global options plus libxl::NvdimmDriver with its configured options.
#pragma once

#include <memory>

#include "command.h"
#include "libxl/connection.h"
#include "libxl/nvdimm_driver.h"

namespace xlnv::cli {

struct DriverSession {
    std::unique_ptr<libxl::Connection> conn;
    std::unique_ptr<libxl::NvdimmDriver> driver;   // destroyed before conn
};

// Opens the connection and the driver; [hypervisor] eject_timeout_ms of
// the configuration file sets how long detach waits for the guest.
// `progress` hears attach's, prepare's and start's long steps.
DriverSession openDriver(const Context &ctx, ProgressFn progress = {});

} // namespace xlnv::cli
