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
#include "libxl/nvdimm_driver_private.h"
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
    ProvisioningResolver(HostBackings &backings, std::string path, uint64_t size)
        : backings_(backings), path_(std::move(path)), size_(size)
    {
    }
    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        if (def.path == path_ && !made) {
            made = backings_.provision(path_, size_);
            return made->resolved;
        }
        return backings_.resolve(def);
    }
    std::optional<ProvisionedFile> made;

private:
    HostBackings &backings_;
    std::string path_;
    uint64_t size_;
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
        conf::validateDomain(pers);
        conf::validateXenRules(pers);
    }

    DomainStatus st;
    std::optional<DomainStatus> before;
    std::string liveBefore;
    HostBackings &hb = conn.backingResolver();
    Hypervisor &hv = conn.hypervisor();
    std::optional<BackingLock> backingLock;
    try {
        UndoStack undo;
        if (live) {
            st = loadOrNew(info);
            before = st;
            const uint32_t domid = *info.domid;
            liveBefore = liveXml(info);
            conf::DomainXml work = conf::DomainXml::parseString(liveBefore, 0);
            conf::validateNvdimm(def, work.arch());
            if (auto max = work.maxMemoryKiB(); max && work.totalMemoryKiB() + def.size_kib > *max)
                raise(ErrorCode::ConfigUnsupported,
                      _("Attaching memory device with size '%llu' would exceed domain's maxMemory config size '%llu'"),
                      (ull)def.size_kib, (ull)*max);
            for (const auto &d : work.nvdimms())
                if (!def.alias.empty() && d.alias == def.alias)
                    raise(ErrorCode::OperationInvalid, _("non unique alias detected: %s"), def.alias.c_str());
            work.addNvdimm(def);
            const size_t index = work.nvdimms().size() - 1;

            // A backing another domain holds is refused before anything
            // is provisioned (a pinned file cannot be opened to fill it).
            const std::string hostObject = hb.hostObject(def.path);
            if (UniqueFd probe(open(hostObject.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)); probe)
                if (auto holder = pinHolder(probe.get(), conn.stateDir()))
                    raise(ErrorCode::OperationInvalid,
                          holder->owner == name ? _("NVDIMM backing '%s' is already attached to domain '%s'")
                                                : _("NVDIMM backing '%s' is in use by domain '%s'"),
                          def.path.c_str(), holder->owner.c_str());

            PendingOperation p;
            p.op = "attach";
            p.config = config;
            struct stat sb;
            if (lstat(def.path.c_str(), &sb) < 0)
                p.may_create.push_back(def.path);
            st.pending = p;
            store.save(st);

            liveStep("attach: provision backing");
            ProvisioningResolver resolver(hb, def.path, def.size_kib * 1024);
            GuestLayout layout;
            try {
                LayoutOptions lo;
                lo.phys_addr_bits = physBits;   // checked before the backing is provisioned
                layout = planGuestLayout(work, resolver, lo);
            } catch (...) {
                if (resolver.made && resolver.made->created)
                    hb.discardCreated(def.path, resolver.made->ino);
                throw;
            }
            if (resolver.made && resolver.made->created)
                undo.push([&hb, path = def.path, ino = resolver.made->ino] { hb.discardCreated(path, ino); });

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

            backingLock.emplace(conn.stateDir(), hostObject);
            DeviceStatus ds = DeviceStatus::fromPlaced(*dev, alias, def.path, hostObject);
            ds.created_file = resolver.made && resolver.made->created;
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
            auto self = [&st, alias]() -> DeviceStatus & { return *st.find(alias); };

            liveStep("attach: label backing");
            store.save(st);
            {
                auto sm = securityManager();
                const auto plan = securityPlan(st, liveBefore);
                sm.labelBackings(domainRef(st), plan, {security::BackingRequest{hostObject}});
                undo.push([this, &st, hostObject, liveBefore] {
                    securityManager().restoreBackings(domainRef(st), securityPlan(st, liveBefore),
                                                      {security::BackingRequest{hostObject}}, false);
                });
            }

            liveStep("attach: pin backing");
            {
                UniqueFd fd(open(hostObject.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                if (!fd)
                    raiseSystem(errno, _("cannot open NVDIMM backing '%s'"), hostObject.c_str());
                BackingPin::acquire(fd.get(), hostObject, conn.stateDir(), name, hb.pinKind(def.path)).persist();
                undo.push([this, hostObject, name] {
                    UniqueFd f(open(hostObject.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                    if (f)
                        releasePinRecord(f.get(), conn.stateDir(), name);
                });
            }

            for (const auto &r : self().ranges) {
                liveStep("attach: grant iomem permission");
                hv.grantIomem(domid, r.mfn, r.nr);
                undo.push([&hv, domid, r] { hv.revokeIomem(domid, r.mfn, r.nr); });
            }

            for (const auto &r : self().ranges) {
                liveStep("attach: map range");
                hv.mapMemory(domid, r.gfn, r.mfn, r.nr);
                undo.push([&hv, domid, r] { hv.unmapMemory(domid, r.gfn, r.mfn, r.nr); });
            }

            liveStep("attach: update the guest's ACPI data");
            undo.push([this, &before] {
                DomainStatus b = *before;
                publishGuest(b);
            });
            publishGuest(st);

            liveStep("attach: update the live XML");
            undo.push([this, &st, name, liveBefore] { setLiveXml(name, st, liveBefore); });
            setLiveXml(name, st, work.format());
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
            conf::validateDomain(pers);
            conf::validateXenRules(pers);
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
            queueEvent(DeviceEventKind::Added, name, st.uuid, alias);
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
