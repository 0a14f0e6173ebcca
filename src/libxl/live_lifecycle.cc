// Domain lifecycle as far as NVDIMMs go: prepare (before the domain is
// created: provision, label, pin, ACPI blob), release (after it is gone),
// and on the simulated host start (prepare + build the domain from our
// libxl config, as libxl would) and destroy.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "libxl/libxl_config.h"
#include "libxl/domain_locks.h"
#include "pmem/host_backings.h"
#include "util/state_dir.h"
#include "libxl/nvdimm_driver_private.h"
#include "util/error.h"
#include "util/config.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "pmem/pin.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

// Provisions every backing the layout asks for, remembering what it made.
class ProvisionAll : public BackingResolver {
public:
    ProvisionAll(HostBackings &backings, const ProgressFn &progress) : backings_(backings), progress_(progress) {}
    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        auto it = made.find(def.path);
        if (it == made.end())
            it = made.emplace(def.path, std::make_shared<HeldBacking>(
                                            backings_.hold(def.path, def.size_kib * 1024, progress_))).first;
        return it->second->resolved;
    }
    std::map<std::string, HeldRef> made;   // by path, held open

private:
    HostBackings &backings_;
    const ProgressFn &progress_;
};

std::string lowerCase(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

} // namespace

PreparedDomain NvdimmDriver::Impl::prepareLocked(conf::DomainXml &dom, const std::string &op,
                                                 UndoStack &undo, DomainStatus &st)
{
    conf::validateDomain(dom);
    conf::validateXenRules(dom, conf::kXenRulesNoPvhWarning);
    const std::string name = dom.name();
    HostBackings &hb = conn.backingResolver();
    const unsigned physBits = guestPhysAddrBits(conn.hypervisor(), dom);

    st = DomainStatus{};
    st.name = name;
    st.uuid = lowerCase(dom.uuid());
    st.state = "prepared";
    PendingOperation p;
    p.op = op;
    for (const auto &d : dom.nvdimms())
        refuseUnenforcedReadonly(d);
    for (const auto &d : dom.nvdimms()) {
        if (d.path.empty())
            continue;
        if (UniqueFd now = hb.probe(d.path); !now && errno == ENOENT)
            p.may_create.push_back(d.path);
        refuseHeldBacking(name, d.path, false);
    }
    st.pending = p;
    store.save(st);

    liveStep("prepare: provision backings");
    ProvisionAll resolver(hb, options.progress);
    LayoutOptions lo;
    lo.phys_addr_bits = physBits;   // checked before any backing is provisioned
    lo.hotplug_irq = nvdimmHotplugIrq(conn.config());
    GuestLayout layout;
    try {
        layout = planGuestLayout(dom, resolver, lo);
    } catch (...) {
        for (const auto &[path, held] : resolver.made)
            hb.discard(*held);
        throw;
    }
    for (const auto &[path, held] : resolver.made)
        undo.push([&hb, held = held] { hb.discard(*held); });

    std::vector<HeldDevice> held;
    for (const auto &d : layout.devices) {
        const auto &def = dom.nvdimms()[d.index];
        const std::string alias = conf::nvdimmAliasOr(def, d.slot);
        dom.setNvdimmAlias(d.index, alias);
        const HeldRef h = resolver.made.at(def.path);
        DeviceStatus ds = DeviceStatus::fromPlaced(d, alias, def.path, h->object);
        ds.inode = h->id;
        ds.created_file = h->created;
        ds.host_file = h->hostFile();
        ds.labeled = true;
        setRelabel(ds, def);
        st.devices.push_back(ds);
        held.push_back(HeldDevice{alias, h, backingRequest(ds)});
    }
    st.kind = layout.kind;
    st.window_base = layout.window_base;
    st.has_vnuma = layout.has_vnuma;
    recordBootTables(st, layout);

    // Backing locks in one order, so two domains never wait on each other.
    std::map<std::pair<uint64_t, uint64_t>, HeldRef> objects;
    for (const auto &h : held)
        objects.emplace(std::make_pair(h.held->id.dev, h.held->id.ino), h.held);
    std::vector<std::unique_ptr<BackingLock>> locks;
    for (const auto &[key, h] : objects)
        locks.push_back(std::make_unique<BackingLock>(conn.stateDir(), h->fd.get(), h->object));

    const std::string xml = dom.format();
    if (!held.empty())
        report(ProgressPhase::Labelling, name);
    labelAndPin(st, held, securityPlan(st, xml), true, "prepare: label backings", "prepare: pin backing",
                undo);

    liveStep("prepare: write the ACPI blob");
    for (auto &d : st.devices)
        d.in_guest = true;
    undo.push([this, name] { unlink(store.acpiPath(name).c_str()); });
    publishGuest(st);
    store.save(st);

    PreparedDomain out;
    out.name = name;
    out.xml = xml;
    out.layout = std::move(layout);
    out.acpi_firmware_path = st.acpi_firmware;
    return out;
}

