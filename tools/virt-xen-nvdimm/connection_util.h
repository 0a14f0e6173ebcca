// Opening the connection a command works on, from the global options
// (-c/--connect, --state-dir) and the configuration file.
#pragma once

#include <memory>

#include "command.h"
#include "libxl/connection.h"

namespace xlnv::cli {

std::unique_ptr<libxl::Connection> openConnection(const Context &ctx);

// -c/--connect, else the default chosen like virsh's
// (libxl::chooseDefaultUri); the simulator fallback is announced once on
// standard error.
std::string connectionUri(const Context &ctx);

// Simulator-only commands refuse any other URI before connecting
// (OperationUnsupported: "'CMD' works only on a simulated host").
void requireSimulatorUri(const Context &ctx, const char *command);

} // namespace xlnv::cli
