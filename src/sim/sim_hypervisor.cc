#include "sim/sim_hypervisor.h"

#include <algorithm>
#include <cctype>

#include <chrono>
#include <thread>

#include "acpi/firmware.h"
#include "acpi/fit_page.h"
#include "acpi/nfit.h"
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
    if (auto d = s.domainNamed(name))
        return *d;
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

namespace {

// The FIT of an acpi_firmware blob as the guest reads it at boot: the
// NFIT's structures; no NFIT (a hotplug SSDT alone) is an empty FIT.
acpi::Bytes readBlob(const std::string &path)
{
    acpi::Bytes blob;
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        return blob;
    uint8_t buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        blob.insert(blob.end(), buf, buf + n);
    std::fclose(f);
    return blob;
}

std::vector<uint8_t> bootFitFromBlob(const std::string &path)
{
    for (const auto &t : acpi::splitAcpiTables(readBlob(path)))
        if (auto fit = acpi::nfitStructures(t))
            return *fit;
    return {};
}

// NFIT structures of a FIT, each as its bytes (type + length framing).
std::vector<acpi::Bytes> fitStructures(const acpi::Bytes &fit)
{
    std::vector<acpi::Bytes> out;
    size_t pos = 0;
    while (pos + 4 <= fit.size()) {
        const size_t len = fit[pos + 2] | (fit[pos + 3] << 8);
        if (len < 4 || len > fit.size() - pos)
            break;
        out.emplace_back(fit.begin() + pos, fit.begin() + pos + len);
        pos += len;
    }
    return out;
}

std::vector<SimGuestFitDevice> fitDevices(const acpi::Bytes &fit)
{
    std::vector<SimGuestFitDevice> out;
    for (const auto &d : acpi::parseFit(fit))
        out.push_back({d.slot, d.spa, d.size, d.readonly});
    return out;
}

} // namespace

void SimHypervisor::publishGuestView(uint32_t domid, const GuestNvdimmView &view)
{
    SimHost::Session s(*host_, true);
    const std::string name = s.activeDomain(domid).name;
    if (view.nvdimms.empty() && view.acpi_firmware.empty()) {
        s.state().guest_views.erase(name);
        s.commit();
        return;
    }
    SimGuestView merged;
    merged.nvdimms = view.nvdimms;
    merged.acpi_firmware = view.acpi_firmware;
    merged.acpi_firmware_bytes = view.acpi_firmware_bytes;
    auto old = s.state().guest_views.find(name);
    if (old != s.state().guest_views.end() && old->second.fit_booted) {
        // The guest's OS keeps what it has; only a notification changes it.
        const SimGuestView &o = old->second;
        merged.fit_booted = true;
        merged.fit = o.fit;
        merged.fit_page = o.fit_page;
        merged.fit_devices = o.fit_devices;
        merged.notifications = o.notifications;
        merged.fit_rejections = o.fit_rejections;
        merged.fit_error = o.fit_error;
    } else if (!view.acpi_firmware.empty()) {
        // First tables of this domain's life: what the guest booted with.
        merged.fit_booted = true;
        merged.fit = bootFitFromBlob(view.acpi_firmware);
        merged.fit_devices = fitDevices(merged.fit);
    }
    s.state().guest_views[name] = merged;
    s.commit();
}

BuiltNvdimms SimHypervisor::builtNvdimms(uint32_t domid)
{
    SimHost::Session s(*host_, false);
    const DomainInfo &dom = s.activeDomain(domid);
    // What the domain really has: its mappings, and the blob its guest
    // booted with (as libxl's stored configuration names it on Xen).
    BuiltNvdimms built;
    built.iomem = s.state().ledger.mappings(domid);
    auto view = s.state().guest_views.find(dom.name);
    if (view != s.state().guest_views.end() && !view->second.acpi_firmware.empty())
        built.acpi_firmware = readBlob(view->second.acpi_firmware);
    return built;
}

NvdimmNotification SimHypervisor::notifyNvdimmChange(uint32_t domid, uint64_t fitGfn,
                                                      const std::vector<uint8_t> &page, unsigned irq)
{
    SimHost::Session s(*host_, true);
    const DomainInfo &dom = s.activeDomain(domid);
    if (dom.kind != DomainKind::Hvm)
        raise(ErrorCode::OperationUnsupported,
              _("domain '%s' is not HVM: it has no ISA interrupt to notify its NVDIMM changes"),
              dom.name.c_str());
    if (page.size() != acpi::kFitPageSize || (page[0] & 1))
        raise(ErrorCode::Internal, "%s", _("a FIT page is 4096 bytes with an even generation"));
    if (irq == 0 || irq == 2 || irq > 15)
        raise(ErrorCode::InvalidArg, _("IRQ %u is not an ISA IRQ"), irq);
    for (const auto &r : dom.ram)
        if (rangesOverlap(r.gfn, r.nr, fitGfn, 1))
            raise(ErrorCode::OperationInvalid, _("guest frame %s of domain '%s' is RAM, not its FIT page"),
                  hex(fitGfn).c_str(), dom.name.c_str());
    if (auto m = s.state().ledger.findGuestOverlap(domid, fitGfn, 1))
        raise(ErrorCode::OperationInvalid,
              _("guest frame %s of domain '%s' is mapped to host frames; it cannot hold its FIT page"),
              hex(fitGfn).c_str(), dom.name.c_str());
    SimGuestView &view = s.state().guest_views[dom.name];
    NvdimmNotification result;
    result.page_created = view.fit_page.empty();
    view.fit_page = page;
    view.notifications++;
    result.notified = true;
    // The guest's nfit driver on Notify(NVDR, 0x80): evaluate _FIT, keep
    // entries it has, add new ones; an entry gone is an error and nothing
    // changes (Linux: "new nfit deletes entries (unsupported)").
    if (view.fit_booted) {
        const acpi::Bytes next = acpi::readFitPage(page, view.fit);
        const auto have = fitStructures(view.fit);
        const auto seen = fitStructures(next);
        bool keeps = true;
        for (const auto &h : have)
            if (std::find(seen.begin(), seen.end(), h) == seen.end())
                keeps = false;
        if (!keeps) {
            view.fit_rejections++;
            view.fit_error = "new nfit deletes entries (unsupported)";
        } else {
            view.fit = next;
            view.fit_devices = fitDevices(next);
        }
    }
    s.commit();
    return result;
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
    host_->storeLiveDefinition(name, xml);
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
