// The simulated Xen host's hypervisor: enforces what Xen and the
// toolstack must (xen-pmem-mapping.md) and counts every mapping call.
//   - only the toolstack may grant, revoke, map or unmap (AccessDenied);
//   - host frames must lie in one persistent-memory namespace (InvalidArg);
//   - mapping needs iomem permission for every frame (AccessDenied);
//   - one mapping call makes at most 64 entries, 2 MiB only when gfn and
//     mfn are both 2 MiB aligned, else 4 KiB, and returns how many frames
//     it did, like Xen's map_mmio_regions;
//   - no overlap with guest RAM or an existing mapping of the domain, and
//     a host frame mapped into one domain is refused to any other
//     (OperationInvalid);
//   - permission cannot be revoked while frames are still mapped;
//   - guest frames must lie below the guest's physical address width
//     (<guest phys_bits>, else <simhost phys_bits>, default 46): Xen
//     maps them anyway, but the guest faults on every access, so the
//     simulated guest refuses what a real one could not use
//     (ConfigUnsupported).
#pragma once

#include <memory>

#include "hypervisor/hypervisor.h"
#include "sim/sim_host.h"

namespace xlnv::libxl {

struct SimDomainStats {
    std::string name;
    uint32_t domid = 0;
    uint64_t mapped_bytes = 0;
    std::vector<MemoryMapping> mappings;
    std::vector<IomemPermission> iomem;
    SimGuestView guest;                    // NVDIMMs the guest was told about
};

struct SimStats {
    SimCounters counters;
    std::vector<SimDomainStats> domains;   // active domains, by name
};

class SimHypervisor : public Hypervisor {
public:
    explicit SimHypervisor(std::shared_ptr<SimHost> host);

    const char *driverName() const override { return "sim"; }
    std::vector<DomainInfo> listDomains(bool includeInactive) override;
    DomainInfo lookupByName(const std::string &name) override;
    DomainInfo lookupByUuid(const std::string &uuid) override;
    DomainInfo lookupById(uint32_t domid) override;

    void grantIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller = Caller::Toolstack) override;
    void revokeIomem(uint32_t domid, uint64_t mfn, uint64_t nr, Caller caller = Caller::Toolstack) override;
    void mapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller = Caller::Toolstack) override;
    void unmapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, Caller caller = Caller::Toolstack) override;
    std::vector<MemoryMapping> mappings(uint32_t domid) override;
    std::vector<IomemPermission> iomemPermissions(uint32_t domid) override;
    // A domain not in the description gets the host's width.
    unsigned defaultPhysAddrBits(DomainKind kind) override;

    // One "hypercall" (XEN_DOMCTL_memory_mapping): at most 64 entries;
    // returns the frames it mapped or unmapped. Tests use it directly.
    uint64_t mappingCall(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, bool add,
                         Caller caller = Caller::Toolstack);

    // Lifecycle: a started domain gets the next id; a destroyed one loses
    // every mapping and permission (as Xen tears them down with the domain).
    void checkLifecycle(LifecycleOp) override {}
    uint32_t startDomain(const std::string &name, bool paused = false) override;
    void destroyDomain(uint32_t domid) override;
    // The guest model: a guest whose tables have a FIT reads the page on
    // every notification and takes it the way Linux's nfit driver does
    // (sim_state.h, SimGuestView). The page may not be RAM or mapped.
    NvdimmNotification notifyNvdimmChange(uint32_t domid, uint64_t fitGfn,
                                          const std::vector<uint8_t> &page, unsigned irq) override;

    // Its mappings and the acpi_firmware blob its guest view names.
    BuiltNvdimms builtNvdimms(uint32_t domid) override;

    // What the running guest now sees of its NVDIMMs (its NFIT data);
    // replaced on every attach/detach/start, dropped on destroy.
    void publishGuestView(uint32_t domid, const GuestNvdimmView &view) override;
    SimGuestView guestView(uint32_t domid);

    // The guest answers as its description says (<guest eject=...>): ack
    // returns, refuse fails (OperationFailed), ignore waits `timeoutMs` and
    // times out.
    void requestEject(const DomainInfo &dom, const std::string &alias, unsigned timeoutMs) override;

    // Kept in the host's live definitions, like libvirt's test driver.
    std::optional<std::string> liveDefinition(const std::string &name) override;
    bool storeLiveDefinition(const std::string &name, const std::string &xml) override;

    SimStats stats();
    SimHost &host() { return *host_; }

private:
    uint64_t mappingCallLocked(SimHost::Session &s, uint32_t domid, uint64_t gfn, uint64_t mfn,
                               uint64_t nr, bool add, Caller caller);
    std::shared_ptr<SimHost> host_;
};

} // namespace xlnv::libxl
