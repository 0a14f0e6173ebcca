#include "connection_util.h"

#include <cstdio>

#include "hypervisor/hypervisor.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

std::string connectionUri(const Context &ctx)
{
    if (!ctx.uri.empty())
        return ctx.uri;
    static std::string chosen;
    if (chosen.empty()) {
        const libxl::DefaultUri d = libxl::chooseDefaultUri(Config::load(), true);
        if (d.fallback)
            std::fprintf(stderr, _("virt-xen-nvdimm: no Xen on this machine, using the simulated host %s "
                                   "(choose with -c)\n"),
                         d.uri.c_str());
        chosen = d.uri;
    }
    return chosen;
}

std::unique_ptr<libxl::Connection> openConnection(const Context &ctx)
{
    return libxl::Connection::open(connectionUri(ctx), ctx.stateDir);
}

void requireSimulatorUri(const Context &ctx, const char *command)
{
    const std::string uri = connectionUri(ctx);
    if (!startsWith(uri, "sim:"))
        raise(ErrorCode::OperationUnsupported, _("'%s' works only on a simulated host (sim://), not on %s"),
              command, uri.c_str());
}

} // namespace xlnv::cli
