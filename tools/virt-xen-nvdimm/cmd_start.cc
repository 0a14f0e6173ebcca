// start DOMAIN [--paused]: start a defined domain with its NVDIMMs.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "util/i18n.h"
#include "util/interrupt.h"

namespace xlnv::cli {

namespace {

struct StartOptions {
    std::string domain;
    bool paused = false;
};

const CommandRegistrar registrar({
    "start",
    N_("start a (previously defined) inactive domain"),
    120,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<StartOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("name of the inactive domain"))->required();
        sub.add_flag("--paused", opts->paused, _("leave the guest paused after creation"));
        return [opts](Context &ctx) {
            installInterruptHandlers();   // Ctrl-C rolls back instead of killing
            ProgressReporter progress = progressReporter(ctx);
            auto s = openDriver(ctx, progress.callback());
            const libxl::DomainInfo info = s.driver->start(opts->domain, opts->paused);
            progress.finish();
            std::printf(_("Domain '%s' started\n"), info.name.c_str());
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
