// destroy DOMAIN: stop a running domain at once; its NVDIMMs are released.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

const CommandRegistrar registrar({
    "destroy",
    N_("destroy (stop) a domain"),
    125,
    [](CLI::App &sub) -> CommandRunner {
        auto domain = std::make_shared<std::string>();
        sub.add_option("DOMAIN,--domain", *domain, _("domain name, id or uuid"))->required();
        return [domain](Context &ctx) {
            auto s = openDriver(ctx);
            s.driver->destroy(*domain);
            std::printf(_("Domain '%s' destroyed\n"), domain->c_str());
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
