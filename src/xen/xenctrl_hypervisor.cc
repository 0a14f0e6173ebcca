#include "xen/xenctrl_hypervisor.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#include <sys/mman.h>

#include "hypervisor/domain_xml.h"
#include "util/state_dir.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"

// Xen's public headers use anonymous unions and GNU attributes and refuse
// strict ISO mode (-std=c++20 defines __STRICT_ANSI__); g++ supports both.
#undef __STRICT_ANSI__
extern "C" {
#include <xenctrl.h>
#include <xendevicemodel.h>
#include <xenforeignmemory.h>
#include <xenguest.h>
#include <libxl.h>
#include <libxl_utils.h>
}

namespace xlnv::libxl {

namespace {

std::string uuidText(const unsigned char h[16])
{
    return strprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                     h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11],
                     h[12], h[13], h[14], h[15]);
}

std::string normalUuid(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    s.erase(std::remove(s.begin(), s.end(), '-'), s.end());
    return s;
}

} // namespace

XenctrlHypervisor::XenctrlHypervisor(std::string stateDir, DomainLimitDefaults limits)
    : stateDir_(std::move(stateDir)), limits_(limits),
      definitions_((makeDirectories(stateDir_), stateDir_ + "/definitions"))
{
    xch_ = xc_interface_open(logger_.get(), logger_.get(), 0);
    if (!xch_) {
        const int err = errno;
        const std::string why = !logger_.lastError().empty() ? logger_.lastError()
                                                              : std::string(std::strerror(err ? err : ENOENT));
        raise(ErrorCode::NoConnect, _("cannot connect to Xen: %s"), why.c_str());
    }
    libxl_ctx *ctx = nullptr;
    if (libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, logger_.get()) != 0 || !ctx) {
        xc_interface_close(xch_);
        xch_ = nullptr;
        const std::string why = !logger_.lastError().empty() ? logger_.lastError()
                                                              : std::string(_("cannot initialise libxenlight"));
        raise(ErrorCode::NoConnect, _("cannot connect to Xen: %s"), why.c_str());
    }
    ctx_ = ctx;
}

XenctrlHypervisor::~XenctrlHypervisor()
{
    if (ctx_)
        libxl_ctx_free(ctx_);
    if (xch_)
        xc_interface_close(xch_);
}

DomainInfo XenctrlHypervisor::describe(uint32_t domid, uint32_t flags, uint64_t totPages,
                                       const unsigned char handle[16])
{
    DomainInfo info;
    info.domid = domid;
    info.uuid = uuidText(handle);
    if (char *name = libxl_domid_to_name(ctx_, domid)) {
        info.name = name;
        free(name);
    } else {
        info.name = strprintf("Domain-%u", domid);
    }
    info.state = (flags & XEN_DOMINF_paused) ? DomainState::Paused : DomainState::Running;
    info.kind = (flags & XEN_DOMINF_hvm_guest) ? DomainKind::Hvm : DomainKind::Pv;
    info.memory_kib = totPages * 4;

    libxl_dominfo di;
    libxl_dominfo_init(&di);
    if (libxl_domain_info(ctx_, &di, domid) == 0 && di.domain_type == LIBXL_DOMAIN_TYPE_PVH)
        info.kind = DomainKind::Pvh;
    libxl_dominfo_dispose(&di);

    uint64_t layoutKiB = info.memory_kib;
    if (domid != 0) {
        libxl_domain_config cfg;
        libxl_domain_config_init(&cfg);
        if (libxl_retrieve_domain_configuration(ctx_, domid, &cfg, nullptr) == 0) {
            if (cfg.b_info.max_memkb && cfg.b_info.max_memkb != LIBXL_MEMKB_DEFAULT)
                layoutKiB = cfg.b_info.max_memkb;
            for (int i = 0; i < cfg.b_info.num_vnuma_nodes; ++i)
                info.vnuma.push_back({static_cast<unsigned>(i), cfg.b_info.vnuma_nodes[i].memkb});
        }
        libxl_domain_config_dispose(&cfg);
    }
    // Guest RAM as the HVM/PVH builder lays it out for the domain's
    // maximum, so ballooned-out memory still counts as RAM.
    if (info.kind != DomainKind::Pv)
        info.ram = hvmRamLayout(layoutKiB);

    // maxMemory/slots only exist in libvirt XML: ours, or the defaults.
    info.max_memory_kib = limits_.max_memory_kib;
    info.memory_slots = limits_.memory_slots;
    if (auto xml = definitions_.get(info.name)) {
        try {
            const DefinitionSummary s = summarizeDefinition(*xml);
            if (s.max_memory_kib) {
                info.max_memory_kib = *s.max_memory_kib;
                info.memory_slots = s.memory_slots;
            }
        } catch (const Error &) {
            // A broken stored definition does not hide a running domain.
        }
    }
    return info;
}

