#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "acpi/firmware.h"
#include "acpi/fit_page.h"
#include "acpi/nfit.h"
#include "acpi/ssdt.h"
#include "libxl/libxl_config.h"
#include "libxl/domain_locks.h"
#include "pmem/host_backings.h"
#include "hypervisor/domain_xml.h"
#include "hypervisor/mapping_ledger.h"
#include "util/state_dir.h"
#include "libxl/nvdimm_driver_private.h"
#include "security/remembered_label.h"
#include "security/seclabel_def.h"
#include "util/config.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/fault_injection.h"
#include "util/fd.h"
#include "util/safe_open.h"
#include "util/i18n.h"
#include "util/log.h"
#include "pmem/pin.h"
#include "util/strutil.h"

namespace xlnv::libxl {

UndoStack::~UndoStack()
{
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
        try {
            (*it)();
        } catch (const std::exception &e) {
            // The first error is what the caller reports; keep undoing.
            warn(_("rollback step failed: %s"), e.what());
        }
    }
}

void liveStep(const char *what)
{
    checkInterrupted();
    fault::point(fault::Domain::Live, what);
}

NvdimmDriver::Impl::Impl(Connection &c, DriverOptions o)
    : conn(c), options(o), store(c.stateDir()), events(c.stateDir())
{
}

void NvdimmDriver::Impl::sweepSharedTemps(bool always)
{
    std::lock_guard<std::mutex> guard(sweepLock);
    if (swept && !always)
        return;
    const std::string state = conn.stateDir();
    for (const std::string &dir : {state + "/pmem-pins", state + "/security", state + "/definitions",
                                   state + "/domains", state})
        removeStaleTemps(dir);
    swept = true;
}

void NvdimmDriver::Impl::queueEvent(DeviceEventKind kind, const std::string &domain,
                                    const std::string &uuid, const std::string &alias,
                                    std::optional<bool> guestNotified)
{
    DeviceEvent e;
    e.guest_notified = guestNotified;
    e.kind = kind;
    e.domain = domain;
    e.uuid = uuid;
    e.alias = alias;
    queued.push_back(std::move(e));
}

void NvdimmDriver::Impl::flushEvents()
{
    std::vector<DeviceEvent> out;
    out.swap(queued);
    for (auto &e : out) {
        try {
            events.append(e);
        } catch (const std::exception &ex) {
            warn(_("cannot record event for domain '%s': %s"), e.domain.c_str(), ex.what());
        }
        std::vector<EventCallback> cbs;
        {
            std::lock_guard<std::mutex> guard(callbackLock);
            for (const auto &[id, cb] : callbacks)
                cbs.push_back(cb);
        }
        for (const auto &cb : cbs) {
            try {
                cb(e);
            } catch (const std::exception &ex) {
                warn(_("event callback failed: %s"), ex.what());
            } catch (...) {
                warn(_("event callback failed"));
            }
        }
    }
}

std::string NvdimmDriver::Impl::liveXml(const DomainInfo &info)
{
    // A domain someone else created from our prepare (libvirt, the hook)
    // has its live XML in the status, on the simulated host too.
    if (auto st = store.load(info.name); st && !st->xml.empty())
        return st->xml;
    if (auto xml = conn.hypervisor().liveDefinition(info.name))
        return *xml;
    // A running simulated domain always has a live definition; on Xen the
    // persistent one is the best guess for a domain we never changed.
    if (auto xml = conn.definitions().get(info.name))
        return *xml;
    return minimalDefinition(info);
}

void NvdimmDriver::Impl::setLiveXml(const std::string &name, DomainStatus &status, const std::string &xml)
{
    // A backend that keeps live definitions has it; the status keeps it
    // too where it already did (a domain prepared for someone else).
    if (conn.hypervisor().storeLiveDefinition(name, xml) && status.xml.empty())
        return;
    status.xml = xml;
}