void NvdimmDriver::Impl::releaseLocked(const std::string &name, bool removeCreated)
{
    auto loaded = store.load(name);
    if (!loaded)
        return;
    DomainStatus st = *loaded;
    if (!st.pending) {
        PendingOperation p;
        p.op = "release";
        st.pending = p;
        store.save(st);
    }
    bool anyLabeled = false;
    while (!st.devices.empty()) {
        const DeviceStatus dev = st.devices.back();
        anyLabeled = anyLabeled || dev.labeled;
        teardownDevice(st, dev, removeCreated);
        st.devices.pop_back();
        store.save(st);
    }
    if (anyLabeled) {
        // The domain is gone: free its MCS pair, if it had one.
        const auto plan = securityPlan(st, "");
        securityManager().restoreBackings(domainRef(st), plan, {}, true);
    }
    if (auto domid = activeDomid(st))
        conn.hypervisor().publishGuestView(*domid, GuestNvdimmView{});
    liveStep("release: remove the status");
    unlink((store.domainDir(name) + "/config-before.xml").c_str());
    unlink((store.domainDir(name) + "/config-after.xml").c_str());
    store.remove(name);
}

DomainInfo NvdimmDriver::Impl::start(const std::string &name, bool paused)
{
    Hypervisor &hv = conn.hypervisor();
    hv.checkLifecycle(LifecycleOp::Start);
    DomainInfo info = hv.lookupByName(name);
    if (info.state != DomainState::Shutoff)
        raise(ErrorCode::OperationInvalid, "%s", _("domain is already running"));
    auto xml = conn.definitions().get(name);
    if (!xml)
        raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), name.c_str());
    // Whatever an earlier run left (its domain is gone) goes first.
    releaseLocked(name, false);

    conf::DomainXml dom = conf::DomainXml::parseString(*xml, 0);
    DomainStatus st;
    try {
        UndoStack undo;
        PreparedDomain prepared = prepareLocked(dom, "start", undo, st);

        liveStep("start: create the domain");
        st.pending->started = true;
        store.save(st);
        const uint32_t domid = hv.startDomain(name, paused);
        undo.push([&hv, domid] { hv.destroyDomain(domid); });
        st.domid = domid;
        st.state = "running";
        store.save(st);
        hv.storeLiveDefinition(name, prepared.xml);

        // Exactly what libxl gets from us: iomem ranges + acpi_firmware.
        DomainConfig cfg;
        fillBaseConfig(*cfg.get(), dom);
        fillNvdimmConfig(*cfg.get(), prepared.layout, prepared.acpi_firmware_path);
        for (auto &d : st.devices)
            d.granted = d.mapped = true;
        store.save(st);
        const libxl_domain_build_info &b = cfg.get()->b_info;
        const uint64_t nranges = static_cast<uint64_t>(b.num_iomem);
        for (int i = 0; i < b.num_iomem; i++) {
            const libxl_iomem_range &r = b.iomem[i];
            liveStep("start: grant iomem permission");
            conn.hypervisor().grantIomem(domid, r.start, r.number);
            liveStep("start: map range");
            conn.hypervisor().mapMemory(domid, r.gfn, r.start, r.number);
            report(ProgressPhase::Mapping, name, static_cast<uint64_t>(i) + 1, nranges);
        }

        liveStep("start: tell the guest");
        publishGuest(st);
        st.pending.reset();
        saveOrRemove(st);
        undo.commit();
    } catch (...) {
        store.remove(name);
        throw;
    }
    return conn.hypervisor().lookupByName(name);
}

void NvdimmDriver::Impl::destroy(const std::string &name)
{
    DomainInfo info = conn.hypervisor().lookupByName(name);
    if (!info.domid || info.state == DomainState::Shutoff)
        raise(ErrorCode::OperationInvalid, "%s", _("domain is not running"));
    conn.hypervisor().checkLifecycle(LifecycleOp::Destroy);
    auto st = store.load(name);
    if (st) {
        PendingOperation p;
        p.op = "destroy";
        st->pending = p;
        store.save(*st);
    }
    try {
        liveStep("destroy: destroy the domain");
    } catch (...) {
        if (st) {
            st->pending.reset();
            store.save(*st);
        }
        throw;
    }
    conn.hypervisor().destroyDomain(*info.domid);
    // From here on the domain is gone: finish, even after a failure.
    try {
        releaseLocked(name, false);
    } catch (...) {
        try {
            releaseLocked(name, false);
        } catch (...) {
        }
        throw;
    }
}

} // namespace xlnv::libxl
