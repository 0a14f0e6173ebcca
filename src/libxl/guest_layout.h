// Where a domain's NVDIMMs live in guest physical address space, and
// which host frames back each guest frame.
//
// Window: the devices go into a window above guest RAM and hvmloader's
// 64-bit BAR space, starting at
//     window_base = align_up(4 GiB + ceiling + kBarReserve, 1 GiB)
// where ceiling is <maxMemory> (or the total memory when absent): even
// if hvmloader relocated all RAM above the 4 GiB hole, RAM ends below
// 4 GiB + ceiling, and 64-bit BARs are placed right after high RAM.
// The formula only depends on the domain XML, so it is deterministic;
// the chosen bases are written back as <address type='dimm' base=...>
// and are honoured from then on (stable across boots).
//
// Size: the guest-visible area is (target size - label size) aligned
// down to 2 MiB, as QEMU aligns an NVDIMM's pmem area to its backend's
// 2 MiB alignment (libvirt's extra round-up is not applied: the area
// never exceeds what the XML asked for, nor the backing).
//
// Frames: each device is 2 MiB aligned; a guest frame and its host frame
// agree modulo 512 wherever the host range is 2 MiB aligned, so Xen can
// use 2 MiB entries. Host ranges only 4 KiB aligned (namespaces made by a
// PV dom0) are mapped with 4 KiB entries, with a warning.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/domain_conf.h"
#include "pmem/backing_resolver.h"
#include "hypervisor/hypervisor.h"

namespace xlnv::libxl {

constexpr uint64_t kLayoutWindowAlign = 1ull << 30;
constexpr uint64_t kLayoutFourGiB = 4ull << 30;
// Room kept for hvmloader's 64-bit BARs above high RAM.
constexpr uint64_t kBarReserve = 32ull << 30;
// Highest guest physical address we hand out (46 bits, x86 HAP guests).
constexpr uint64_t kGuestPhysLimit = 1ull << 46;

enum class GuestKind { Hvm, Pvh };

// One iomem range: nr host frames from mfn mapped at guest frame gfn.
struct IomemRange {
    uint64_t mfn = 0;
    uint64_t nr = 0;
    uint64_t gfn = 0;
    bool superpage = false;   // gfn and mfn agree modulo 512
    bool operator==(const IomemRange &) const = default;
};

struct PlacedNvdimm {
    size_t index = 0;                 // position in DomainXml::nvdimms()
    std::string name;                 // for messages (alias or path)
    unsigned slot = 0;
    uint64_t base = 0;                // guest physical byte address
    uint64_t size = 0;                // guest-visible bytes
    std::optional<unsigned> node;     // guest NUMA node (when vNUMA)
    bool readonly = false;
    ResolvedBacking backing;
    std::vector<IomemRange> ranges;   // cover [base, base + size)
};

struct GuestLayout {
    GuestKind kind = GuestKind::Hvm;
    uint64_t window_base = 0;
    bool has_vnuma = false;
    std::vector<PlacedNvdimm> devices;   // in slot order
    bool acpiTables() const { return kind == GuestKind::Hvm && !devices.empty(); }
};

struct LayoutOptions {
    // Replace the computed window base (tests that place NVDIMMs inside
    // a QEMU guest's unused RAM). Explicit bases below it are refused.
    std::optional<uint64_t> window_base;
    // Host namespaces every host range must lie in (the toolstack's own
    // check: Xen does not verify iomem frames). Empty: no check.
    std::vector<PmemNamespace> namespaces;
    // The guest's physical address width (Hypervisor::physAddrBits):
    // every device must end at or below 1 << bits, checked before any
    // backing is resolved or provisioned. 0: unknown, not checked.
    unsigned phys_addr_bits = 0;
};

// The window base for this domain (formula above).
uint64_t nvdimmWindowBase(const conf::DomainXml &dom);

// Guest-visible size for one device (bytes); throws when nothing is left.
uint64_t nvdimmGuestSize(const conf::NvdimmDef &def);

// The physical address width the guest of `dom` has, or gets when it is
// started: the hypervisor's domain of that name if it knows one, else
// what a new domain of that kind gets. 0 when unknown; a failed query
// never throws (the check is skipped instead).
unsigned guestPhysAddrBits(Hypervisor &hv, const conf::DomainXml &dom);

// Place every NVDIMM of `dom`, check the placement against the guest's
// physical address width, resolve backings, compute iomem ranges and
// write assigned slots/bases back into `dom`. Throws xlnv::Error
// (ConfigUnsupported / XmlError / OperationInvalid) naming the device.
GuestLayout planGuestLayout(conf::DomainXml &dom, BackingResolver &resolver,
                            const LayoutOptions &options = {});

} // namespace xlnv::libxl