std::vector<DomainInfo> XenctrlHypervisor::activeDomains()
{
    std::vector<DomainInfo> out;
    std::vector<xc_domaininfo_t> infos(256);
    uint32_t next = 0;
    for (;;) {
        int n = xc_domain_getinfolist(xch_, next, static_cast<unsigned>(infos.size()), infos.data());
        if (n < 0)
            raise(ErrorCode::OperationFailed, _("cannot list Xen domains: %s"), std::strerror(errno));
        for (int i = 0; i < n; ++i) {
            const auto &di = infos[static_cast<size_t>(i)];
            if (di.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown))
                continue;
            out.push_back(describe(di.domain, di.flags, di.tot_pages, di.handle));
        }
        if (n < static_cast<int>(infos.size()))
            break;
        next = infos.back().domain + 1;
    }
    return out;
}

std::vector<DomainInfo> XenctrlHypervisor::listDomains(bool includeInactive)
{
    std::vector<DomainInfo> out = activeDomains();
    if (includeInactive) {
        for (const auto &name : definitions_.names()) {
            if (std::any_of(out.begin(), out.end(), [&](const DomainInfo &d) { return d.name == name; }))
                continue;
            try {
                const DefinitionSummary s = summarizeDefinition(*definitions_.get(name));
                DomainInfo d;
                d.name = name;
                d.uuid = s.uuid;
                d.kind = s.kind;
                d.memory_kib = s.memory_kib;
                d.max_memory_kib = s.max_memory_kib.value_or(limits_.max_memory_kib);
                d.memory_slots = s.max_memory_kib ? s.memory_slots : limits_.memory_slots;
                d.vnuma = s.vnuma;
                d.ram = hvmRamLayout(s.memory_kib);
                out.push_back(std::move(d));
            } catch (const Error &) {
            }
        }
    }
    return out;
}

DomainInfo XenctrlHypervisor::lookupByName(const std::string &name)
{
    for (auto &d : listDomains(true))
        if (d.name == name)
            return d;
    raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), name.c_str());
}

DomainInfo XenctrlHypervisor::lookupByUuid(const std::string &uuid)
{
    for (auto &d : listDomains(true))
        if (normalUuid(d.uuid) == normalUuid(uuid))
            return d;
    raise(ErrorCode::NoDomain, _("no domain with matching uuid '%s'"), uuid.c_str());
}

DomainInfo XenctrlHypervisor::lookupById(uint32_t domid)
{
    xc_domaininfo_t di;
    int n = xc_domain_getinfolist(xch_, domid, 1, &di);
    if (n < 0)
        raise(ErrorCode::OperationFailed, _("cannot list Xen domains: %s"), std::strerror(errno));
    if (n != 1 || di.domain != domid || (di.flags & (XEN_DOMINF_dying | XEN_DOMINF_shutdown)))
        raise(ErrorCode::NoDomain, _("no domain with matching id %u"), domid);
    return describe(di.domain, di.flags, di.tot_pages, di.handle);
}

unsigned XenctrlHypervisor::policyPhysAddrBits(std::optional<uint32_t> domid)
{
    constexpr uint32_t kAddressSizesLeaf = 0x80000008;
    std::unique_ptr<xc_cpu_policy_t, decltype(&xc_cpu_policy_destroy)> policy(xc_cpu_policy_init(),
                                                                            xc_cpu_policy_destroy);
    if (!policy)
        return 0;
    const int rc = domid ? xc_cpu_policy_get_domain(xch_, *domid, policy.get())
                         : xc_cpu_policy_get_system(xch_, XEN_SYSCTL_cpu_policy_hvm_default, policy.get());
    if (rc != 0)
        return 0;
    uint32_t nrLeaves = 0, nrMsrs = 0;
    if (xc_cpu_policy_get_size(xch_, &nrLeaves, &nrMsrs) != 0 || nrLeaves == 0)
        return 0;
    std::vector<xen_cpuid_leaf_t> leaves(nrLeaves);
    if (xc_cpu_policy_serialise(xch_, policy.get(), leaves.data(), &nrLeaves, nullptr, nullptr) != 0)
        return 0;
    for (uint32_t i = 0; i < nrLeaves && i < leaves.size(); ++i)
        if (leaves[i].leaf == kAddressSizesLeaf)
            return leaves[i].a & 0xff;
    return 0;
}