std::optional<std::string> NvdimmDriver::Impl::persistentXml(const std::string &name)
{
    return conn.definitions().get(name);
}

std::optional<uint32_t> NvdimmDriver::Impl::activeDomid(const DomainStatus &status)
{
    if (!status.domid)
        return std::nullopt;
    try {
        DomainInfo info = conn.hypervisor().lookupByName(status.name);
        if (info.domid && *info.domid == *status.domid && info.state != DomainState::Shutoff &&
            (status.uuid.empty() || info.uuid.empty() || info.uuid == status.uuid))
            return info.domid;
    } catch (const Error &e) {
        if (e.code() != ErrorCode::NoDomain)
            throw;
    }
    return std::nullopt;
}

const security::SecurityManager &NvdimmDriver::Impl::securityManager() const
{
    std::lock_guard<std::mutex> guard(securityLock);
    if (!security)
        security.emplace(security::SecurityManager::fromConfig(conn.config(), conn.stateDir()));
    return *security;
}

security::DomainRef NvdimmDriver::Impl::domainRef(const DomainStatus &status) const
{
    return security::DomainRef{status.name, status.uuid, status.label_domid};
}

security::SecurityPlan NvdimmDriver::Impl::securityPlan(const DomainStatus &status,
                                                        const std::string &xml) const
{
    if (xml.empty())
        return securityManager().plan(domainRef(status), {});
    return securityPlan(status, conf::DomainXml::parseString(xml, 0));
}

security::SecurityPlan NvdimmDriver::Impl::securityPlan(const DomainStatus &status,
                                                        const conf::DomainXml &dom) const
{
    return securityManager().plan(domainRef(status), security::parseDomainSeclabels(dom.doc()));
}

void NvdimmDriver::Impl::publishGuest(DomainStatus &status, std::optional<uint32_t> domid)
{
    const GuestLayout layout = status.guestLayout();
    const acpi::Bytes blob = buildLayoutFirmware(layout);
    const std::string path = store.acpiPath(status.name);
    if (blob.empty()) {
        if (unlink(path.c_str()) < 0 && errno != ENOENT)
            raiseSystem(errno, _("cannot remove '%s'"), path.c_str());
        status.acpi_firmware.clear();
    } else {
        makeDirectories(store.domainDir(status.name));
        // Derived from the status, rewritten whenever the layout changes:
        // no fsync (a host crash ends the domain that reads it).
        writeFileAtomic(path, std::string(blob.begin(), blob.end()), 0600, Durability::Volatile);
        status.acpi_firmware = path;
    }
    if (!domid)
        domid = activeDomid(status);
    if (domid) {
        GuestNvdimmView view;
        for (const auto &d : layout.devices)
            view.nvdimms.push_back({d.name, d.base, d.size});
        view.acpi_firmware = status.acpi_firmware;
        view.acpi_firmware_bytes = blob.size();
        conn.hypervisor().publishGuestView(*domid, view);
    }
}

