#include "sim/sim_hypervisor.h"

#include <algorithm>
#include <cctype>

#include <chrono>
#include <thread>

#include "util/error.h"
#include "util/fault_injection.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
    return s;
}

} // namespace

SimHypervisor::SimHypervisor(std::shared_ptr<SimHost> host) : host_(std::move(host)) {}

std::vector<DomainInfo> SimHypervisor::listDomains(bool includeInactive)
{
    SimHost::Session s(*host_, false);
    std::vector<DomainInfo> out;
    for (const auto &d : s.domains())
        if (includeInactive || d.state != DomainState::Shutoff)
            out.push_back(d);
    return out;
}

DomainInfo SimHypervisor::lookupByName(const std::string &name)
{
    SimHost::Session s(*host_, false);
    for (const auto &d : s.domains())
        if (d.name == name)
            return d;
    raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), name.c_str());
}

DomainInfo SimHypervisor::lookupByUuid(const std::string &uuid)
{
    SimHost::Session s(*host_, false);
    for (const auto &d : s.domains())
        if (!d.uuid.empty() && lower(d.uuid) == lower(uuid))
            return d;
    raise(ErrorCode::NoDomain, _("no domain with matching uuid '%s'"), uuid.c_str());
}

DomainInfo SimHypervisor::lookupById(uint32_t domid)
{
    SimHost::Session s(*host_, false);
    return s.activeDomain(domid);
}

void SimHypervisor::grantIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    fault::point(fault::Domain::Sim, "iomem_permission grant");
    SimHost::Session s(*host_, true);
    const DomainInfo &dom = s.activeDomain(domid);
    if (nr == 0)
        raise(ErrorCode::InvalidArg, _("an iomem range must not be empty"));
    if (!host_->namespaceForFrames(mfn, nr))
        raise(ErrorCode::InvalidArg,
              _("host frames %s are not in a persistent memory namespace of this host"),
              frameRange(mfn, nr).c_str());
    s.state().ledger.addIomem(domid, mfn, nr);
    s.state().ledger.record(domid).uuid = dom.uuid;
    s.state().counters.iomem_grant_calls++;
    s.commit();
}

void SimHypervisor::revokeIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    fault::point(fault::Domain::Sim, "iomem_permission revoke");
    SimHost::Session s(*host_, true);
    const DomainInfo &dom = s.activeDomain(domid);
    for (const auto &m : s.state().ledger.mappings(domid))
        if (rangesOverlap(m.mfn, m.nr, mfn, nr))
            raise(ErrorCode::OperationInvalid,
                  _("host frames %s are still mapped into domain '%s'; unmap them first"),
                  frameRange(std::max(m.mfn, mfn), std::min(m.mfn + m.nr, mfn + nr) - std::max(m.mfn, mfn)).c_str(),
                  dom.name.c_str());
    s.state().ledger.removeIomem(domid, mfn, nr);
    s.state().counters.iomem_revoke_calls++;
    s.commit();
}

