// PmemInventory over libndctl/libdaxctl: the real host's regions and
// namespaces. The SPA reported for a namespace is that of its data area
// (pfn or dax resource), which is what FIEMAP offsets and devdax offsets
// are relative to.
#include "pmem/inventory.h"

#include <sys/sysmacros.h>

#include <memory>

#include <daxctl/libdaxctl.h>
#include <ndctl/libndctl.h>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "pmem/sysdev.h"

namespace xlnv {

namespace {

struct NdctlCtxUnref {
    void operator()(ndctl_ctx *ctx) const { ndctl_unref(ctx); }
};
using NdctlCtx = std::unique_ptr<ndctl_ctx, NdctlCtxUnref>;

NdctlCtx openNdctl()
{
    ndctl_ctx *raw = nullptr;
    int rc = ndctl_new(&raw);
    if (rc < 0)
        raiseSystem(-rc, _("cannot initialize libndctl"));
    return NdctlCtx(raw);
}

std::string str(const char *s)
{
    return s ? std::string(s) : std::string();
}

PmemMode modeOf(ndctl_namespace *ndns)
{
    switch (ndctl_namespace_get_mode(ndns)) {
    case NDCTL_NS_MODE_FSDAX: return PmemMode::Fsdax;
    case NDCTL_NS_MODE_DEVDAX: return PmemMode::Devdax;
    case NDCTL_NS_MODE_SECTOR: return PmemMode::Sector;
    case NDCTL_NS_MODE_RAW: return PmemMode::Raw;
    default: return PmemMode::Unknown;
    }
}

std::string uuidOf(ndctl_namespace *ndns)
{
    uuid_t uu;
    ndctl_namespace_get_uuid(ndns, uu);
    bool zero = true;
    for (unsigned char b : uu)
        zero = zero && b == 0;
    if (zero)
        return {};
    std::string text;
    for (size_t i = 0; i < sizeof(uuid_t); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            text += '-';
        text += strprintf("%02x", uu[i]);
    }
    return text;
}

// The first DAX mount point of `disk` or of a partition of it.
std::string daxMountOf(const std::vector<MountEntry> &mounts, const std::string &disk)
{
    for (const MountEntry &m : mounts) {
        if (!m.dax() || m.root != "/")
            continue;
        auto info = blockDeviceInfo(makedev(m.major, m.minor));
        if (info && info->disk == disk)
            return m.mount_point;
    }
    return {};
}

void fillFsdax(PmemNamespace &ns, ndctl_namespace *ndns)
{
    ndctl_pfn *pfn = ndctl_namespace_get_pfn(ndns);
    if (!pfn)
        return;
    ns.spa = ndctl_pfn_get_resource(pfn);
    ns.size = ndctl_pfn_get_size(pfn);
    ns.align = ndctl_pfn_get_align(pfn);
    ns.blockdev = str(ndctl_pfn_get_block_device(pfn));
}

void fillDevdax(PmemNamespace &ns, ndctl_namespace *ndns)
{
    ndctl_dax *dax = ndctl_namespace_get_dax(ndns);
    if (!dax)
        return;
    ns.spa = ndctl_dax_get_resource(dax);
    ns.size = ndctl_dax_get_size(dax);
    ns.align = ndctl_dax_get_align(dax);
    if (daxctl_region *dregion = ndctl_dax_get_daxctl_region(dax)) {
        daxctl_dev *dev;
        daxctl_dev_foreach(dregion, dev) {
            if (daxctl_dev_get_size(dev) == 0)
                continue;   // idle seed
            ns.chardev = str(daxctl_dev_get_devname(dev));
            // The device's own range is the authority for what a mapping covers.
            ns.spa = daxctl_dev_get_resource(dev);
            ns.size = daxctl_dev_get_size(dev);
            if (unsigned long a = daxctl_dev_get_align(dev))
                ns.align = a;
            break;
        }
    }
}

class NdctlInventory : public PmemInventory {
public:
    NdctlInventory() : ctx_(openNdctl()) {}

    std::vector<PmemRegion> regions() override
    {
        std::vector<PmemRegion> out;
        ndctl_bus *bus;
        ndctl_region *region;
        ndctl_bus_foreach(ctx_.get(), bus) {
            ndctl_region_foreach(bus, region) {
                PmemRegion r;
                r.dev = str(ndctl_region_get_devname(region));
                r.spa = ndctl_region_get_resource(region);
                r.size = ndctl_region_get_size(region);
                r.align = ndctl_region_get_align(region);
                r.numa_node = ndctl_region_get_numa_node(region);
                out.push_back(std::move(r));
            }
        }
        return out;
    }

    std::vector<PmemNamespace> namespaces() override
    {
        std::vector<PmemNamespace> out;
        std::vector<MountEntry> mounts = readMountinfo();
        ndctl_bus *bus;
        ndctl_region *region;
        ndctl_namespace *ndns;
        ndctl_bus_foreach(ctx_.get(), bus) {
            ndctl_region_foreach(bus, region) {
                ndctl_namespace_foreach(region, ndns) {
                    // Idle seeds (size 0, nothing configured) are not namespaces a user has.
                    if (ndctl_namespace_get_size(ndns) == 0 || !ndctl_namespace_is_active(ndns))
                        continue;
                    PmemNamespace ns;
                    ns.dev = str(ndctl_namespace_get_devname(ndns));
                    ns.region = str(ndctl_region_get_devname(region));
                    ns.mode = modeOf(ndns);
                    ns.name = str(ndctl_namespace_get_alt_name(ndns));
                    ns.uuid = uuidOf(ndns);
                    ns.spa = ndctl_namespace_get_resource(ndns);
                    ns.size = ndctl_namespace_get_size(ndns);
                    ns.align = ndctl_region_get_align(region);
                    ns.numa_node = ndctl_namespace_get_numa_node(ndns);
                    switch (ns.mode) {
                    case PmemMode::Fsdax:
                        fillFsdax(ns, ndns);
                        break;
                    case PmemMode::Devdax:
                        fillDevdax(ns, ndns);
                        break;
                    case PmemMode::Sector:
                        if (ndctl_btt *btt = ndctl_namespace_get_btt(ndns)) {
                            ns.blockdev = str(ndctl_btt_get_block_device(btt));
                            ns.size = ndctl_btt_get_size(btt);
                        }
                        break;
                    case PmemMode::Raw:
                    case PmemMode::Unknown:
                        ns.blockdev = str(ndctl_namespace_get_block_device(ndns));
                        break;
                    }
                    if (!ns.blockdev.empty())
                        ns.mount = daxMountOf(mounts, ns.blockdev);
                    out.push_back(std::move(ns));
                }
            }
        }
        return out;
    }

private:
    NdctlCtx ctx_;
};

} // namespace

std::unique_ptr<PmemInventory> makeNdctlInventory()
{
    return std::make_unique<NdctlInventory>();
}

} // namespace xlnv