void NvdimmDriver::Impl::teardownDevice(DomainStatus &status, const DeviceStatus &dev, bool removeCreated)
{
    Hypervisor &hv = conn.hypervisor();
    if (auto domid = activeDomid(status); domid && (dev.mapped || dev.granted)) {
        // Only what exists now: a killed attach may have mapped part.
        std::vector<MemoryMapping> unmap;
        for (const auto &m : hv.mappings(*domid))
            for (const auto &r : dev.ranges)
                if (rangesOverlap(m.gfn, m.nr, r.gfn, r.nr)) {
                    const auto [start, nr] = rangeIntersection(m.gfn, m.nr, r.gfn, r.nr);
                    unmap.push_back({start, m.mfn + (start - m.gfn), nr});
                }
        std::sort(unmap.begin(), unmap.end(),
                  [](const MemoryMapping &a, const MemoryMapping &b) { return a.gfn > b.gfn; });
        for (const auto &m : unmap) {
            liveStep("unmap");
            hv.unmapMemory(*domid, m.gfn, m.mfn, m.nr);
        }
        std::vector<IomemPermission> revoke;
        for (const auto &p : hv.iomemPermissions(*domid))
            for (const auto &r : dev.ranges)
                if (rangesOverlap(p.mfn, p.nr, r.mfn, r.nr)) {
                    const auto [start, nr] = rangeIntersection(p.mfn, p.nr, r.mfn, r.nr);
                    revoke.push_back({start, nr});
                }
        std::sort(revoke.begin(), revoke.end(),
                  [](const IomemPermission &a, const IomemPermission &b) { return a.mfn > b.mfn; });
        for (const auto &p : revoke) {
            liveStep("revoke iomem permission");
            hv.revokeIomem(*domid, p.mfn, p.nr);
        }
    }
    if (dev.pinned || dev.labeled) {
        UniqueFd fd = reopenDeviceBacking(status, dev);
        if (dev.pinned && fd) {
            liveStep("unpin");
            // The intent is saved before the pin: a backing another domain
            // holds was never pinned by this one.
            if (auto holder = pinHolder(fd.get(), conn.stateDir()); holder && holder->owner == status.name)
                releasePinRecord(fd.get(), conn.stateDir(), status.name);
        }
        if (dev.labeled && fd) {
            liveStep("restore security labels");
            const auto &sm = securityManager();
            bool remembered = !sm.options().remember_owner;
            for (const char *driver : {"dac", "selinux"}) {
                const auto view = security::viewRemembered(fd.get(), dev.host_object, driver);
                if (view.refcount) {
                    remembered = true;
                } else if (view.label || view.timestamp) {
                    // A labeling killed while it wrote its record: the label
                    // itself was never applied; drop the torn record.
                    security::removeRemembered(fd.get(), dev.host_object, driver);
                }
            }
            // With remembered owners and no record, the backing was never labeled.
            if (remembered)
                sm.restoreBackings(domainRef(status), securityPlan(status, ""),
                                   {backingRequest(dev, fd.get())}, false);
        }
    }
    if (removeCreated && dev.created_file)
        removeMaybeCreated(status, {dev.path});
}

