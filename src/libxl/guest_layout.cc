#include "libxl/guest_layout.h"

#include <algorithm>
#include <map>
#include <set>

#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

using ull = unsigned long long;

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
uint64_t alignDown(uint64_t v, uint64_t a) { return v / a * a; }

GuestKind guestKind(const conf::DomainXml &dom)
{
    const std::string os = dom.osType();
    if (os == "hvm")
        return GuestKind::Hvm;
    if (os == "xenpvh")
        return GuestKind::Pvh;
    raise(ErrorCode::ConfigUnsupported,
          _("NVDIMM devices need an HVM or PVH guest, but domain '%s' has os type '%s'"),
          dom.name().c_str(), os.c_str());
}

// Slots: honour given ones, refuse duplicates and slots beyond maxMemory,
// give the rest the first free slot.
void assignSlots(const conf::DomainXml &dom, std::vector<PlacedNvdimm> &devs,
                 const std::vector<OccupiedNvdimm> &occupied)
{
    const unsigned slots = dom.maxMemorySlots();
    if (slots == 0)
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM devices need <maxMemory slots='N'> in domain '%s'"), dom.name().c_str());
    if (devs.size() > slots)
        raise(ErrorCode::ConfigUnsupported,
              _("domain '%s' has %zu NVDIMM devices but <maxMemory> has only %u slots"),
              dom.name().c_str(), devs.size(), slots);
    std::map<unsigned, std::string> used;
    for (const auto &o : occupied)
        if (o.slot != OccupiedNvdimm::kNoSlot)
            used[o.slot] = strprintf(_("the NVDIMM the guest has in slot %u"), o.slot);
    const auto &defs = dom.nvdimms();
    for (auto &d : devs) {
        const auto &addr = defs[d.index].address;
        if (!addr.present)
            continue;
        if (addr.slot >= slots)
            raise(ErrorCode::ConfigUnsupported,
                  _("%s uses slot %u, but <maxMemory> has only %u slots"),
                  d.name.c_str(), addr.slot, slots);
        auto it = used.find(addr.slot);
        if (it != used.end())
            raise(ErrorCode::ConfigUnsupported,
                  _("%s and %s both use memory slot %u"),
                  it->second.c_str(), d.name.c_str(), addr.slot);
        used[addr.slot] = d.name;
        d.slot = addr.slot;
    }
    unsigned next = 0;
    for (auto &d : devs) {
        if (defs[d.index].address.present)
            continue;
        while (used.count(next))
            next++;
        if (next >= slots)
            raise(ErrorCode::ConfigUnsupported, _("no free memory device slot available"));
        d.slot = next;
        used[next] = d.name;
    }
}

void checkBackingCoversDevice(const PlacedNvdimm &d)
{
    const ResolvedBacking &b = d.backing;
    if (b.size < d.size)
        raise(ErrorCode::ConfigUnsupported,
              _("%s: backing '%s' has %llu bytes, less than the %llu bytes the guest area needs"),
              d.name.c_str(), b.path.c_str(), (ull)b.size, (ull)d.size);
    uint64_t expect = 0;
    for (const auto &e : b.extents) {
        if (e.offset != expect)
            raise(ErrorCode::OperationInvalid,
                  _("%s: backing '%s' has a hole at offset 0x%llx"),
                  d.name.c_str(), b.path.c_str(), (ull)expect);
        if (e.spa % kPageSize || e.length % kPageSize || e.length == 0)
            raise(ErrorCode::OperationInvalid,
                  _("%s: host range 0x%llx+0x%llx of '%s' is not 4 KiB aligned"),
                  d.name.c_str(), (ull)e.spa, (ull)e.length, b.path.c_str());
        expect += e.length;
    }
}

// Every host range must be inside a persistent-memory namespace the host
// reported (Xen itself does not check what iomem frames are).
void checkHostRangesArePmem(const PlacedNvdimm &d, const std::vector<PmemNamespace> &namespaces)
{
    if (namespaces.empty())
        return;
    for (const auto &r : d.ranges) {
        const uint64_t start = r.mfn * kPageSize;
        const uint64_t end = start + r.nr * kPageSize;
        bool inside = false;
        for (const auto &ns : namespaces) {
            if (ns.mode != PmemMode::Fsdax && ns.mode != PmemMode::Devdax && ns.mode != PmemMode::Raw)
                continue;
            if (start >= ns.spa && end <= ns.spa + ns.size)
                inside = true;
        }
        if (!inside)
            raise(ErrorCode::OperationInvalid,
                  _("%s: host range 0x%llx-0x%llx of '%s' is not inside a persistent memory namespace in fsdax, devdax or raw mode"),
                  d.name.c_str(), (ull)start, (ull)(end - 1), d.backing.path.c_str());
    }
}

