// virsh-style commands of virt-xen-nvdimm. Each command lives in its own
// cmd_*.cc and registers itself; main.cc knows none of them by name.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "util/progress.h"

namespace xlnv::cli {

// Global options, shared by every command.
struct Context {
    std::string uri;       // -c/--connect; empty: chosen when needed (connectionUri())
    std::string stateDir;  // --state-dir, default from LIBXL_NVDIMM_STATE_DIR
    bool quiet = false;    // -q/--quiet: no progress
};

// Progress of long work on stderr: a bar on a terminal, a line per step
// otherwise, nothing with --quiet. Call finish() before printing results.
ProgressReporter progressReporter(const Context &ctx);

// A command adds its options to `sub` and returns what runs it; the
// runner returns the process exit status (0 success) or throws
// xlnv::Error (printed as "error: <message>", exit 1).
using CommandRunner = std::function<int(Context &ctx)>;
using CommandSetup = std::function<CommandRunner(CLI::App &sub)>;

struct CommandInfo {
    const char *name;
    const char *summary;   // N_() marked; translated when shown
    int order;             // position in --help (groups like virsh's)
    CommandSetup setup;
};

std::vector<CommandInfo> &commandRegistry();

struct CommandRegistrar {
    explicit CommandRegistrar(CommandInfo info) { commandRegistry().push_back(std::move(info)); }
};

// Read FILE, or standard input when FILE is "-". Throws xlnv::Error.
std::string readInputFile(const std::string &path);

} // namespace xlnv::cli
