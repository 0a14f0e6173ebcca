// virt-xen-nvdimm pmem-extents PATH [--size SIZE] [--json]: the host
// physical ranges (SPA) of a backing, as a guest mapping would use them.
#include "command.h"

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "pmem_output.h"
#include "pmem_source.h"
#include "conf/nvdimm_conf.h"
#include "util/error.h"
#include "util/bytesize.h"
#include "util/i18n.h"
#include "pmem/backing.h"

namespace xlnv::cli {

namespace {

struct ExtentsArgs {
    std::string path;
    std::string size;
    std::vector<std::string> roots;
    bool json = false;
};

// The first `size` bytes (0: all) of a backing the connection resolves.
ResolvedBacking resolveOnConnection(libxl::HostBackings &backings, const std::string &path, uint64_t size)
{
    conf::NvdimmDef def;
    def.path = path;
    ResolvedBacking backing = backings.resolve(def);
    if (size == 0)
        return backing;
    if (size > backing.size)
        raise(ErrorCode::OperationInvalid, _("backing '%s' has %llu bytes, fewer than the %llu asked for"),
              path.c_str(), static_cast<unsigned long long>(backing.size),
              static_cast<unsigned long long>(size));
    std::vector<Extent> kept;
    for (const auto &e : backing.extents) {
        if (e.offset >= size)
            break;
        Extent part = e;
        part.length = std::min(e.length, size - e.offset);
        kept.push_back(part);
    }
    backing.extents = std::move(kept);
    backing.size = size;
    return backing;
}

int runPmemExtents(const ExtentsArgs &args, PmemSource source)
{
    const uint64_t size = args.size.empty() ? 0 : parseByteSize(args.size, "--size");
    ResolvedBacking backing = source.connectionBackings()
        ? resolveOnConnection(*source.connectionBackings(), args.path, size)
        : resolveBackingPath(source.inventory(), args.path, size, args.roots);
    if (args.json)
        std::printf("%s\n", resolvedBackingToJson(backing).dump(2).c_str());
    else
        printExtentsTable(backing);
    return 0;
}

const CommandRegistrar registrar({
    "pmem-extents",
    N_("print the host physical ranges of an NVDIMM backing"),
    320,
    [](CLI::App &sub) -> CommandRunner {
        auto args = std::make_shared<ExtentsArgs>();
        sub.add_option("PATH", args->path, _("devdax device, fsdax block device or file on a DAX filesystem"))
            ->required();
        sub.add_option("--size", args->size, _("bytes the NVDIMM uses from the start (default: all)"))
            ->option_text("SIZE");
        sub.add_option("--pmem-root", args->roots,
                       _("allowed directory, device or pattern (repeatable; default: DAX mounts, /dev/dax*, /dev/pmem*)"))
            ->option_text("DIR");
        sub.add_flag("--json", args->json, _("print a JSON object"));
        sub.footer(_("LIBXL_NVDIMM_PMEM_FIXTURE=FILE takes the namespaces from a JSON fixture; "
                     "LIBXL_NVDIMM_PMEM_ROOTS=DIR:DIR... sets the allowed roots."));
        auto open = PmemSource::forCommand(sub);
        return [args, open](Context &ctx) { return runPmemExtents(*args, open(ctx)); };
    },
});

} // namespace

} // namespace xlnv::cli
