// Attach one NVDIMM: live (validate against the running domain, lay it
// out beside the devices it has, provision, label, pin, grant, map,
// update the guest's ACPI data, record) and/or in the persistent
// definition. Each step is journaled before it runs and undone in
// reverse when a later one fails.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libxl/domain_locks.h"
#include "pmem/host_backings.h"
#include "util/state_dir.h"
#include "libxl/libxl_config.h"
#include "libxl/nvdimm_driver_private.h"
#include "util/config.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "pmem/pin.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

using ull = unsigned long long;

// Provisions the new device's backing when the layout asks for it; the
// devices the domain has already are only resolved.
class ProvisioningResolver : public BackingResolver {
public:
    ProvisioningResolver(HostBackings &backings, std::string path, uint64_t size, const ProgressFn &progress)
        : backings_(backings), path_(std::move(path)), size_(size), progress_(progress)
    {
    }
    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        if (def.path == path_ && !made) {
            made = std::make_shared<HeldBacking>(backings_.hold(path_, size_, progress_));
            return made->resolved;
        }
        return backings_.resolve(def);
    }
    HeldRef made;   // the new device's backing, held open

private:
    HostBackings &backings_;
    std::string path_;
    uint64_t size_;
    const ProgressFn &progress_;
};

} // namespace

// Placement in a persistent definition needs no host: every device gets
// a stand-in backing of its own size at host addresses nobody shares.
class PlaceholderResolver : public BackingResolver {
public:
    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        ResolvedBacking b;
        b.path = def.path;
        b.size = def.size_kib * 1024;
        b.extents.push_back({0, (next_++) << 40, b.size});
        b.superpage = true;
        return b;
    }

private:
    uint64_t next_ = 1;
};