unsigned XenctrlHypervisor::physAddrBits(const DomainInfo &dom)
{
    if (dom.phys_addr_bits)
        return dom.phys_addr_bits;
    if (dom.kind == DomainKind::Pv)
        return 0;
    return dom.domid ? policyPhysAddrBits(dom.domid) : policyPhysAddrBits(std::nullopt);
}

unsigned XenctrlHypervisor::defaultPhysAddrBits(DomainKind kind)
{
    return kind == DomainKind::Pv ? 0 : policyPhysAddrBits(std::nullopt);
}

MappingLedger XenctrlHypervisor::loadLedger()
{
    auto text = readFileIfExists(stateDir_ + "/xen-ledger.json");
    if (!text)
        return {};
    auto j = nlohmann::json::parse(*text, nullptr, false);
    return j.is_discarded() ? MappingLedger{} : MappingLedger::fromJson(j);
}

void XenctrlHypervisor::saveLedger(const MappingLedger &ledger)
{
    writeFileAtomic(stateDir_ + "/xen-ledger.json", ledger.toJson().dump(1) + "\n");
}

void XenctrlHypervisor::grantIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    if (nr == 0)
        raise(ErrorCode::InvalidArg, _("an iomem range must not be empty"));
    const DomainInfo dom = lookupById(domid);
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Exclusive);
    if (xc_domain_iomem_permission(xch_, domid, mfn, nr, 1) != 0)
        raise(ErrorCode::OperationFailed,
              _("cannot grant iomem permission for host frames %s to domain %u: %s"),
              frameRange(mfn, nr).c_str(), domid, std::strerror(errno));
    MappingLedger ledger = loadLedger();
    if (ledger.record(domid).uuid != dom.uuid) {
        ledger.forget(domid);   // a stale record of an earlier domain with this id
        ledger.record(domid).uuid = dom.uuid;
    }
    ledger.addIomem(domid, mfn, nr);
    saveLedger(ledger);
}

void XenctrlHypervisor::revokeIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Exclusive);
    if (xc_domain_iomem_permission(xch_, domid, mfn, nr, 0) != 0)
        raise(ErrorCode::OperationFailed,
              _("cannot revoke iomem permission for host frames %s from domain %u: %s"),
              frameRange(mfn, nr).c_str(), domid, std::strerror(errno));
    MappingLedger ledger = loadLedger();
    ledger.removeIomem(domid, mfn, nr);
    saveLedger(ledger);
}

uint64_t XenctrlHypervisor::mappingBatch(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, bool add)
{
    unsigned retries = 0;
    uint64_t done = 0;
    uint64_t size = nr;
    while (done < nr) {
        const uint64_t chunk = std::min(size, nr - done);
        int rc = xc_domain_memory_mapping(xch_, domid, gfn + done, mfn + done, chunk,
                                          add ? DPCI_ADD_MAPPING : DPCI_REMOVE_MAPPING);
        if (rc == 0) {
            done += chunk;
            continue;
        }
        if (rc > 0) {
            // Xen did part of the batch (preempted): continue after it.
            done += std::min<uint64_t>(static_cast<uint64_t>(rc), chunk);
            continue;
        }
        const int err = errno;
        if ((err == EINTR || err == EAGAIN) && retries++ < kMaxRetries)
            continue;
        if (err == E2BIG && size > 1) {
            size = std::max<uint64_t>(1, chunk / 2);   // a smaller call, as libxc does
            continue;
        }
        errno = err;
        return done;
    }
    return done;
}

void XenctrlHypervisor::mapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    if (nr == 0)
        return;
    const DomainInfo dom = lookupById(domid);
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Exclusive);
    const auto batches = planMappingBatches(gfn, mfn, nr);
    size_t completed = 0;
    for (; completed < batches.size(); ++completed) {
        const auto [off, step] = batches[completed];
        const uint64_t done = mappingBatch(domid, gfn + off, mfn + off, step, true);
        if (done == step)
            continue;
        const int err = errno;
        // Undo the part of this batch that did map, then the earlier
        // batches, last first.
        if (done)
            mappingBatch(domid, gfn + off, mfn + off, done, false);
        for (size_t i = completed; i-- > 0;) {
            const auto [o, s] = batches[i];
            mappingBatch(domid, gfn + o, mfn + o, s, false);
        }
        raise(ErrorCode::OperationFailed,
              _("cannot map host frames %s at guest frames %s of domain %u: %s"),
              frameRange(mfn + off, step).c_str(), frameRange(gfn + off, step).c_str(), domid,
              std::strerror(err));
    }
    MappingLedger ledger = loadLedger();
    if (ledger.record(domid).uuid != dom.uuid) {
        ledger.forget(domid);
        ledger.record(domid).uuid = dom.uuid;
    }
    ledger.addMapping(domid, {gfn, mfn, nr});
    saveLedger(ledger);
}

