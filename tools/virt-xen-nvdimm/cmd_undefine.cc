// undefine DOMAIN: remove a domain's persistent definition.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

const CommandRegistrar registrar({
    "undefine",
    N_("undefine a domain"),
    115,
    [](CLI::App &sub) -> CommandRunner {
        auto domain = std::make_shared<std::string>();
        sub.add_option("DOMAIN,--domain", *domain, _("domain name, id or uuid"))->required();
        return [domain](Context &ctx) {
            auto s = openDriver(ctx);
            s.driver->undefine(*domain);
            std::printf(_("Domain '%s' has been undefined\n"), domain->c_str());
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