std::string NvdimmDriver::Impl::attach(const DomainInfo &info, const std::string &deviceXml, bool live,
                                       bool config)
{
    const std::string &name = info.name;
    conf::NvdimmDef def = conf::parseNvdimmString(deviceXml, conf::NVDIMM_INACTIVE, "device XML");
    std::string alias;
    std::optional<conf::DimmAddress> placed;
    // The guest's address width bounds every placement below (0: unknown).
    const unsigned physBits = conn.hypervisor().physAddrBits(info);

    // Persistent side first as a dry run, so a definition that cannot
    // take the device is refused before the live domain is touched.
    std::optional<std::string> configBefore;
    if (config) {
        configBefore = persistentXml(name);
        if (!configBefore)
            raise(ErrorCode::OperationInvalid, "%s", _("transient domains do not have any persistent config"));
        conf::DomainXml pers = conf::DomainXml::parseString(*configBefore, conf::NVDIMM_INACTIVE);
        conf::validateNvdimm(def, pers.arch());
        pers.addNvdimm(def);
        PlaceholderResolver ph;
        LayoutOptions lo;
        lo.phys_addr_bits = physBits;
        planGuestLayout(pers, ph, lo);
        validateWithoutHost(pers);
        conf::validateXenRules(pers);   // its PVH warning
    }

    DomainStatus st;
    std::optional<DomainStatus> before;
    std::string liveBefore;
    HostBackings &hb = conn.backingResolver();
    Hypervisor &hv = conn.hypervisor();
    std::optional<BackingLock> backingLock;
    bool notified = false;
    try {
        UndoStack undo;
        if (live) {
            st = loadOrNew(info);
            before = st;
            const uint32_t domid = *info.domid;
            liveBefore = liveXml(info);
            conf::DomainXml work = conf::DomainXml::parseString(liveBefore, 0);
            // Read before the new device is added (its tree would be built).
            const auto seclabels = security::parseDomainSeclabels(work.doc());
            conf::validateNvdimm(def, work.arch());
            refuseUnenforcedReadonly(def);
            if (auto max = work.maxMemoryKiB(); max && work.totalMemoryKiB() + def.size_kib > *max)
                raise(ErrorCode::ConfigUnsupported,
                      _("Attaching memory device with size '%llu' would exceed domain's maxMemory config size '%llu'"),
                      (ull)def.size_kib, (ull)*max);
            for (const auto &d : work.nvdimms())
                if (!def.alias.empty() && d.alias == def.alias)
                    raise(ErrorCode::OperationInvalid, _("non unique alias detected: %s"), def.alias.c_str());
            work.addNvdimm(def);
            const size_t index = work.nvdimms().size() - 1;
            // What the guest already has beyond the live XML (an xl-created
            // domain's boot NVDIMMs, force-detached ones still in its FIT):
            // refused as slots, guest and host ranges before anything is
            // provisioned or any hypervisor call.
            learnGuestTables(st, domid);

            // A backing another domain holds is refused before anything
            // is provisioned (a pinned file cannot be opened to fill it).
            refuseHeldBacking(name, def.path, true);

            PendingOperation p;
            p.op = "attach";
            p.config = config;
            if (UniqueFd now = hb.probe(def.path); !now && errno == ENOENT)
                p.may_create.push_back(def.path);
            st.pending = p;
            // Recovery needs this record before provisioning only to
            // remove a file the attach may create; otherwise the intent is
            // written once, with the device, below.
            if (!p.may_create.empty())
                store.save(st);

            liveStep("attach: provision backing");
            ProvisioningResolver resolver(hb, def.path, def.size_kib * 1024, options.progress);
            GuestLayout layout;
            try {
                LayoutOptions lo;
                lo.phys_addr_bits = physBits;   // checked before the backing is provisioned
                lo.occupied = st.occupied;
                lo.hotplug_irq = st.fit_page ? st.hotplug_irq : nvdimmHotplugIrq(conn.config());
                layout = planGuestLayout(work, resolver, lo);
            } catch (...) {
                if (resolver.made)
                    hb.discard(*resolver.made);
                throw;
            }
            HeldRef held = resolver.made;
            if (!held)
                raise(ErrorCode::Internal, _("the new NVDIMM was not placed"));
            // Created or grown: put back as it was on failure.
            undo.push([&hb, held] { hb.discard(*held); });

            const PlacedNvdimm *dev = nullptr;
            for (const auto &d : layout.devices)
                if (d.index == index)
                    dev = &d;
            if (!dev)
                raise(ErrorCode::Internal, _("the new NVDIMM was not placed"));
            alias = conf::nvdimmAliasOr(def, dev->slot);
            if (long other = work.findNvdimmByAlias(alias); other >= 0 && static_cast<size_t>(other) != index)
                raise(ErrorCode::OperationInvalid, _("non unique alias detected: %s"), alias.c_str());
            work.setNvdimmAlias(index, alias);
            placed = conf::DimmAddress{true, dev->slot, dev->base};

            backingLock.emplace(conn.stateDir(), held->fd.get(), held->object);
            DeviceStatus ds = DeviceStatus::fromPlaced(*dev, alias, def.path, held->object);
            ds.inode = held->id;
            ds.created_file = held->created;
            ds.host_file = held->hostFile();
            setRelabel(ds, def);
            // Checked before any hypervisor call: the FIT page has room.
            const std::vector<uint8_t> nextFit = fitWith(st, ds);
            st.kind = layout.kind;
            st.window_base = layout.window_base;
            st.has_vnuma = layout.has_vnuma;
            st.domid = domid;
            st.state = "running";
            st.pending->alias = alias;
            // Every step's intent in one write: undoing a step that never
            // ran is a no-op (teardown looks at what exists), so recovery
            // needs no write per step.
            ds.labeled = ds.pinned = ds.granted = ds.mapped = ds.in_guest = true;
            st.devices.push_back(ds);
            store.save(st);
            auto self = [&st, alias]() -> DeviceStatus & { return *st.find(alias); };

            const auto plan = securityManager().plan(domainRef(st), seclabels);
            report(ProgressPhase::Labelling, name);
            labelAndPin(st, {HeldDevice{alias, held, backingRequest(ds)}}, plan, false,
                        "attach: label backing", "attach: pin backing", undo);

            for (const auto &r : self().ranges) {
                liveStep("attach: grant iomem permission");
                hv.grantIomem(domid, r.mfn, r.nr);
                undo.push([&hv, domid, r] { hv.revokeIomem(domid, r.mfn, r.nr); });
            }

            const uint64_t nranges = self().ranges.size();
            uint64_t mapped = 0;
            for (const auto &r : self().ranges) {
                liveStep("attach: map range");
                hv.mapMemory(domid, r.gfn, r.mfn, r.nr);
                undo.push([&hv, domid, r] { hv.unmapMemory(domid, r.gfn, r.mfn, r.nr); });
                report(ProgressPhase::Mapping, name, ++mapped, nranges);
            }

            liveStep("attach: update the guest's ACPI data");
            undo.push([this, &before] {
                DomainStatus b = *before;
                publishGuest(b);
            });
            publishGuest(st, domid);

            liveStep("attach: update the live XML");
            undo.push([this, &st, name, liveBefore] { setLiveXml(name, st, liveBefore); });
            setLiveXml(name, st, work.format());

            // Last: once the guest has read the new FIT it keeps those
            // entries, so nothing after this may need undoing in it.
            liveStep("attach: notify the guest");
            notified = notifyGuest(st, domid, nextFit);
            self().notified = notified;
            // Should a later step fail, the guest keeps the entries: the
            // record rolled back to keeps them too (as after a forced detach).
            before->fit = st.fit;
            before->fit_generation = st.fit_generation;
            if (st.fit_page)
                before->occupied.push_back({self().slot, self().base, self().size, 0, 0});
            if (config)   // else the final record follows at once
                store.save(st);
        }

        if (config) {
            conf::DomainXml pers = conf::DomainXml::parseString(*configBefore, conf::NVDIMM_INACTIVE);
            conf::NvdimmDef cdef = def;
            if (placed)
                cdef.address = *placed;
            pers.addNvdimm(cdef);
            PlaceholderResolver ph;
            LayoutOptions lo;
            lo.phys_addr_bits = physBits;
            GuestLayout layout = planGuestLayout(pers, ph, lo);
            validateWithoutHost(pers);
            conf::validateXenRules(pers);   // its PVH warning
            if (alias.empty())
                for (const auto &d : layout.devices)
                    if (d.index == pers.nvdimms().size() - 1)
                        alias = conf::nvdimmAliasOr(def, d.slot);
            liveStep("attach: update the persistent definition");
            if (live) {
                writeFileAtomic(store.domainDir(name) + "/config-before.xml", *configBefore);
                st.pending->config_done = true;
                store.save(st);
            }
            undo.push([this, name, text = *configBefore] { conn.definitions().define(name, text); });
            conn.definitions().define(name, pers.format());
        }

        if (live) {
            liveStep("attach: record the status");
            st.pending.reset();
            store.save(st);
            unlink((store.domainDir(name) + "/config-before.xml").c_str());
            queueEvent(DeviceEventKind::Added, name, st.uuid, alias, notified);
        }
        undo.commit();
    } catch (...) {
        if (live && before) {
            unlink((store.domainDir(name) + "/config-before.xml").c_str());
            saveOrRemove(*before);
        }
        throw;
    }
    return alias;
}

} // namespace xlnv::libxl
