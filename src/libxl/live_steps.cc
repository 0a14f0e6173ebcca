#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

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
#include "util/fault_injection.h"
#include "util/fd.h"
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
    fault::point(fault::Domain::Live, what);
}

NvdimmDriver::Impl::Impl(Connection &c, DriverOptions o)
    : conn(c), options(o), store(c.stateDir()), events(c.stateDir())
{
}

void NvdimmDriver::Impl::queueEvent(DeviceEventKind kind, const std::string &domain,
                                    const std::string &uuid, const std::string &alias)
{
    DeviceEvent e;
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
    Hypervisor &hv = conn.hypervisor();
    if (auto xml = hv.liveDefinition(info.name))
        return *xml;
    if (auto st = store.load(info.name); st && !st->xml.empty())
        return st->xml;
    // A running simulated domain always has a live definition; on Xen the
    // persistent one is the best guess for a domain we never changed.
    if (auto xml = conn.definitions().get(info.name))
        return *xml;
    return minimalDefinition(info);
}

void NvdimmDriver::Impl::setLiveXml(const std::string &name, DomainStatus &status, const std::string &xml)
{
    if (!conn.hypervisor().storeLiveDefinition(name, xml))
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

security::SecurityManager NvdimmDriver::Impl::securityManager() const
{
    return security::SecurityManager::fromConfig(conn.config(), conn.stateDir());
}

security::DomainRef NvdimmDriver::Impl::domainRef(const DomainStatus &status) const
{
    return security::DomainRef{status.name, status.uuid, status.label_domid};
}

security::SecurityPlan NvdimmDriver::Impl::securityPlan(const DomainStatus &status,
                                                        const std::string &xml) const
{
    std::vector<security::SeclabelDef> seclabels;
    if (!xml.empty()) {
        conf::DomainXml dom = conf::DomainXml::parseString(xml, 0);
        seclabels = security::parseDomainSeclabels(dom.doc());
    }
    return securityManager().plan(domainRef(status), seclabels);
}

void NvdimmDriver::Impl::publishGuest(DomainStatus &status)
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
        writeFileAtomic(path, std::string(blob.begin(), blob.end()));
        status.acpi_firmware = path;
    }
    if (auto domid = activeDomid(status)) {
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
    if (dev.pinned) {
        liveStep("unpin");
        UniqueFd fd(open(dev.host_object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        // The intent is saved before the pin: a backing another domain
        // holds was never pinned by this one.
        if (fd)
            if (auto holder = pinHolder(fd.get(), conn.stateDir()); holder && holder->owner == status.name)
                releasePinRecord(fd.get(), conn.stateDir(), status.name);
    }
    if (dev.labeled && access(dev.host_object.c_str(), F_OK) == 0) {
        liveStep("restore security labels");
        auto sm = securityManager();
        bool remembered = !sm.options().remember_owner;
        for (const char *driver : {"dac", "selinux"}) {
            const auto view = security::viewRemembered(dev.host_object, driver);
            if (view.refcount) {
                remembered = true;
            } else if (view.label || view.timestamp) {
                // A labeling killed while it wrote its record: the label
                // itself was never applied; drop the torn record.
                UniqueFd fd(open(dev.host_object.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
                if (fd)
                    security::removeRemembered(fd.get(), dev.host_object, driver);
            }
        }
        // With remembered owners and no record, the backing was never labeled.
        if (remembered)
            sm.restoreBackings(domainRef(status), securityPlan(status, ""),
                               {security::BackingRequest{dev.host_object}}, false);
    }
    if (removeCreated && dev.created_file)
        removeMaybeCreated(status, {dev.path});
}

void NvdimmDriver::Impl::removeMaybeCreated(const DomainStatus &status, const std::vector<std::string> &paths)
{
    for (const auto &path : paths) {
        bool inUse = false;
        for (const auto &d : status.devices)
            if (d.path == path && d.pinned)
                inUse = true;
        struct stat st;
        if (inUse || lstat(path.c_str(), &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd && pinHolder(fd.get(), conn.stateDir()))
            continue;
        liveStep("remove created backing file");
        conn.backingResolver().discardCreated(path, static_cast<uint64_t>(st.st_ino));
    }
}

void NvdimmDriver::Impl::saveOrRemove(const DomainStatus &status)
{
    if (status.devices.empty() && !status.pending && status.xml.empty())
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
    auto loaded = store.load(name);
    if (!loaded || !loaded->pending)
        return false;
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
