// virt-xen-nvdimm pmem-list [--json]: the host's persistent memory
// namespaces (libndctl/libdaxctl; a fixture with LIBXL_NVDIMM_PMEM_FIXTURE).
#include "command.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "util/bytesize.h"
#include "util/error.h"
#include "util/i18n.h"
#include "pmem/inventory.h"
#include "util/strutil.h"
#include "pmem_source.h"

namespace xlnv::cli {

namespace {

int runPmemList(bool json, PmemSource source)
{
    const std::vector<PmemNamespace> all = source.inventory().namespaces();
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto &ns : all)
            out.push_back(pmemNamespaceToJson(ns));
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }
    std::printf(" %-14s %-7s %-14s %-14s %-10s %-5s %-9s %-12s %s\n",
                _("Namespace"), _("Mode"), _("Size"), _("SPA"), _("Align"), _("Node"),
                _("Device"), _("Name"), _("Mount"));
    std::printf("%s\n", std::string(110, '-').c_str());
    for (const auto &ns : all) {
        const std::string &dev = !ns.chardev.empty() ? ns.chardev : ns.blockdev;
        // Sizes for people (like ndctl -u), addresses in hex; --json has the bytes.
        const std::string node = ns.numa_node >= 0 ? std::to_string(ns.numa_node) : "-";
        std::printf(" %-14s %-7s %-14s %-14s %-10s %-5s %-9s %-12s %s\n",
                    ns.dev.c_str(), pmemModeName(ns.mode),
                    formatByteSizeHuman(ns.size).c_str(), hex(ns.spa).c_str(),
                    formatByteSize(ns.align).c_str(), node.c_str(),
                    dev.empty() ? "-" : dev.c_str(), ns.name.empty() ? "-" : ns.name.c_str(),
                    ns.mount.empty() ? "-" : ns.mount.c_str());
    }
    return 0;
}

const CommandRegistrar registrar({
    "pmem-list",
    N_("list the host's persistent memory namespaces"),
    300,
    [](CLI::App &sub) -> CommandRunner {
        auto json = std::make_shared<bool>(false);
        sub.add_flag("--json", *json, _("print JSON (one object per namespace)"));
        sub.footer(_("The namespaces come from libndctl, or from the host of the connection "
                     "given with -c (e.g. sim:///default). LIBXL_NVDIMM_PMEM_FIXTURE=FILE reads "
                     "them from a JSON fixture instead (tests, demos)."));
        auto open = PmemSource::forCommand(sub);
        return [json, open](Context &ctx) { return runPmemList(*json, open(ctx)); };
    },
});

} // namespace

} // namespace xlnv::cli
