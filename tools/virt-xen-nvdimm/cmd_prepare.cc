// prepare DOMAIN [--xml FILE] and release DOMAIN: what a libvirt hook or
// an `xl` user runs around a domain's start and after its destruction.
// prepare provisions, pins and labels the backings, lays the NVDIMMs out
// and writes the ACPI tables; release undoes all of it.
#include <cstdio>
#include <optional>

#include "command.h"
#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "driver_util.h"
#include "hypervisor/hypervisor.h"
#include "libxl/domain_status.h"
#include "util/bytesize.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/interrupt.h"
#include "util/strutil.h"

namespace xlnv::cli {

namespace {

struct PrepareOptions {
    std::string domain;
    std::string xmlFile;
};

int runPrepare(const PrepareOptions &opts, Context &ctx)
{
    installInterruptHandlers();   // Ctrl-C rolls back instead of killing
    ProgressReporter progress = progressReporter(ctx);
    auto s = openDriver(ctx, progress.callback());
    std::string xml;
    if (!opts.xmlFile.empty()) {
        xml = readInputFile(opts.xmlFile);
        // Refuse before anything is provisioned for the wrong domain.
        const auto dom = conf::DomainXml::parseNamed(xml, conf::NVDIMM_INACTIVE, opts.xmlFile);
        if (dom.name() != opts.domain)
            raise(ErrorCode::InvalidArg, _("domain XML '%s' describes domain '%s', not '%s'"),
                  opts.xmlFile.c_str(), dom.name().c_str(), opts.domain.c_str());
    } else {
        xml = s.driver->dumpXml(opts.domain, true);
    }
    const libxl::PreparedDomain prepared = s.driver->prepare(xml);
    progress.finish();
    for (const auto &dev : prepared.layout.devices)
        std::printf(_("%s: %s (%s), slot %u, guest base %s, %s, %zu iomem range(s)\n"),
                    dev.name.c_str(), dev.backing.path.c_str(), backingKindName(dev.backing.kind),
                    dev.slot, hex(dev.base).c_str(), formatByteSize(dev.size).c_str(),
                    dev.ranges.size());
    if (!prepared.acpi_firmware_path.empty())
        std::printf(_("ACPI tables: %s\n"), prepared.acpi_firmware_path.c_str());
    std::printf(_("Domain '%s' prepared with %zu NVDIMM(s)\n"), prepared.name.c_str(),
                prepared.layout.devices.size());
    return 0;
}

const CommandRegistrar prepareRegistrar({
    "prepare",
    N_("prepare a domain's NVDIMM backings before it starts"),
    400,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<PrepareOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("domain name"))->required();
        sub.add_option("--xml", opts->xmlFile,
                       _("domain XML to prepare (default: the persistent definition)"))
            ->option_text("FILE");
        return [opts](Context &ctx) { return runPrepare(*opts, ctx); };
    },
});

const CommandRegistrar releaseRegistrar({
    "release",
    N_("release a domain's NVDIMM backings after it is gone"),
    410,
    [](CLI::App &sub) -> CommandRunner {
        auto domain = std::make_shared<std::string>();
        auto force = std::make_shared<bool>(false);
        sub.add_option("DOMAIN,--domain", *domain, _("domain name"))->required();
        sub.add_flag("--force", *force,
                     _("release even though the domain still runs (its NVDIMMs vanish from the guest "
                       "without an eject)"));
        return [domain, force](Context &ctx) {
            auto s = openDriver(ctx);
            // What there is to release, for the report (release itself
            // works from the same status under the domain's lock).
            const auto status = libxl::StatusStore(s.conn->stateDir()).load(*domain);
            std::optional<libxl::DomainInfo> info;
            try {
                info = s.conn->hypervisor().lookupByName(*domain);
            } catch (const Error &e) {
                if (e.code() != ErrorCode::NoDomain)
                    throw;
            }
            if (!status && !info && !s.conn->definitions().get(*domain))
                raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), domain->c_str());
            if (info && info->domid && !*force)
                raise(ErrorCode::OperationInvalid,
                      _("domain '%s' is running: release would take its NVDIMMs from the live guest; "
                        "detach them or destroy the domain first, or use --force"),
                      domain->c_str());
            s.driver->release(*domain);
            if (status)
                for (const auto &dev : status->devices)
                    std::printf(_("%s: %s released\n"), dev.alias.c_str(), dev.path.c_str());
            std::printf(_("Domain '%s' released\n"), domain->c_str());
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