void NvdimmDriver::Impl::removeMaybeCreated(const DomainStatus &status, const std::vector<std::string> &paths)
{
    HostBackings &hb = conn.backingResolver();
    for (const auto &path : paths) {
        bool inUse = false;
        for (const auto &d : status.devices)
            if (d.path == path && d.pinned)
                inUse = true;
        if (inUse)
            continue;
        UniqueFd fd;
        try {
            fd = hb.probe(path);
        } catch (const Error &) {
            continue;   // outside the roots: never ours
        }
        struct stat st;
        if (!fd || fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (pinHolder(fd.get(), conn.stateDir()))
            continue;
        liveStep("remove created backing file");
        hb.discardCreated(path, static_cast<uint64_t>(st.st_ino));
    }
}

void NvdimmDriver::Impl::recordBootTables(DomainStatus &status, const GuestLayout &layout)
{
    status.memory_slots = layout.memory_slots;
    status.hotplug_irq = layout.hotplug_irq;
    status.fit_page = layout.hotplug() ? acpi::fitPageAddress(layout.window_base) : 0;
    status.fit = buildLayoutFit(layout);
    status.fit_known = true;
    status.fit_generation = 0;
    status.occupied.clear();
}

void NvdimmDriver::Impl::learnGuestTables(DomainStatus &status, uint32_t domid)
{
    if (status.fit_known)
        return;
    status.fit_known = true;
    bool ours = false;
    for (const auto &d : status.devices)
        ours = ours || d.in_guest;
    if (ours) {
        // Prepared by an older version of this tool: static tables only.
        status.fit = buildLayoutFit(status.guestLayout());
        return;
    }
    const BuiltNvdimms built = conn.hypervisor().builtNvdimms(domid);
    std::optional<acpi::NvdimmHotplug> hp;
    try {
        for (const auto &t : acpi::splitAcpiTables(built.acpi_firmware)) {
            if (auto fit = acpi::nfitStructures(t))
                status.fit = *fit;
            else if (auto h = acpi::parseHotplugSsdt(t))
                hp = h;
        }
        for (const auto &d : acpi::parseFit(status.fit))
            status.occupied.push_back({d.slot, d.spa, d.size, 0, 0});
    } catch (const Error &e) {
        xlnv::warn(_("domain %u: its ACPI tables cannot be read (%s); its NVDIMMs are known from its iomem ranges only"),
                   domid, e.what());
        status.fit.clear();
        status.occupied.clear();
        hp.reset();
    }
    if (hp) {
        status.fit_page = hp->fit_page;
        status.hotplug_irq = hp->irq;
        status.memory_slots = hp->slots;
        // Our window for this domain may be computed from other limits
        // than the tables were (xl's domain has no <maxMemory>): the FIT
        // page itself is never handed out.
        status.occupied.push_back({OccupiedNvdimm::kNoSlot, hp->fit_page, acpi::kFitPageSize, 0, 0});
    }
    // Every iomem range: its guest frames and host frames are taken.
    for (const auto &m : built.iomem)
        status.occupied.push_back({OccupiedNvdimm::kNoSlot, m.gfn * kPageSize, m.nr * kPageSize, m.mfn, m.nr});
}

std::vector<uint8_t> NvdimmDriver::Impl::fitWith(const DomainStatus &status, const DeviceStatus &dev) const
{
    GuestLayout one;
    one.has_vnuma = status.has_vnuma;
    one.devices.push_back(dev.toPlaced());
    std::vector<uint8_t> fit = status.fit;
    const acpi::Bytes add = buildLayoutFit(one);
    fit.insert(fit.end(), add.begin(), add.end());
    if (status.fit_page && fit.size() > acpi::kFitPageCapacity)
        raise(ErrorCode::ConfigUnsupported,
              _("domain '%s' cannot take NVDIMM '%s' while it runs: its FIT page holds %u bytes (%u NVDIMMs), "
                "and its NVDIMM table would need %zu"),
              status.name.c_str(), dev.alias.c_str(), acpi::kFitPageCapacity, acpi::kFitPageMaxNvdimms, fit.size());
    return fit;
}

bool NvdimmDriver::Impl::notifyGuest(DomainStatus &status, uint32_t domid, const std::vector<uint8_t> &fit)
{
    // A guest without our hotplug tables (not prepared by this tool, or
    // not HVM) has nothing to read a FIT page with: it sees the device
    // after its next boot. The status and event say so.
    if (!status.fit_page || status.kind != GuestKind::Hvm)
        return false;
    const uint32_t generation = status.fit_generation + 2;
    const acpi::Bytes page = acpi::buildFitPage(generation, fit);
    const NvdimmNotification n =
        conn.hypervisor().notifyNvdimmChange(domid, status.fit_page / kPageSize, page, status.hotplug_irq);
    status.fit = fit;
    status.fit_generation = generation;
    return n.notified;
}

void NvdimmDriver::Impl::refuseUnenforcedReadonly(const conf::NvdimmDef &def) const
{
    // The simulator follows Xen's rule: never let a user believe a guest
    // is held read-only when it is not.
    if (def.readonly && !options.advisory_readonly)
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM '%s' asks for <readonly/>, but Xen cannot map it read-only "
                "(XEN_DOMCTL_memory_mapping has no read-only mode): the guest could still write it; "
                "set [hypervisor] advisory_readonly = true to accept a read-only flag in the NFIT only"),
              def.path.c_str());
}

