// virt-xen-nvdimm pmem-provision PATH --size SIZE: create or complete a
// backing without giving it to a domain. A missing file is created and
// zero-filled; an existing file keeps every byte it has: only holes,
// unwritten ranges and a missing tail (up to SIZE) are filled. Devices are
// checked only.
#include "command.h"

#include <unistd.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "pmem_output.h"
#include "pmem_source.h"
#include "util/bytesize.h"
#include "util/i18n.h"
#include "util/interrupt.h"
#include "pmem/provision.h"

namespace xlnv::cli {

namespace {

struct ProvisionArgs {
    std::string path;
    std::string size;
    std::vector<std::string> roots;
    bool json = false;
};

// On a connection's own host (a simulated one): provisioned in its
// namespaces, the way attach-device provisions.
int runOnConnection(const ProvisionArgs &args, uint64_t size, libxl::HostBackings &backings,
                    ProgressReporter &progress)
{
    const libxl::HeldBacking result = backings.hold(args.path, size, progress.callback());
    progress.finish();
    if (args.json) {
        nlohmann::json j = resolvedBackingToJson(result.resolved);
        j["created"] = result.created;
        j["requested_size"] = size;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf(_("Backing '%s' (%s, namespace %s): %s, %zu extent(s)\n"),
                result.resolved.path.c_str(), backingKindName(result.resolved.kind),
                result.resolved.namespace_dev.c_str(),
                result.created ? _("created") : _("existing"), result.resolved.extents.size());
    printExtentsTable(result.resolved);
    return 0;
}

int runPmemProvision(const ProvisionArgs &args, PmemSource source, const Context &ctx)
{
    installInterruptHandlers();   // Ctrl-C rolls back instead of killing
    const uint64_t size = parseByteSize(args.size, "--size");
    ProgressReporter progress = progressReporter(ctx);
    if (libxl::HostBackings *backings = source.connectionBackings())
        return runOnConnection(args, size, *backings, progress);
    ProvisionedBacking result =
        provisionBacking(source.inventory(), args.path, size, args.roots, progress.callback());
    progress.finish();
    if (args.json) {
        nlohmann::json j = resolvedBackingToJson(result.resolved);
        j["created"] = result.created;
        j["filled"] = result.fill.filled;
        j["requested_size"] = size;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf(_("Backing '%s' (%s, namespace %s): %s, %s zero-filled, %zu extent(s)\n"),
                result.resolved.path.c_str(), backingKindName(result.resolved.kind),
                result.resolved.namespace_dev.c_str(),
                result.created ? _("created") : _("existing"),
                formatByteSize(result.fill.filled).c_str(), result.resolved.extents.size());
    printExtentsTable(result.resolved);
    return 0;
}

const CommandRegistrar registrar({
    "pmem-provision",
    N_("create, fill and check an NVDIMM backing"),
    310,
    [](CLI::App &sub) -> CommandRunner {
        auto args = std::make_shared<ProvisionArgs>();
        sub.add_option("PATH", args->path, _("file on a DAX filesystem, devdax or fsdax device"))
            ->required();
        sub.add_option("--size", args->size, _("NVDIMM target size including the label area (e.g. 16G)"))
            ->option_text("SIZE")->required();
        sub.add_option("--pmem-root", args->roots,
                       _("allowed directory, device or pattern (repeatable; default: DAX mounts, /dev/dax*, /dev/pmem*)"))
            ->option_text("DIR");
        sub.add_flag("--json", args->json, _("print the result as a JSON object"));
        sub.footer(_("An existing file is never truncated and its data never overwritten; a shorter "
                     "file is grown to SIZE by filling its tail. LIBXL_NVDIMM_PMEM_FIXTURE=FILE takes "
                     "the namespaces from a JSON fixture."));
        auto open = PmemSource::forCommand(sub);
        return [args, open](Context &ctx) { return runPmemProvision(*args, open(ctx), ctx); };
    },
});

} // namespace

} // namespace xlnv::cli
