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
    std::string name;                 // for messages (conf::describeNvdimm)
    unsigned slot = 0;
    uint64_t base = 0;                // guest physical byte address
    uint64_t size = 0;                // guest-visible bytes
    std::optional<unsigned> node;     // guest NUMA node (when vNUMA)
    bool readonly = false;
    ResolvedBacking backing;
    std::vector<IomemRange> ranges;   // cover [base, base + size)
};

// A device the guest already has that this layout must not collide with:
// one the domain was built with that no record of ours describes (e.g. a
// domain `xl` created from domxml-to-native output).
struct OccupiedNvdimm {
    static constexpr unsigned kNoSlot = ~0u;
    unsigned slot = kNoSlot;       // kNoSlot: only its ranges are known
    uint64_t base = 0;             // guest bytes [base, base + size)
    uint64_t size = 0;
    uint64_t mfn = 0;              // host frames [mfn, mfn + nr), nr 0: unknown
    uint64_t nr = 0;
};

struct GuestLayout {
    GuestKind kind = GuestKind::Hvm;
    uint64_t window_base = 0;
    bool has_vnuma = false;
    // <maxMemory slots>: an HVM guest with slots may get NVDIMMs while it
    // runs, so it gets the hotplug SSDT (_FIT, GED, NVxx per slot) even
    // with no NVDIMM at boot. 0: no hotplug tables.
    unsigned memory_slots = 0;
    unsigned hotplug_irq = 13;           // acpi::kDefaultHotplugIrq
    std::vector<PlacedNvdimm> devices;   // in slot order
    bool hotplug() const { return kind == GuestKind::Hvm && memory_slots > 0; }
    bool acpiTables() const { return kind == GuestKind::Hvm && (!devices.empty() || memory_slots > 0); }
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
    // The ISA IRQ of the guest's NVDIMM Generic Event Device ([guest]
    // nvdimm_hotplug_irq, nvdimmHotplugIrq()).
    unsigned hotplug_irq = 13;
    // Devices the guest has that the XML does not show: their slots and
    // guest ranges are not handed out again, and an explicit slot or base
    // on them is refused.
    std::vector<OccupiedNvdimm> occupied;
};

// [guest] nvdimm_hotplug_irq (default 13): an ISA IRQ nothing else in a
// Xen HVM guest uses. Throws ConfigUnsupported for 0, 2 or above 15.
unsigned nvdimmHotplugIrq(const Config &config);

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

// The part of planGuestLayout that needs no host: slots, explicit bases
// (2 MiB aligned, inside the window, no overlaps), the address limit.
// `dom` is left as it was.
void checkGuestPlacement(conf::DomainXml &dom);

} // namespace xlnv::libxl
