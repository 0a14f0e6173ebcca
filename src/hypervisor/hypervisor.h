// The hypervisor as the NVDIMM work sees it: domains, iomem permissions
// and guest memory mappings. Two implementations: libxenctrl/libxenlight
// on a real dom0 (xenctrl_hypervisor.h) and the simulated Xen host
// (sim_hypervisor.h). Nothing above this interface knows which one runs.
//
// Frame numbers are 4 KiB frames: `gfn` in the guest's physical address
// space, `mfn` in the host's (machine frames).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/units.h"

namespace xlnv {
class Config;
}

namespace xlnv::libxl {

constexpr uint64_t kSuperpageFrames = kSuperpageSize / kPageSize;   // one 2 MiB entry
constexpr unsigned kMaxEntriesPerMappingCall = 64;  // Xen's map_mmio_regions limit

enum class DomainKind { Hvm, Pvh, Pv };
enum class DomainState { Running, Paused, Shutoff };

const char *domainKindName(DomainKind kind);     // "hvm", "pvh", "pv"
const char *domainStateName(DomainState state);  // virsh words: "running", "paused", "shut off"

// Who asks for a permission or mapping change. Only the toolstack may:
// the guest and its device model never get to map host frames.
enum class Caller { Toolstack, Guest, DeviceModel };
const char *callerName(Caller caller);

// A range of guest frames that hold RAM.
struct GuestRamRange {
    uint64_t gfn = 0;
    uint64_t nr = 0;
    bool operator==(const GuestRamRange &) const = default;
};

struct VnumaCell {
    unsigned id = 0;
    uint64_t memory_kib = 0;
    bool operator==(const VnumaCell &) const = default;
};

struct DomainInfo {
    std::optional<uint32_t> domid;     // none when shut off
    std::string name;
    std::string uuid;                  // lower-case, dashed
    DomainKind kind = DomainKind::Hvm;
    DomainState state = DomainState::Shutoff;
    uint64_t memory_kib = 0;           // current RAM
    std::vector<GuestRamRange> ram;    // below-4G part first, then high RAM
    uint64_t max_memory_kib = 0;       // <maxMemory>, or the configured default
    unsigned memory_slots = 0;         // <maxMemory slots>, or the configured default
    std::vector<VnumaCell> vnuma;      // empty: no vNUMA
    // The guest's physical address width (CPUID 0x80000008 EAX[7:0]);
    // 0 = unknown. Filled by the simulated host; on xen:///system it costs
    // a CPU policy query, so lookups leave it 0: ask physAddrBits().
    unsigned phys_addr_bits = 0;
};

// Host frames a domain may map (iomem permission).
struct IomemPermission {
    uint64_t mfn = 0;
    uint64_t nr = 0;
    bool operator==(const IomemPermission &) const = default;
};

// Guest frames [gfn, gfn+nr) backed by host frames [mfn, mfn+nr).
struct MemoryMapping {
    uint64_t gfn = 0;
    uint64_t mfn = 0;
    uint64_t nr = 0;
    bool operator==(const MemoryMapping &) const = default;
};

// What a running guest has been told about its NVDIMMs: the devices in
// its NFIT (alias, guest base, size) and the acpi_firmware blob it got.
struct GuestNvdimm {
    std::string alias;
    uint64_t base = 0;
    uint64_t size = 0;
    bool operator==(const GuestNvdimm &) const = default;
};

struct GuestNvdimmView {
    std::vector<GuestNvdimm> nvdimms;
    std::string acpi_firmware;          // path of the blob, "" for none
    uint64_t acpi_firmware_bytes = 0;
};

enum class LifecycleOp { Start, Destroy };

// The outcome of telling a running guest that its NVDIMMs changed.
struct NvdimmNotification {
    bool notified = false;     // the interrupt was raised
    bool page_created = false; // the FIT page was populated by this call
};

// NVDIMMs a running domain was built with, as the hypervisor side knows
// them (on Xen: libxl's stored domain configuration, its iomem ranges and
// the acpi_firmware blob it names). Empty when nothing is known.
struct BuiltNvdimms {
    std::vector<uint8_t> acpi_firmware;   // the blob the guest booted with, if readable
    std::vector<MemoryMapping> iomem;     // iomem ranges of the configuration
};

// Limits only libvirt XML carries (<maxMemory slots>), used for domains
// whose definition has none, e.g. ones `xl` created. Configurable:
// [hypervisor] default_memory_slots and default_max_memory_kib.
struct DomainLimitDefaults {
    unsigned memory_slots = 16;
    uint64_t max_memory_kib = 4ULL << 30;   // 4 TiB
};
// Reads [hypervisor] default_memory_slots / default_max_memory_kib.
DomainLimitDefaults domainLimitsFromConfig(const Config &config);

// Guest RAM as Xen's HVM/PVH builder lays it out: up to 3.75 GiB from
// frame 0 (the MMIO hole starts at 0xF0000000), the rest from 4 GiB.
std::vector<GuestRamRange> hvmRamLayout(uint64_t memory_kib);

// Splits [gfn, gfn+nr) into the entries one mapping call would make,
// Xen's way: 2 MiB when gfn and mfn are both 2 MiB aligned and 512 frames
// remain, else 4 KiB; at most 64 entries. Returns the frames covered.
struct BatchPlan {
    uint64_t frames = 0;
    unsigned entries_4k = 0;
    unsigned entries_2m = 0;
};
BatchPlan planMappingBatch(uint64_t gfn, uint64_t mfn, uint64_t nr);

// One mapping request as both backends issue it: the batches
// planMappingBatch makes, in order, as (offset from gfn/mfn, frames).
// A failed map undoes the batches that did map, last first; an unmap
// walks them last first too.
struct MappingBatch {
    uint64_t offset = 0;
    uint64_t frames = 0;
};
std::vector<MappingBatch> planMappingBatches(uint64_t gfn, uint64_t mfn, uint64_t nr);

// Frames [first, first+nr) for messages: "0x100-0x1ff".
std::string frameRange(uint64_t first, uint64_t nr);

// Only the toolstack may change iomem permissions or mappings, never the
// guest or its device model: AccessDenied otherwise. Both backends check.
void requireToolstack(Caller caller, uint32_t domid);

class Hypervisor {
public:
    virtual ~Hypervisor() = default;

