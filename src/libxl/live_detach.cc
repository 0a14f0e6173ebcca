// Detach one NVDIMM: live (the guest agrees to release it, then unmap,
// revoke, unpin, restore labels, update its ACPI data, record) and/or
// from the persistent definition. A failure in process puts every step
// back; a killed process is finished from the journal (the guest had
// already let the device go).
#include <fcntl.h>
#include <unistd.h>

#include "libxl/domain_locks.h"
#include "pmem/host_backings.h"
#include "util/state_dir.h"
#include "libxl/nvdimm_driver_private.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "pmem/pin.h"

namespace xlnv::libxl {

namespace {

long findDevice(const conf::DomainXml &dom, const conf::NvdimmDef *match, const std::string &alias)
{
    return match ? conf::findNvdimmByDef(dom.nvdimms(), *match) : dom.findNvdimmByAlias(alias);
}

[[noreturn]] void notFound(const conf::NvdimmDef *match, const std::string &alias)
{
    if (match && match->alias.empty())
        raise(ErrorCode::OperationFailed, "%s", _("matching memory device was not found"));
    raise(ErrorCode::OperationFailed, _("no device found with alias %s"),
          (match ? match->alias : alias).c_str());
}

} // namespace

std::string NvdimmDriver::Impl::detach(const DomainInfo &info, const conf::NvdimmDef *match,
                                       const std::string &alias, bool live, bool config, bool force)
{
    const std::string &name = info.name;
    std::string target = alias;

    std::optional<std::string> configBefore;
    std::optional<std::string> configAfter;
    if (config) {
        configBefore = persistentXml(name);
        if (!configBefore)
            raise(ErrorCode::OperationInvalid, "%s", _("transient domains do not have any persistent config"));
        conf::DomainXml pers = conf::DomainXml::parseString(*configBefore, conf::NVDIMM_INACTIVE);
        long idx = findDevice(pers, match, alias);
        if (idx < 0 && !match && info.domid) {
            // Persistent definitions keep no "nvdimmN" aliases: find the
            // live device's twin by path and size.
            conf::DomainXml liveDom = conf::DomainXml::parseString(liveXml(info), 0);
            long li = liveDom.findNvdimmByAlias(alias);
            if (li >= 0) {
                conf::NvdimmDef twin = liveDom.nvdimms()[static_cast<size_t>(li)];
                twin.alias.clear();
                idx = conf::findNvdimmByDef(pers.nvdimms(), twin);
            }
        }
        if (idx < 0)
            notFound(match, alias);
        if (target.empty())
            target = pers.nvdimms()[static_cast<size_t>(idx)].alias;
        pers.removeNvdimm(static_cast<size_t>(idx));
        configAfter = pers.format();
    }

    if (!live) {
        liveStep("detach: update the persistent definition");
        conn.definitions().define(name, *configAfter);
        if (target.empty() && match)
            target = match->alias.empty() ? match->path : match->alias;
        return target;
    }

    Hypervisor &hv = conn.hypervisor();
    const uint32_t domid = *info.domid;
    const std::string liveBefore = liveXml(info);
    conf::DomainXml work = conf::DomainXml::parseString(liveBefore, 0);
    long idx = findDevice(work, match, alias);
    if (idx < 0)
        notFound(match, alias);
    target = work.nvdimms()[static_cast<size_t>(idx)].alias;
    DomainStatus st = loadOrNew(info);
    if (!st.find(target))
        raise(ErrorCode::OperationFailed,
              _("NVDIMM '%s' of domain '%s' was not attached by this host's toolstack; no status to detach it"),
              target.c_str(), name.c_str());
    const DomainStatus before = st;

    // The guest must let go first.
    if (!force)
        conn.hypervisor().requestEject(info, target, options.eject_timeout_ms);

    std::optional<BackingLock> backingLock;
    try {
        UndoStack undo;
        PendingOperation p;
        p.op = "detach";
        p.alias = target;
        p.config = config;
        st.pending = p;
        if (config)
            writeFileAtomic(store.domainDir(name) + "/config-after.xml", *configAfter);
        store.save(st);
        const DeviceStatus dev = *st.find(target);
        // The inode the attach was given, whatever the path names now.
        auto held = std::make_shared<UniqueFd>(reopenDeviceBacking(st, dev));
        if (*held)
            backingLock.emplace(conn.stateDir(), held->get(), dev.host_object);

        for (auto it = dev.ranges.rbegin(); it != dev.ranges.rend(); ++it) {
            const IomemRange r = *it;
            liveStep("detach: unmap range");
            hv.unmapMemory(domid, r.gfn, r.mfn, r.nr);
            undo.push([&hv, domid, r] { hv.mapMemory(domid, r.gfn, r.mfn, r.nr); });
        }
        for (auto it = dev.ranges.rbegin(); it != dev.ranges.rend(); ++it) {
            const IomemRange r = *it;
            liveStep("detach: revoke iomem permission");
            hv.revokeIomem(domid, r.mfn, r.nr);
            undo.push([&hv, domid, r] { hv.grantIomem(domid, r.mfn, r.nr); });
        }

        liveStep("detach: unpin backing");
        if (*held) {
            const PinKind kind = dev.host_object == dev.path ? PinKind::Auto : PinKind::ClaimOnly;
            releasePinRecord(held->get(), conn.stateDir(), name);
            undo.push([this, held, obj = dev.host_object, kind, name] {
                BackingPin::acquire(held->get(), obj, conn.stateDir(), name, kind).persist();
            });
        }

        liveStep("detach: restore security labels");
        if (*held) {
            const auto &sm = securityManager();
            const security::BackingRequest req = backingRequest(dev, held->get());
            sm.restoreBackings(domainRef(st), securityPlan(st, work), {req}, false);
            undo.push([this, &st, held, req, liveBefore] {
                securityManager().labelBackings(domainRef(st), securityPlan(st, liveBefore), {req});
            });
        }

        liveStep("detach: update the guest's ACPI data");
        st.find(target)->in_guest = false;
        undo.push([this, &before] {
            DomainStatus b = before;
            publishGuest(b);
        });
        publishGuest(st, domid);

        liveStep("detach: update the live XML");
        work.removeNvdimm(static_cast<size_t>(idx));
        undo.push([this, &st, name, liveBefore] { setLiveXml(name, st, liveBefore); });
        setLiveXml(name, st, work.format());

        if (config) {
            liveStep("detach: update the persistent definition");
            undo.push([this, name, text = *configBefore] { conn.definitions().define(name, text); });
            conn.definitions().define(name, *configAfter);
        }

        liveStep("detach: record the status");
        // The guest's FIT keeps the entry until it reboots (Linux cannot
        // drop one): its slot and guest range stay taken.
        if (st.fit_page)
            st.occupied.push_back({dev.slot, dev.base, dev.size, 0, 0});
        std::erase_if(st.devices, [&](const DeviceStatus &d) { return d.alias == target; });
        st.pending.reset();
        unlink((store.domainDir(name) + "/config-after.xml").c_str());
        saveOrRemove(st);
        undo.commit();
    } catch (...) {
        unlink((store.domainDir(name) + "/config-after.xml").c_str());
        saveOrRemove(before);
        throw;
    }
    queueEvent(DeviceEventKind::Removed, name, st.uuid, target);
    return target;
}

} // namespace xlnv::libxl