void computeRanges(PlacedNvdimm &d)
{
    d.ranges.clear();
    for (const auto &e : d.backing.extents) {
        if (e.offset >= d.size)
            break;
        const uint64_t len = std::min(e.length, d.size - e.offset);
        IomemRange r;
        r.mfn = e.spa / kPageSize;
        r.gfn = (d.base + e.offset) / kPageSize;
        r.nr = len / kPageSize;
        r.superpage = (r.mfn % 512) == (r.gfn % 512);
        d.ranges.push_back(r);
    }
}

// A device the guest cannot address is mapped by Xen without complaint,
// and the guest faults on every access: refuse it before anything is
// provisioned or mapped. `name` is the alias the device has or gets.
void checkGuestAddressWidth(const PlacedNvdimm &d, const std::string &name, bool explicitBase,
                            unsigned bits)
{
    if (bits == 0 || bits >= 64)
        return;
    const uint64_t limit = 1ull << bits;
    if (d.base <= limit && d.size <= limit - d.base)
        return;
    if (explicitBase)
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM '%s' at guest address 0x%llx-0x%llx is beyond the guest's %u-bit physical address "
                "space (ends at 0x%llx): give it a lower <address base>, or none to have it placed"),
              name.c_str(), (ull)d.base, (ull)(d.base + d.size - 1), bits, (ull)limit);
    raise(ErrorCode::ConfigUnsupported,
          _("NVDIMM '%s' at guest address 0x%llx-0x%llx is beyond the guest's %u-bit physical address "
            "space (ends at 0x%llx): lower <maxMemory> (or [hypervisor] default_max_memory_kib for "
            "domains without it)"),
          name.c_str(), (ull)d.base, (ull)(d.base + d.size - 1), bits, (ull)limit);
}

struct Interval {
    uint64_t start, end;  // [start, end)
    const PlacedNvdimm *dev;
};

} // namespace

uint64_t nvdimmWindowBase(const conf::DomainXml &dom)
{
    const uint64_t ceiling_kib = dom.maxMemoryKiB().value_or(dom.totalMemoryKiB());
    return alignUp(kLayoutFourGiB + ceiling_kib * 1024 + kBarReserve, kLayoutWindowAlign);
}

uint64_t nvdimmGuestSize(const conf::NvdimmDef &def)
{
    const uint64_t size = def.size_kib * 1024;
    const uint64_t label = def.label_size_kib * 1024;
    const uint64_t area = size > label ? alignDown(size - label, kSuperpageSize) : 0;
    if (area == 0)
        raise(ErrorCode::ConfigUnsupported,
              _("%s: target size minus label size must be at least 2 MiB"),
              conf::describeNvdimm(def).c_str());
    return area;
}

unsigned guestPhysAddrBits(Hypervisor &hv, const conf::DomainXml &dom)
{
    try {
        const DomainInfo info = hv.lookupByName(dom.name());
        return hv.physAddrBits(info);
    } catch (const Error &) {
        // Not known to the hypervisor (or the lookup failed): a new domain.
    }
    try {
        return hv.defaultPhysAddrBits(dom.osType() == "xenpvh" ? DomainKind::Pvh : DomainKind::Hvm);
    } catch (const Error &) {
        return 0;
    }
}