uint64_t SimHypervisor::mappingCallLocked(SimHost::Session &s, uint32_t domid, uint64_t gfn,
                                          uint64_t mfn, uint64_t nr, bool add, Caller caller)
{
    requireToolstack(caller, domid);
    const DomainInfo &dom = s.activeDomain(domid);
    if (dom.kind == DomainKind::Pv)
        raise(ErrorCode::OperationUnsupported,
              _("memory mapping needs an HVM or PVH domain; domain '%s' is PV"), dom.name.c_str());
    if (nr == 0)
        return 0;
    fault::point(fault::Domain::Sim, add ? "memory_mapping add" : "memory_mapping remove");
    const BatchPlan plan = planMappingBatch(gfn, mfn, nr);
    const uint64_t n = plan.frames;
    SimState &st = s.state();

    if (!add) {
        if (!st.ledger.removeMapping(domid, {gfn, mfn, n}))
            raise(ErrorCode::OperationInvalid,
                  _("guest frames %s of domain '%s' are not mapped to host frames %s"),
                  frameRange(gfn, n).c_str(), dom.name.c_str(), frameRange(mfn, n).c_str());
        st.counters.unmap_calls++;
        st.counters.unmap_entries_4k += plan.entries_4k;
        st.counters.unmap_entries_2m += plan.entries_2m;
        return n;
    }

    if (!host_->namespaceForFrames(mfn, n))
        raise(ErrorCode::InvalidArg,
              _("host frames %s are not in a persistent memory namespace of this host"),
              frameRange(mfn, n).c_str());
    if (!st.ledger.iomemCovers(domid, mfn, n))
        raise(ErrorCode::AccessDenied,
              _("domain '%s' has no iomem permission for host frames %s"),
              dom.name.c_str(), frameRange(mfn, n).c_str());
    if (dom.phys_addr_bits && dom.phys_addr_bits < 64 && gfn + n > (1ull << dom.phys_addr_bits) / kPageSize)
        raise(ErrorCode::ConfigUnsupported,
              _("guest frames %s are beyond the %u-bit physical address space of domain '%s'"),
              frameRange(gfn, n).c_str(), dom.phys_addr_bits, dom.name.c_str());
    for (const auto &r : dom.ram)
        if (rangesOverlap(r.gfn, r.nr, gfn, n))
            raise(ErrorCode::OperationInvalid,
                  _("guest frames %s overlap the RAM of domain '%s'"),
                  frameRange(gfn, n).c_str(), dom.name.c_str());
    if (auto m = st.ledger.findGuestOverlap(domid, gfn, n))
        raise(ErrorCode::OperationInvalid,
              _("guest frames %s of domain '%s' overlap its existing mapping of guest frames %s"),
              frameRange(gfn, n).c_str(), dom.name.c_str(), frameRange(m->gfn, m->nr).c_str());
    if (auto hit = st.ledger.findHostOverlap(mfn, n)) {
        std::string owner = strprintf("%u", hit->first);
        for (const auto &d : s.domains())
            if (d.domid && *d.domid == hit->first)
                owner = d.name;
        raise(ErrorCode::OperationInvalid,
              _("host frames %s are already mapped into domain '%s'"),
              frameRange(mfn, n).c_str(), owner.c_str());
    }
    st.ledger.addMapping(domid, {gfn, mfn, n});
    st.ledger.record(domid).uuid = dom.uuid;
    st.counters.map_calls++;
    st.counters.entries_4k += plan.entries_4k;
    st.counters.entries_2m += plan.entries_2m;
    return n;
}

uint64_t SimHypervisor::mappingCall(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                                    bool add, Caller caller)
{
    requireToolstack(caller, domid);
    SimHost::Session s(*host_, true);
    const uint64_t done = mappingCallLocked(s, domid, gfn, mfn, nr, add, caller);
    s.commit();
    return done;
}

void SimHypervisor::mapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    SimHost::Session s(*host_, true);
    uint64_t done = 0;
    try {
        while (done < nr)
            done += mappingCallLocked(s, domid, gfn + done, mfn + done, nr - done, true, caller);
    } catch (const Error &) {
        // Undo what this request mapped, last batch first, then report.
        const auto batches = planMappingBatches(gfn, mfn, done);
        for (auto it = batches.rbegin(); it != batches.rend(); ++it)
            mappingCallLocked(s, domid, gfn + it->offset, mfn + it->offset, it->frames, false, caller);
        s.commit();
        throw;
    }
    s.commit();
}

void SimHypervisor::unmapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    SimHost::Session s(*host_, true);
    const DomainInfo &dom = s.activeDomain(domid);
    // Check the whole range first so a refused unmap changes nothing.
    MappingLedger probe = s.state().ledger;
    if (nr && !probe.removeMapping(domid, {gfn, mfn, nr}))
        raise(ErrorCode::OperationInvalid,
              _("guest frames %s of domain '%s' are not mapped to host frames %s"),
              frameRange(gfn, nr).c_str(), dom.name.c_str(), frameRange(mfn, nr).c_str());
    const auto batches = planMappingBatches(gfn, mfn, nr);
    for (auto it = batches.rbegin(); it != batches.rend(); ++it)
        mappingCallLocked(s, domid, gfn + it->offset, mfn + it->offset, it->frames, false, caller);
    s.commit();
}

std::vector<MemoryMapping> SimHypervisor::mappings(uint32_t domid)
{
    SimHost::Session s(*host_, false);
    s.activeDomain(domid);
    return s.state().ledger.mappings(domid);
}