void XenctrlHypervisor::unmapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller)
{
    requireToolstack(caller, domid);
    if (nr == 0)
        return;
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Exclusive);
    const auto batches = planMappingBatches(gfn, mfn, nr);
    // Remove everything we can, last batch first; report the first failure.
    int firstErr = 0;
    uint64_t failedOff = 0, failedStep = 0;
    MappingLedger ledger = loadLedger();
    for (size_t i = batches.size(); i-- > 0;) {
        const auto [off, step] = batches[i];
        if (mappingBatch(domid, gfn + off, mfn + off, step, false) == step) {
            ledger.removeMapping(domid, {gfn + off, mfn + off, step});
        } else if (!firstErr) {
            firstErr = errno ? errno : EIO;
            failedOff = off;
            failedStep = step;
        }
    }
    saveLedger(ledger);
    if (firstErr)
        raise(ErrorCode::OperationFailed,
              _("cannot unmap guest frames %s of domain %u: %s"),
              frameRange(gfn + failedOff, failedStep).c_str(), domid, std::strerror(firstErr));
}

std::vector<MemoryMapping> XenctrlHypervisor::mappings(uint32_t domid)
{
    const DomainInfo dom = lookupById(domid);
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Shared);
    MappingLedger ledger = loadLedger();
    auto it = ledger.domains().find(domid);
    if (it == ledger.domains().end() || it->second.uuid != dom.uuid)
        return {};
    return it->second.mappings;
}

std::vector<IomemPermission> XenctrlHypervisor::iomemPermissions(uint32_t domid)
{
    const DomainInfo dom = lookupById(domid);
    StateLock lock(stateDir_ + "/xen.lock", StateLock::Mode::Shared);
    MappingLedger ledger = loadLedger();
    auto it = ledger.domains().find(domid);
    if (it == ledger.domains().end() || it->second.uuid != dom.uuid)
        return {};
    return it->second.iomem;
}

void XenctrlHypervisor::requestEject(const DomainInfo &dom, const std::string &alias, unsigned)
{
    raise(ErrorCode::OperationUnsupported,
          _("cannot ask the guest of domain '%s' to release NVDIMM '%s': Xen has no eject "
            "notification for NVDIMMs; make sure the guest no longer uses it and detach "
            "with --force"),
          dom.name.c_str(), alias.c_str());
}

void XenctrlHypervisor::checkLifecycle(LifecycleOp op)
{
    if (op == LifecycleOp::Start)
        raise(ErrorCode::OperationUnsupported,
              _("domains on %s are started by libxl: use xl create or virsh start, with the hook "
                "running prepare before and release after"),
              "xen:///system");
    raise(ErrorCode::OperationUnsupported,
          _("domains on %s are destroyed by libxl: use xl destroy or virsh destroy, then release"),
          "xen:///system");
}

uint32_t XenctrlHypervisor::startDomain(const std::string &, bool)
{
    checkLifecycle(LifecycleOp::Start);
    return 0;
}

void XenctrlHypervisor::destroyDomain(uint32_t)
{
    checkLifecycle(LifecycleOp::Destroy);
}

namespace {

// Closes what it opened, whatever path the caller leaves by.
struct ForeignMemory {
    xenforeignmemory_handle *h = nullptr;
    ~ForeignMemory()
    {
        if (h)
            xenforeignmemory_close(h);
    }
};

struct DeviceModel {
    xendevicemodel_handle *h = nullptr;
    ~DeviceModel()
    {
        if (h)
            xendevicemodel_close(h);
    }
};

// One guest frame mapped writable into this process, or nullptr (errno
// set) when the frame has no RAM behind it.
void *mapGuestFrame(xenforeignmemory_handle *fm, uint32_t domid, uint64_t gfn)
{
    xen_pfn_t pfn = gfn;
    int err = 0;
    void *p = xenforeignmemory_map(fm, domid, PROT_READ | PROT_WRITE, 1, &pfn, &err);
    if (p && err) {
        xenforeignmemory_unmap(fm, p, 1);
        errno = -err;
        return nullptr;
    }
    return p;
}

} // namespace

