// sim-reset: put the simulated host back to its description. Every
// domain's NVDIMMs are released first (labels restored, pins and the
// backings' immutable flag dropped), then the state directory goes, even
// where an interrupted `rm -rf` left a pinned file no command can release.
#include <cstdio>
#include <string>

#include "command.h"
#include "connection_util.h"
#include "driver_util.h"
#include "libxl/connection.h"
#include "libxl/domain_status.h"
#include "libxl/nvdimm_driver.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/remove_tree.h"
#include "util/state_dir.h"

namespace xlnv::cli {

namespace {

int runSimReset(Context &ctx)
{
    requireSimulatorUri(ctx, "sim-reset");
    std::string dir;
    try {
        auto s = openDriver(ctx);
        s.conn->requireSimulated("sim-reset");
        dir = s.conn->stateDir();
        for (const auto &name : libxl::StatusStore(dir).names()) {
            try {
                s.driver->release(name);
                std::printf(_("Domain '%s' released\n"), name.c_str());
            } catch (const Error &e) {
                // The directory goes anyway; the flag is cleared there.
                warn(_("cannot release domain '%s': %s"), name.c_str(), e.message().c_str());
            }
        }
    } catch (const Error &e) {
        if (e.code() == ErrorCode::OperationUnsupported || e.code() == ErrorCode::OperationInvalid)
            throw;
        dir = libxl::resolveStateDir(ctx.stateDir, true);
        warn(_("cannot open the simulated host in '%s' (%s); removing it anyway"), dir.c_str(),
             e.message().c_str());
    }
    removeTree(dir);
    std::printf(_("Simulated host reset: '%s' removed\n"), dir.c_str());
    return 0;
}

const CommandRegistrar registrar({
    "sim-reset",
    N_("reset the simulated host to its description (simulator only)"),
    910,
    [](CLI::App &) -> CommandRunner { return runSimReset; },
});

} // namespace

} // namespace xlnv::cli