    // "xen" or "sim": for messages and for commands only one side offers.
    virtual const char *driverName() const = 0;

    // Domains; inactive ones (defined, shut off) only when includeInactive.
    virtual std::vector<DomainInfo> listDomains(bool includeInactive) = 0;
    // Each throws NoDomain ("no domain with matching name 'x'") when absent.
    virtual DomainInfo lookupByName(const std::string &name) = 0;
    virtual DomainInfo lookupByUuid(const std::string &uuid) = 0;
    virtual DomainInfo lookupById(uint32_t domid) = 0;

    // iomem permission for host frames [mfn, mfn+nr).
    virtual void grantIomem(uint32_t domid, uint64_t mfn, uint64_t nr,
                            Caller caller = Caller::Toolstack) = 0;
    virtual void revokeIomem(uint32_t domid, uint64_t mfn, uint64_t nr,
                             Caller caller = Caller::Toolstack) = 0;

    // Map/unmap guest frames to host frames, looping over calls of at most
    // 64 entries. Needs the permission first; on a failed map, what this
    // call mapped is unmapped again before the error is thrown. Unmap
    // walks the batches in reverse order.
    virtual void mapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                           Caller caller = Caller::Toolstack) = 0;
    virtual void unmapMemory(uint32_t domid, uint64_t gfn, uint64_t mfn, uint64_t nr,
                             Caller caller = Caller::Toolstack) = 0;

    // What is mapped into / permitted to a domain now. On real Xen these
    // come from this project's own ledger (Xen has no query for them).
    virtual std::vector<MemoryMapping> mappings(uint32_t domid) = 0;
    virtual std::vector<IomemPermission> iomemPermissions(uint32_t domid) = 0;

    // Guest physical address width in bits: NVDIMMs must end below
    // 1 << bits, or the guest faults on them (Xen maps them regardless).
    // 0 = unknown, and the check is skipped: a failed query never fails
    // an operation.
    // - physAddrBits: a running domain's own width; for a shut off one,
    //   the width it gets when started.
    // - defaultPhysAddrBits: what a new domain of `kind` gets (prepare,
    //   domxml-to-native: no domain exists yet).
    virtual unsigned physAddrBits(const DomainInfo &dom) { return dom.phys_addr_bits; }
    virtual unsigned defaultPhysAddrBits(DomainKind kind) = 0;

    // The guest's side of a live change. Both backends answer; the engine
    // never asks which one runs.
    // - publishGuestView: the guest's NVDIMMs are now `view` (after an
    //   attach, detach, start or release; empty: none). The simulated
    //   guest records it; on Xen the guest is not told yet (the hotplug
    //   work adds the notification through libxendevicemodel).
    // - requestEject: ask the guest of `dom` to release NVDIMM `alias`
    //   before a live detach, waiting at most `timeoutMs`. Xen has no
    //   eject notification for NVDIMMs: OperationUnsupported.
    virtual void publishGuestView(uint32_t domid, const GuestNvdimmView &view) = 0;
    virtual void requestEject(const DomainInfo &dom, const std::string &alias, unsigned timeoutMs) = 0;

    // Building and destroying domains. The simulated host does it itself;
    // on Xen libxl does (xl create, virsh start with the hook), so Xen
    // refuses with OperationUnsupported. checkLifecycle refuses the same
    // way and is called before any work is done.
    virtual void checkLifecycle(LifecycleOp op) = 0;
    // The next domid; the domain's live definition starts as its
    // persistent one.
    virtual uint32_t startDomain(const std::string &name, bool paused) = 0;
    // Every mapping and permission goes with the domain, as on Xen.
    virtual void destroyDomain(uint32_t domid) = 0;

    // Live definitions: the XML of a running domain, kept by a backend
    // that builds domains. Xen keeps none (libxl holds the live config):
    // liveDefinition is nullopt and storeLiveDefinition returns false,
    // and the caller keeps the XML itself.
    virtual std::optional<std::string> liveDefinition(const std::string &name) = 0;
    virtual bool storeLiveDefinition(const std::string &name, const std::string &xml) = 0;
    // Notify the guest that its NVDIMMs changed (live attach, docs/live.rst):
    // write `page` (one 4 KiB FIT page, acpi/fit_page.h; its first 4 bytes
    // an even generation G) at guest frame `fitGfn`, populating that frame
    // on first use, as a seqlock: G-1 first, then bytes 4.., then G; then
    // pulse ISA IRQ `irq` (the guest's Generic Event Device). Throws when
    // the page cannot be written; `notified` is false when the page was
    // written but the interrupt could not be raised.
    virtual NvdimmNotification notifyNvdimmChange(uint32_t domid, uint64_t fitGfn,
                                                  const std::vector<uint8_t> &page, unsigned irq) = 0;

    // What a running domain was built with (see BuiltNvdimms).
    virtual BuiltNvdimms builtNvdimms(uint32_t domid) { (void)domid; return {}; }
};

// Lookup helper shared by the CLI and the live code: a number is an id,
// a UUID is a uuid, anything else a name (virsh's order).
DomainInfo lookupDomain(Hypervisor &hv, const std::string &nameOrIdOrUuid);

} // namespace xlnv::libxl