NvdimmNotification XenctrlHypervisor::notifyNvdimmChange(uint32_t domid, uint64_t fitGfn,
                                                          const std::vector<uint8_t> &page, unsigned irq)
{
    if (page.size() != kPageSize || (page[0] & 1))
        raise(ErrorCode::Internal, "%s", _("a FIT page is 4096 bytes with an even generation"));
    NvdimmNotification result;
    ForeignMemory fm;
    fm.h = xenforeignmemory_open(logger_.get(), 0);
    if (!fm.h)
        raiseSystem(errno, "%s", _("cannot open Xen's foreign memory interface"));
    void *p = mapGuestFrame(fm.h, domid, fitGfn);
    if (!p) {
        // First notification of this domain's life: give it the page. It
        // is populated like RAM (so `xl save` keeps it) at a frame above
        // the guest's E820 RAM, so the guest never uses it as RAM.
        xen_pfn_t ext = fitGfn;
        int rc = xc_domain_populate_physmap_exact(xch_, domid, 1, 0, 0, &ext);
        if (rc != 0) {
            // A domain at its memory limit: one more page.
            xc_domaininfo_t di;
            if (xc_domain_getinfolist(xch_, domid, 1, &di) == 1 && di.domain == domid &&
                xc_domain_setmaxmem(xch_, domid, di.max_pages * (kPageSize / 1024) + kPageSize / 1024) == 0) {
                ext = fitGfn;
                rc = xc_domain_populate_physmap_exact(xch_, domid, 1, 0, 0, &ext);
            }
        }
        if (rc != 0)
            raise(ErrorCode::OperationFailed, _("cannot populate the FIT page at guest frame 0x%llx of domain %u: %s"),
                  static_cast<unsigned long long>(fitGfn), domid,
                  !logger_.lastError().empty() ? logger_.lastError().c_str() : std::strerror(errno));
        result.page_created = true;
        p = mapGuestFrame(fm.h, domid, fitGfn);
        if (!p)
            raiseSystem(errno, _("cannot map the FIT page at guest frame 0x%llx of domain %u"),
                        static_cast<unsigned long long>(fitGfn), domid);
    }
    // Seqlock: odd generation, bytes, even generation (acpi/fit_page.h).
    auto *gen = static_cast<volatile uint32_t *>(p);
    uint32_t g = 0;
    std::memcpy(&g, page.data(), 4);
    *gen = g - 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    std::memcpy(static_cast<uint8_t *>(p) + 4, page.data() + 4, kPageSize - 4);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *gen = g;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    xenforeignmemory_unmap(fm.h, p, 1);

    // An edge on the GED's ISA IRQ: Xen routes it through the emulated
    // PIC/IOAPIC, or as an event channel to a PVHVM guest that took the
    // GSI as a pirq.
    DeviceModel dm;
    dm.h = xendevicemodel_open(logger_.get(), 0);
    if (!dm.h) {
        xlnv::warn(_("domain %u: cannot open Xen's device model interface to raise IRQ %u: %s"), domid, irq,
                   std::strerror(errno));
        return result;
    }
    if (xendevicemodel_set_isa_irq_level(dm.h, domid, static_cast<uint8_t>(irq), 1) != 0 ||
        xendevicemodel_set_isa_irq_level(dm.h, domid, static_cast<uint8_t>(irq), 0) != 0) {
        xlnv::warn(_("domain %u: cannot raise IRQ %u: %s"), domid, irq, std::strerror(errno));
        return result;
    }
    result.notified = true;
    return result;
}

BuiltNvdimms XenctrlHypervisor::builtNvdimms(uint32_t domid)
{
    BuiltNvdimms built;
    libxl_domain_config cfg;
    libxl_domain_config_init(&cfg);
    if (libxl_retrieve_domain_configuration(ctx_, domid, &cfg, nullptr) != 0) {
        libxl_domain_config_dispose(&cfg);
        return built;
    }
    for (int i = 0; i < cfg.b_info.num_iomem; i++) {
        const auto &r = cfg.b_info.iomem[i];
        const uint64_t gfn = r.gfn == ~0ULL ? r.start : r.gfn;   // libxl: unset gfn = 1:1
        built.iomem.push_back({gfn, r.start, r.number});
    }
    if (cfg.b_info.type == LIBXL_DOMAIN_TYPE_HVM && cfg.b_info.u.hvm.acpi_firmware) {
        if (FILE *f = std::fopen(cfg.b_info.u.hvm.acpi_firmware, "rb")) {
            uint8_t buf[4096];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && built.acpi_firmware.size() < (1u << 20))
                built.acpi_firmware.insert(built.acpi_firmware.end(), buf, buf + n);
            std::fclose(f);
        }
    }
    libxl_domain_config_dispose(&cfg);
    return built;
}

} // namespace xlnv::libxl
