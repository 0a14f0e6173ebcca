// dumpxml DOMAIN [--inactive]: the live XML of a running domain (alias
// and address of every NVDIMM), else or with --inactive the persistent one.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

struct DumpXmlOptions {
    std::string domain;
    bool inactive = false;
};

const CommandRegistrar registrar({
    "dumpxml",
    N_("domain information in XML"),
    130,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<DumpXmlOptions>();
        sub.add_option("DOMAIN", opts->domain, _("domain name, id or uuid"))->required();
        sub.add_flag("--inactive", opts->inactive, _("show inactive defined XML"));
        return [opts](Context &ctx) {
            auto s = openDriver(ctx);
            std::string xml = s.driver->dumpXml(opts->domain, opts->inactive);
            if (xml.empty() || xml.back() != '\n')
                xml += '\n';
            std::fputs(xml.c_str(), stdout);
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