namespace {

// Without a resolver: the placement only (every check that needs no host).
GuestLayout planLayout(conf::DomainXml &dom, BackingResolver *resolverOrNull, const LayoutOptions &options)
{
    GuestLayout layout;
    const auto &defs = dom.nvdimms();
    layout.hotplug_irq = options.hotplug_irq;
    if (defs.empty()) {
        // No NVDIMM yet: an HVM guest with slots still gets the hotplug
        // tables, so the first one can be attached while it runs.
        if (dom.osType() == "hvm" && dom.maxMemorySlots() > 0) {
            layout.memory_slots = dom.maxMemorySlots();
            layout.has_vnuma = !dom.numaCells().empty();
            layout.window_base = options.window_base.value_or(nvdimmWindowBase(dom));
        }
        return layout;
    }
    layout.kind = guestKind(dom);
    layout.has_vnuma = !dom.numaCells().empty();
    layout.window_base = options.window_base.value_or(nvdimmWindowBase(dom));
    layout.memory_slots = dom.maxMemorySlots();

    std::vector<PlacedNvdimm> devs;
    for (size_t i = 0; i < defs.size(); i++) {
        PlacedNvdimm d;
        d.index = i;
        d.name = conf::describeNvdimm(defs[i]);
        d.readonly = defs[i].readonly;
        if (layout.has_vnuma)
            d.node = defs[i].node;
        if (defs[i].node && !layout.has_vnuma)
            raise(ErrorCode::ConfigUnsupported,
                  _("can't add memory backend as guest has no NUMA nodes configured"));
        if (defs[i].node && *defs[i].node >= dom.numaCells().size())
            raise(ErrorCode::ConfigUnsupported,
                  _("can't add memory backend for guest node '%u' as the guest has only '%zu' NUMA nodes configured"),
                  *defs[i].node, dom.numaCells().size());
        if (defs[i].path.empty())
            raise(ErrorCode::ConfigUnsupported, _("path is required for model 'nvdimm'"));
        d.size = nvdimmGuestSize(defs[i]);
        devs.push_back(std::move(d));
    }
    assignSlots(dom, devs, options.occupied);
    for (auto &d : devs)
        d.name = conf::describeNvdimm(defs[d.index], d.slot);

    // What the guest has beyond the XML stays where it is.
    std::vector<PlacedNvdimm> held;
    for (const auto &o : options.occupied) {
        PlacedNvdimm h;
        h.name = o.slot == OccupiedNvdimm::kNoSlot
                     ? strprintf(_("the NVDIMM the guest has at 0x%llx"), (ull)o.base)
                     : strprintf(_("the NVDIMM the guest has in slot %u"), o.slot);
        h.slot = o.slot;
        h.base = o.base;
        h.size = o.size;
        held.push_back(h);
    }
    auto addHeld = [&held](std::vector<Interval> &to) {
        for (auto &h : held)
            to.push_back({h.base, h.base + h.size, &h});
    };

    // Explicit bases first: aligned, inside the window, no overlaps.
    std::vector<Interval> taken;
    addHeld(taken);
    auto overlapCheck = [&](const PlacedNvdimm &d) {
        for (const auto &t : taken)
            if (d.base < t.end && t.start < d.base + d.size)
                raise(ErrorCode::ConfigUnsupported,
                      _("%s at 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx"),
                      d.name.c_str(), (ull)d.base, (ull)(d.base + d.size - 1),
                      t.dev->name.c_str(), (ull)t.start, (ull)(t.end - 1));
    };
    for (auto &d : devs) {
        const uint64_t base = defs[d.index].address.base;
        if (!defs[d.index].address.present || base == 0)
            continue;
        if (base % kSuperpageSize)
            raise(ErrorCode::ConfigUnsupported,
                  _("%s: base address 0x%llx is not aligned to 2 MiB"),
                  d.name.c_str(), (ull)base);
        if (base < layout.window_base)
            raise(ErrorCode::ConfigUnsupported,
                  _("%s: base address 0x%llx is below 0x%llx, where guest RAM and PCI BARs may be"),
                  d.name.c_str(), (ull)base, (ull)layout.window_base);
        if (base > kGuestPhysLimit || d.size > kGuestPhysLimit - base)
            raise(ErrorCode::ConfigUnsupported,
                  _("%s: base address 0x%llx puts it beyond the guest physical address limit"),
                  d.name.c_str(), (ull)base);
        d.base = base;
        overlapCheck(d);
        taken.push_back({d.base, d.base + d.size, &d});
    }

    // The rest in slot order, first fit from the window base.
    std::sort(devs.begin(), devs.end(),
              [](const PlacedNvdimm &a, const PlacedNvdimm &b) { return a.slot < b.slot; });
    // `taken` points into devs; rebuild it after the sort.
    taken.clear();
    addHeld(taken);
    for (auto &d : devs)
        if (d.base)
            taken.push_back({d.base, d.base + d.size, &d});
    for (auto &d : devs) {
        if (d.base)
            continue;
        uint64_t candidate = layout.window_base;
        bool moved = true;
        while (moved) {
            moved = false;
            for (const auto &t : taken)
                if (candidate < t.end && t.start < candidate + d.size) {
                    candidate = alignUp(t.end, kSuperpageSize);
                    moved = true;
                }
        }
        if (candidate > kGuestPhysLimit || d.size > kGuestPhysLimit - candidate)
            raise(ErrorCode::ConfigUnsupported,
                  _("%s does not fit below the guest physical address limit"),
                  d.name.c_str());
        d.base = candidate;
        taken.push_back({d.base, d.base + d.size, &d});
    }

    for (const auto &d : devs) {
        const auto &def = defs[d.index];
        const std::string name = conf::nvdimmAliasOr(def, d.slot);
        checkGuestAddressWidth(d, name, def.address.present && def.address.base != 0,
                               options.phys_addr_bits);
    }

    if (!resolverOrNull)
        return layout;
    BackingResolver &resolver = *resolverOrNull;

    // Backings -> iomem ranges.
    std::vector<Interval> host_taken;
    for (size_t i = 0; i < held.size(); i++)
        if (options.occupied[i].nr)
            host_taken.push_back({options.occupied[i].mfn * kPageSize,
                                  (options.occupied[i].mfn + options.occupied[i].nr) * kPageSize, &held[i]});
    bool warned_4k = false;
    for (auto &d : devs) {
        d.backing = resolver.resolve(defs[d.index]);
        checkBackingCoversDevice(d);
        computeRanges(d);
        checkHostRangesArePmem(d, options.namespaces);
        for (const auto &r : d.ranges) {
            host_taken.push_back({r.mfn * kPageSize, (r.mfn + r.nr) * kPageSize, &d});
            if (!r.superpage && !warned_4k) {
                warned_4k = true;
                xlnv::warn(_("%s: host range 0x%llx-0x%llx is not 2 MiB aligned; "
                             "it is mapped with 4 KiB entries (slower to map, more page-table memory)"),
                           d.name.c_str(), (ull)(r.mfn * kPageSize),
                           (ull)((r.mfn + r.nr) * kPageSize - 1));
            }
        }
        if (layout.kind == GuestKind::Pvh)
            xlnv::warn(_("domain '%s' is PVH: %s is mapped at guest addresses 0x%llx-0x%llx "
                         "but gets no NFIT (libxl loads acpi_firmware for HVM guests only); "
                         "give the guest kernel the NFIT and SSDT through its ACPI table upgrade "
                         "(domxml-to-native writes them as nvdimm-acpi-upgrade.cpio to put in "
                         "front of the initrd; see formatdomain-nvdimm)"),
                       dom.name().c_str(), d.name.c_str(), (ull)d.base,
                       (ull)(d.base + d.size - 1));
    }

    // One host frame, one guest frame: sorted, any overlap is a neighbour.
    std::sort(host_taken.begin(), host_taken.end(),
              [](const Interval &a, const Interval &b) { return a.start < b.start; });
    for (size_t i = 1; i < host_taken.size(); i++) {
        const Interval &a = host_taken[i - 1], &b = host_taken[i];
        if (b.start < a.end)
            raise(ErrorCode::OperationInvalid,
                  _("%s and %s share host frames 0x%llx-0x%llx"),
                  a.dev->name.c_str(), b.dev->name.c_str(),
                  (ull)b.start, (ull)(std::min(a.end, b.end) - 1));
    }

    for (const auto &d : devs)
        dom.setNvdimmAddress(d.index, conf::DimmAddress{true, d.slot, d.base});
    layout.devices = std::move(devs);
    return layout;
}

} // namespace

GuestLayout planGuestLayout(conf::DomainXml &dom, BackingResolver &resolver,
                            const LayoutOptions &options)
{
    return planLayout(dom, &resolver, options);
}

void checkGuestPlacement(conf::DomainXml &dom)
{
    planLayout(dom, nullptr, {});
}

unsigned nvdimmHotplugIrq(const Config &config)
{
    const uint64_t irq = config.getUInt("guest", "nvdimm_hotplug_irq", 13);
    if (irq == 0 || irq == 2 || irq > 15)
        raise(ErrorCode::ConfigUnsupported,
              _("[guest] nvdimm_hotplug_irq must be an ISA IRQ (1, 3-15), not %llu"), (ull)irq);
    return static_cast<unsigned>(irq);
}

} // namespace xlnv::libxl