void NvdimmDriver::Impl::refuseHeldBacking(const std::string &domain, const std::string &path,
                                           bool sameDomainToo)
{
    UniqueFd probe;
    try {
        probe = conn.backingResolver().probe(path);
    } catch (const Error &) {
        return;   // refused with its own words when it is opened
    }
    if (!probe)
        return;
    if (auto holder = pinHolder(probe.get(), conn.stateDir()))
        if (sameDomainToo || holder->owner != domain)
            raise(ErrorCode::OperationInvalid,
                  holder->owner == domain ? _("NVDIMM backing '%s' is already attached to domain '%s'")
                                          : _("NVDIMM backing '%s' is in use by domain '%s'"),
                  path.c_str(), holder->owner.c_str());
}

security::BackingRequest backingRequest(const DeviceStatus &dev, int fd)
{
    security::BackingRequest r{dev.host_object, fd};
    r.relabel_dac = dev.relabel_dac;
    r.relabel_selinux = dev.relabel_selinux;
    return r;
}

void setRelabel(DeviceStatus &dev, const conf::NvdimmDef &def)
{
    dev.relabel_dac = def.relabel("dac");
    dev.relabel_selinux = def.relabel("selinux");
}

void NvdimmDriver::Impl::labelAndPin(DomainStatus &st, const std::vector<HeldDevice> &devs,
                                     const security::SecurityPlan &plan, bool releaseDomainOnUndo,
                                     const char *labelStep, const char *pinStep, UndoStack &undo)
{
    // Labels and pin act on the descriptor each backing was opened as;
    // the requests keep their holders alive for the undo steps.
    std::vector<security::BackingRequest> requests;
    std::vector<HeldRef> keep;
    for (const auto &d : devs) {
        security::BackingRequest r = d.request;
        r.path = d.held->object;
        r.fd = d.held->fd.get();
        requests.push_back(r);
        keep.push_back(d.held);
    }
    // Each step's intent is on disk before the step runs; a caller that
    // recorded it already (attach records every step at once) costs no
    // further write.
    const auto recorded = [&st](const HeldDevice &d) {
        const DeviceStatus *ds = st.find(d.alias);
        return ds && ds->labeled && ds->pinned;
    };
    liveStep(labelStep);
    if (!std::all_of(devs.begin(), devs.end(), recorded))
        store.save(st);
    if (!requests.empty()) {
        securityManager().labelBackings(domainRef(st), plan, requests);
        undo.push([this, &st, plan, requests, keep, releaseDomainOnUndo] {
            securityManager().restoreBackings(domainRef(st), plan, requests, releaseDomainOnUndo);
        });
    }
    for (const auto &d : devs) {
        liveStep(pinStep);
        if (!st.find(d.alias)->pinned) {
            st.find(d.alias)->pinned = true;
            store.save(st);
        }
        BackingPin::acquire(d.held->fd.get(), d.held->object, conn.stateDir(), st.name, d.held->pin_kind)
            .persist();
        undo.push([this, held = d.held, name = st.name] {
            releasePinRecord(held->fd.get(), conn.stateDir(), name);
        });
    }
}

UniqueFd NvdimmDriver::Impl::reopenDeviceBacking(const DomainStatus &st, const DeviceStatus &dev)
{
    UniqueFd obj = conn.backingResolver().reopen(dev.inode, dev.host_object);
    if (obj) {
        try {
            return reopenForIo(obj.get(), O_RDONLY, dev.host_object);
        } catch (const Error &e) {
            warn("%s", e.what());
        }
    }
    warn(_("the backing of NVDIMM '%s' of domain '%s' (inode %llu) is gone or '%s' now names another "
           "file; that file is left alone"),
         dev.alias.c_str(), st.name.c_str(), static_cast<unsigned long long>(dev.inode.ino),
         dev.host_object.c_str());
    return UniqueFd();
}

void NvdimmDriver::Impl::saveOrRemove(const DomainStatus &status)
{
    // A guest with hotplug tables keeps its record (and its blob, which
    // libxl loads at creation) until release, even with no device: the
    // FIT it holds only ever grows.
    const bool holdsFit = status.fit_page != 0;
    if (status.devices.empty() && !status.pending && status.xml.empty() && !holdsFit)
        store.remove(status.name);
    else
        store.save(status);
}

