#include "modify_flags.h"

#include "hypervisor/hypervisor.h"
#include "libxl/nvdimm_driver.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

void addModifyFlags(CLI::App &sub, ModifyOptions &opts)
{
    sub.add_flag("--live", opts.live, _("affect running domain"));
    sub.add_flag("--config", opts.config, _("affect next boot"));
    sub.add_flag("--persistent", opts.persistent,
                 _("make live change persistent"));
    sub.add_flag("--current", opts.current, _("affect current domain"));
    // A usage error, reported like any other bad command line.
    sub.parse_complete_callback([&opts] {
        auto exclusive = [](const char *a, const char *b) {
            throw CLI::ValidationError(
                strprintf(_("Options --%s and --%s are mutually exclusive"), a, b));
        };
        if (opts.current && opts.live)
            exclusive("current", "live");
        if (opts.current && opts.config)
            exclusive("current", "config");
        if (opts.persistent && opts.current)
            exclusive("persistent", "current");
    });
}

unsigned resolveModifyFlags(const ModifyOptions &opts, libxl::Connection &conn,
                            const std::string &domain)
{
    unsigned flags = libxl::kAffectCurrent;
    if (opts.live)
        flags |= libxl::kAffectLive;
    if (opts.config)
        flags |= libxl::kAffectConfig;
    if (opts.persistent) {
        const libxl::DomainInfo info = libxl::lookupDomain(conn.hypervisor(), domain);
        flags |= libxl::persistentFlags(info.state != libxl::DomainState::Shutoff);
    }
    return flags;
}

} // namespace xlnv::cli
