// xen:///system: the hypervisor through libxenctrl (permissions and
// mappings) and libxenlight (names, types, vNUMA). Works on any running
// HVM/PVH domain, whoever created it. Xen has no query for a domain's
// mappings or iomem permissions, so this side keeps a ledger of its own
// calls in <state dir>/xen-ledger.json (dropped per domain when the domid
// is reused by another uuid).
#pragma once

#include <memory>
#include <string>

#include "hypervisor/hypervisor.h"
#include "hypervisor/domain_definitions.h"
#include "hypervisor/mapping_ledger.h"
#include "xen/xenctrl_logger.h"

struct xc_interface_core;
struct libxl__ctx;

namespace xlnv::libxl {

class XenctrlHypervisor : public Hypervisor {
public:
    // NoConnect "cannot connect to Xen: <reason>" without a usable Xen.
    XenctrlHypervisor(std::string stateDir, DomainLimitDefaults limits);
    ~XenctrlHypervisor() override;

    const char *driverName() const override { return "xen"; }
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
    // From Xen's CPUID policy (libxenguest): a running domain's own, else
    // Xen's default HVM policy (PVH guests are HVM containers too).
    unsigned physAddrBits(const DomainInfo &dom) override;
    unsigned defaultPhysAddrBits(DomainKind kind) override;
    // Populates the FIT page on first use (xc_domain_populate_physmap_exact,
    // one page more of maxmem when the domain is at its limit), writes it
    // through xenforeignmemory, pulses the IRQ with libxendevicemodel.
    NvdimmNotification notifyNvdimmChange(uint32_t domid, uint64_t fitGfn,
                                          const std::vector<uint8_t> &page, unsigned irq) override;
    // libxl's stored configuration: iomem ranges, the acpi_firmware blob.
    BuiltNvdimms builtNvdimms(uint32_t domid) override;

    // The guest is not told yet: the hotplug work adds the notification
    // through libxendevicemodel.
    void publishGuestView(uint32_t, const GuestNvdimmView &) override {}
    // Xen has no eject notification for NVDIMMs: OperationUnsupported.
    void requestEject(const DomainInfo &dom, const std::string &alias, unsigned timeoutMs) override;
    // libxl builds and destroys domains: OperationUnsupported.
    void checkLifecycle(LifecycleOp op) override;
    uint32_t startDomain(const std::string &name, bool paused) override;
    void destroyDomain(uint32_t domid) override;
    // libxl holds the live config; the driver's status keeps the XML.
    std::optional<std::string> liveDefinition(const std::string &) override { return std::nullopt; }
    bool storeLiveDefinition(const std::string &, const std::string &) override { return false; }

    // Retries of one mapping call that Xen interrupted (EINTR/EAGAIN).
    static constexpr unsigned kMaxRetries = 8;

private:
    std::vector<DomainInfo> activeDomains();
    DomainInfo describe(uint32_t domid, uint32_t flags, uint64_t totPages, const unsigned char handle[16]);
    // One batch through xc_domain_memory_mapping; returns frames done.
    uint64_t mappingBatch(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr, bool add);
    // Leaf 0x80000008 EAX[7:0] of a domain's CPUID policy, or of Xen's
    // default HVM policy without a domid; 0 when any call fails.
    unsigned policyPhysAddrBits(std::optional<uint32_t> domid);
    MappingLedger loadLedger();
    void saveLedger(const MappingLedger &ledger);

    std::string stateDir_;
    DomainLimitDefaults limits_;
    CapturingXenLogger logger_;
    xc_interface_core *xch_ = nullptr;
    libxl__ctx *ctx_ = nullptr;
    DefinitionStore definitions_;
};

} // namespace xlnv::libxl