DomainStatus NvdimmDriver::Impl::loadOrNew(const DomainInfo &info)
{
    if (auto st = store.load(info.name)) {
        if (info.domid && !st->domid) {
            // Prepared by the hook, created by libxl since: adopt it.
            st->domid = info.domid;
            st->state = "running";
            return *st;
        }
        if (info.domid && st->domid != info.domid) {
            // A status left from an earlier run of this domain: its
            // mappings went with it; what is left is released first.
            releaseLocked(info.name, false);
        } else {
            return *st;
        }
    }
    DomainStatus s;
    s.name = info.name;
    s.uuid = info.uuid;
    s.state = info.domid ? "running" : "prepared";
    s.domid = info.domid;
    s.label_domid = info.domid.value_or(0);
    return s;
}

bool NvdimmDriver::Impl::recover(const std::string &name)
{
    // Temporary files of writes a kill interrupted (their process is
    // gone): litter, never read. The domain's own directory on every
    // operation on it; the shared ones once per driver.
    removeStaleTemps(store.domainDir(name));
    sweepSharedTemps(false);
    auto loaded = store.load(name);
    if (!loaded || !loaded->pending) {
        // Kept beside a journal entry that was never written: nothing to finish.
        unlink((store.domainDir(name) + "/config-before.xml").c_str());
        unlink((store.domainDir(name) + "/config-after.xml").c_str());
        rmdir(store.domainDir(name).c_str());   // only when empty
        return false;
    }
    DomainStatus st = *loaded;
    const PendingOperation p = *st.pending;

    if (p.op == "attach" || p.op == "detach") {
        const bool attach = p.op == "attach";
        if (DeviceStatus *dev = st.find(p.alias)) {
            DeviceStatus copy = *dev;
            teardownDevice(st, copy, attach);
            st.devices.erase(std::remove_if(st.devices.begin(), st.devices.end(),
                                            [&](const DeviceStatus &d) { return d.alias == p.alias; }),
                             st.devices.end());
        }
        if (attach)
            removeMaybeCreated(st, p.may_create);
        // The live XML without the device.
        if (auto domid = activeDomid(st)) {
            DomainInfo info = conn.hypervisor().lookupByName(name);
            conf::DomainXml live = conf::DomainXml::parseString(liveXml(info), 0);
            long idx = live.findNvdimmByAlias(p.alias);
            if (idx >= 0) {
                live.removeNvdimm(static_cast<size_t>(idx));
                setLiveXml(name, st, live.format());
            }
            (void)domid;
        }
        // The persistent definition: back as it was (attach), or
        // without the device (detach).
        // (Both are kept beside the journal before the definition changes.)
        if (p.config && attach && p.config_done)
            if (auto text = readFileIfExists(store.domainDir(name) + "/config-before.xml"))
                conn.definitions().define(name, *text);
        if (p.config && !attach)
            if (auto text = readFileIfExists(store.domainDir(name) + "/config-after.xml"))
                conn.definitions().define(name, *text);
        unlink((store.domainDir(name) + "/config-before.xml").c_str());
        unlink((store.domainDir(name) + "/config-after.xml").c_str());
        st.pending.reset();
        publishGuest(st);
        if (!attach)
            queueEvent(DeviceEventKind::Removed, st.name, st.uuid, p.alias);
        saveOrRemove(st);
        return true;
    }

    // start / prepare: roll back; destroy / release: finish.
    const bool rollback = p.op == "start" || p.op == "prepare";
    if ((p.op == "start" && p.started) || p.op == "destroy")
        if (auto domid = activeDomid(st))
            conn.hypervisor().destroyDomain(*domid);
    if (rollback)
        removeMaybeCreated(st, p.may_create);
    releaseLocked(name, rollback);
    return true;
}

} // namespace xlnv::libxl