std::vector<IomemPermission> SimHypervisor::iomemPermissions(uint32_t domid)
{
    SimHost::Session s(*host_, false);
    s.activeDomain(domid);
    return s.state().ledger.iomem(domid);
}

unsigned SimHypervisor::defaultPhysAddrBits(DomainKind)
{
    return host_->description().phys_bits;
}

uint32_t SimHypervisor::startDomain(const std::string &name, bool paused)
{
    SimHost::Session s(*host_, true);
    auto &rt = s.state().domains[name];
    for (const auto &d : s.domains())
        if (d.name == name) {
            if (d.state != DomainState::Shutoff)
                raise(ErrorCode::OperationInvalid, _("domain is already running"));
            const auto xml = host_->definitions().get(name);
            if (!xml)
                break;
            host_->liveDefinitions().define(name, *xml);
            rt.domid = s.state().next_domid++;
            rt.state = paused ? DomainState::Paused : DomainState::Running;
            s.state().ledger.forget(*rt.domid);
            s.state().guest_views.erase(name);
            s.commit();
            return *rt.domid;
        }
    raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), name.c_str());
}

void SimHypervisor::destroyDomain(uint32_t domid)
{
    SimHost::Session s(*host_, true);
    const std::string name = s.activeDomain(domid).name;
    s.state().ledger.forget(domid);
    s.state().guest_views.erase(name);
    // Shut off is the state of a domain without a runtime record; a
    // transient domain is gone for good.
    s.state().domains.erase(name);
    if (host_->liveDefinitions().get(name))
        host_->liveDefinitions().undefine(name);
    s.commit();
}

void SimHypervisor::publishGuestView(uint32_t domid, const GuestNvdimmView &view)
{
    SimHost::Session s(*host_, true);
    const std::string name = s.activeDomain(domid).name;
    if (view.nvdimms.empty() && view.acpi_firmware.empty())
        s.state().guest_views.erase(name);
    else
        s.state().guest_views[name] = view;
    s.commit();
}

SimGuestView SimHypervisor::guestView(uint32_t domid)
{
    SimHost::Session s(*host_, false);
    const std::string name = s.activeDomain(domid).name;
    auto it = s.state().guest_views.find(name);
    return it == s.state().guest_views.end() ? SimGuestView{} : it->second;
}

std::optional<std::string> SimHypervisor::liveDefinition(const std::string &name)
{
    return host_->liveDefinitions().get(name);
}

bool SimHypervisor::storeLiveDefinition(const std::string &name, const std::string &xml)
{
    host_->liveDefinitions().define(name, xml);
    return true;
}

void SimHypervisor::requestEject(const DomainInfo &dom, const std::string &alias, unsigned timeoutMs)
{
    std::string name;
    {
        SimHost::Session s(*host_, false);
        name = s.activeDomain(dom.domid.value_or(0)).name;
    }
    SimEjectBehaviour behaviour = SimEjectBehaviour::Ack;
    for (const auto &g : host_->description().guests)
        if (g.name == name)
            behaviour = g.eject;
    switch (behaviour) {
    case SimEjectBehaviour::Ack:
        return;
    case SimEjectBehaviour::Refuse:
        raise(ErrorCode::OperationFailed, _("guest refused to release NVDIMM '%s'"), alias.c_str());
    case SimEjectBehaviour::Ignore:
        std::this_thread::sleep_for(std::chrono::milliseconds(timeoutMs));
        raise(ErrorCode::OperationTimeout,
              _("guest of domain '%s' did not release NVDIMM '%s' within %u ms"), name.c_str(),
              alias.c_str(), timeoutMs);
    }
}

SimStats SimHypervisor::stats()
{
    SimHost::Session s(*host_, false);
    SimStats st;
    st.counters = s.state().counters;
    for (const auto &d : s.domains()) {
        if (!d.domid)
            continue;
        SimDomainStats ds;
        ds.name = d.name;
        ds.domid = *d.domid;
        ds.mappings = s.state().ledger.mappings(*d.domid);
        ds.iomem = s.state().ledger.iomem(*d.domid);
        ds.mapped_bytes = s.state().ledger.mappedFrames(*d.domid) * kPageSize;
        auto view = s.state().guest_views.find(d.name);
        if (view != s.state().guest_views.end())
            ds.guest = view->second;
        st.domains.push_back(std::move(ds));
    }
    return st;
}

} // namespace xlnv::libxl
