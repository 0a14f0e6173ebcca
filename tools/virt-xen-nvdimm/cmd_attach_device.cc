// attach-device DOMAIN FILE [--live] [--config] [--persistent] [--current]:
// attach one <memory model='nvdimm'> device.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "libvirt_metadata_option.h"
#include "modify_flags.h"
#include "util/i18n.h"
#include "util/interrupt.h"

namespace xlnv::cli {

namespace {

struct AttachOptions {
    std::string domain;
    std::string file;
    ModifyOptions modify;
};

const CommandRegistrar registrar({
    "attach-device",
    N_("attach device from an XML file"),
    200,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<AttachOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("domain name, id or uuid"))->required();
        sub.add_option("FILE,--file", opts->file, _("XML file ('-' for standard input)"))->required();
        addModifyFlags(sub, opts->modify);
        auto libvirtUri = addLibvirtOption(sub);
        return [opts, libvirtUri](Context &ctx) {
    installInterruptHandlers();   // Ctrl-C rolls back instead of killing
            const std::string xml = readInputFile(opts->file);
            ProgressReporter progress = progressReporter(ctx);
            auto s = openDriver(ctx, progress.callback());
            const unsigned flags = resolveModifyFlags(opts->modify, *s.conn, opts->domain);
            attachWithLibvirt(libvirtMetadataUri(*libvirtUri), opts->domain, xml, flags,
                              [&](unsigned f) { return s.driver->attachDevice(opts->domain, xml, f); });
            progress.finish();
            std::printf("%s\n", _("Device attached successfully"));
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
