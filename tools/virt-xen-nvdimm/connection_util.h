// Opening the connection a command works on, from the global options
// (-c/--connect, --state-dir) and the configuration file.
#pragma once

#include <memory>

#include "command.h"
#include "libxl/connection.h"

namespace xlnv::cli {

std::unique_ptr<libxl::Connection> openConnection(const Context &ctx);

} // namespace xlnv::cli
