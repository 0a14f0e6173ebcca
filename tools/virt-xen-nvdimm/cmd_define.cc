// define FILE: make (or replace) a domain's persistent definition.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

const CommandRegistrar registrar({
    "define",
    N_("define (but don't start) a domain from an XML file"),
    110,
    [](CLI::App &sub) -> CommandRunner {
        auto file = std::make_shared<std::string>();
        sub.add_option("FILE,--file", *file, _("file containing an XML domain description ('-' for standard input)"))
            ->required();
        return [file](Context &ctx) {
            const std::string xml = readInputFile(*file);
            auto s = openDriver(ctx);
            const std::string name = s.driver->define(xml);
            std::printf(_("Domain '%s' defined from %s\n"), name.c_str(), file->c_str());
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
