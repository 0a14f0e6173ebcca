// virsh's --live/--config/--persistent/--current options of the device
// commands (attach-device, detach-device, detach-device-alias) and their
// rules: --current excludes --live and --config, --persistent excludes
// --current and means config, plus live when the domain runs.
#pragma once

#include <string>

#include "command.h"
#include "libxl/connection.h"

namespace xlnv::cli {

struct ModifyOptions {
    bool live = false;
    bool config = false;
    bool persistent = false;
    bool current = false;
};

// Adds the four flags; a forbidden combination fails the parse with
// virsh's "Options --current and --live are mutually exclusive".
// `opts` must outlive the parse.
void addModifyFlags(CLI::App &sub, ModifyOptions &opts);

// NvdimmDriver flags (libxl::ModifyFlags) for `domain`. NoDomain when
// --persistent needs the domain's state and it does not exist.
unsigned resolveModifyFlags(const ModifyOptions &opts, libxl::Connection &conn,
                            const std::string &domain);

} // namespace xlnv::cli
