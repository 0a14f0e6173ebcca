// detach-device DOMAIN FILE and detach-device-alias DOMAIN ALIAS: detach
// an NVDIMM, matched by the device XML (alias, else source path and
// target size) or by its alias.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "libvirt_metadata_option.h"
#include "modify_flags.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

struct DetachOptions {
    std::string domain;
    std::string what;   // FILE or ALIAS
    ModifyOptions modify;
    bool force = false;
    std::shared_ptr<std::string> libvirtUri;
};

void addDetachOptions(CLI::App &sub, DetachOptions &opts)
{
    addModifyFlags(sub, opts.modify);
    sub.add_flag("--force", opts.force,
                 _("detach without waiting for the guest to release the device"));
    opts.libvirtUri = addLibvirtOption(sub);
}

const CommandRegistrar byFile({
    "detach-device",
    N_("detach device from an XML file"),
    210,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<DetachOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("domain name, id or uuid"))->required();
        sub.add_option("FILE,--file", opts->what, _("XML file ('-' for standard input)"))->required();
        addDetachOptions(sub, *opts);
        return [opts](Context &ctx) {
            const std::string xml = readInputFile(opts->what);
            auto s = openDriver(ctx);
            const unsigned flags = resolveModifyFlags(opts->modify, *s.conn, opts->domain);
            detachWithLibvirt(libvirtMetadataUri(*opts->libvirtUri), opts->domain, xml, "", flags,
                              [&](unsigned f) { return s.driver->detachDevice(opts->domain, xml, f, opts->force); });
            std::printf("%s\n", _("Device detached successfully"));
            return 0;
        };
    },
});

const CommandRegistrar byAlias({
    "detach-device-alias",
    N_("detach device by alias"),
    215,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<DetachOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("domain name, id or uuid"))->required();
        sub.add_option("ALIAS,--alias", opts->what, _("device alias (e.g. nvdimm0)"))->required();
        addDetachOptions(sub, *opts);
        return [opts](Context &ctx) {
            auto s = openDriver(ctx);
            const unsigned flags = resolveModifyFlags(opts->modify, *s.conn, opts->domain);
            detachWithLibvirt(libvirtMetadataUri(*opts->libvirtUri), opts->domain, "", opts->what, flags,
                              [&](unsigned f) {
                                  return s.driver->detachDeviceAlias(opts->domain, opts->what, f, opts->force);
                              });
            std::printf("%s\n", _("Device detached successfully"));
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
