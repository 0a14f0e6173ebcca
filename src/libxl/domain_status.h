// What this project knows about a domain's NVDIMMs between commands:
// <state dir>/domains/NAME/status.json, rewritten atomically whenever
// recovery needs it (docs/live.rst). Each device carries its steps
// as *intents*: a flag is saved before its step runs, so a process killed
// inside the step leaves enough to undo it. An attach saves all of a
// device's intents at once before its first step: undoing a step that
// never ran does nothing (teardown looks at what exists).
// `pending` is the journal of the operation in progress.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "libxl/guest_layout.h"
#include "util/safe_open.h"

namespace xlnv::libxl {

struct DeviceStatus {
    std::string alias;
    unsigned slot = 0;
    uint64_t base = 0;                 // guest physical byte address
    uint64_t size = 0;                 // guest-visible bytes
    std::optional<unsigned> node;
    bool readonly = false;
    std::string path;                  // <source><path>
    std::string host_object;           // what is pinned and labeled
    FileIdentity inode;                // that object's inode: restore and unpin find it by this
    std::vector<IomemRange> ranges;
    // Step intents (set before the step runs).
    bool labeled = false;
    bool pinned = false;
    bool granted = false;
    bool mapped = false;
    bool in_guest = false;             // in the guest's NFIT data / live XML
    // The attach created the backing file (removed again on rollback).
    bool created_file = false;
    // The host object is a regular file: its owner, labels and flags
    // outlive a host crash, so the record of them must too (a device
    // node's come back from udev at boot, with the domain gone).
    bool host_file = true;
    // The device's <source><seclabel relabel='no'/> opt-outs: what the
    // label step skipped, so restore skips it too.
    bool relabel_dac = true;
    bool relabel_selinux = true;
    // Live attach: the running guest's OS was told through the FIT page
    // and its hotplug interrupt (docs/live.rst); false when the guest has
    // no hotplug tables or the notification failed.
    bool notified = false;
    bool operator==(const DeviceStatus &) const = default;

    // A device as the layout placed it (slot, base, size, node, readonly,
    // host ranges), no step applied yet; and back, for the ACPI tables.
    static DeviceStatus fromPlaced(const PlacedNvdimm &placed, std::string alias, std::string path,
                                   std::string hostObject);
    PlacedNvdimm toPlaced() const;
};

// The journal: one operation in progress on the domain.
struct PendingOperation {
    std::string op;                    // attach, detach, start, destroy, prepare, release
    std::string alias;                 // attach/detach: the device
    bool config = false;               // the persistent definition is being changed too
    bool config_done = false;          // ... and already was
    std::vector<std::string> may_create;   // files that did not exist before provisioning
    bool started = false;              // start: the domain was created
};

struct DomainStatus {
    std::string name;
    std::string uuid;
    std::string state;                 // "prepared" or "running"
    std::optional<uint32_t> domid;     // while running
    unsigned label_domid = 0;          // domid the backings were labeled for
    GuestKind kind = GuestKind::Hvm;
    uint64_t window_base = 0;
    bool has_vnuma = false;
    std::string acpi_firmware;         // blob path, "" for none
    std::string xml;                   // live XML kept here when the hypervisor keeps none
    std::vector<DeviceStatus> devices; // in slot order
    std::optional<PendingOperation> pending;
    // Hotplug (acpi/fit_page.h): <maxMemory slots> and the GED's IRQ the
    // guest booted with; the FIT it was last given (starts as the boot
    // FIT, only ever grows while it runs) and that page's generation.
    unsigned memory_slots = 0;
    unsigned hotplug_irq = 13;
    uint64_t fit_page = 0;             // guest physical address; 0: no hotplug tables
    std::vector<uint8_t> fit;
    bool fit_known = false;            // `fit` holds the guest's FIT (may be empty)
    uint32_t fit_generation = 0;
    // NVDIMMs the domain was built with that no device here describes
    // (learned from the hypervisor, e.g. an xl-created domain).
    std::vector<OccupiedNvdimm> occupied;

    DeviceStatus *find(const std::string &alias);
    // The layout the guest sees: the devices it was told about.
    GuestLayout guestLayout() const;
};

// The status file's text (util/json_writer.h: as nlohmann would print it).
std::string domainStatusText(const DomainStatus &status);
// Whether a host crash would leave something recovery must undo (see
// StatusStore::save).
bool outlivesHostCrash(const DomainStatus &status);
DomainStatus domainStatusFromJson(const nlohmann::json &j, const std::string &origin);

// domains/NAME/{status.json,nvdimm-acpi.bin,acpi-firmware.bin} under a state directory.
class StatusStore {
public:
    explicit StatusStore(std::string stateDir);
    std::string domainDir(const std::string &name) const;
    std::string acpiPath(const std::string &name) const;
    // The caller's own acpi_firmware (libvirt's SLIC table) followed by
    // our blob, when the caller already had one.
    std::string combinedAcpiPath(const std::string &name) const;
    std::optional<DomainStatus> load(const std::string &name) const;
    // Written durably (fsynced) only when a host crash would leave
    // something recovery must undo: a file's owner, labels or immutable
    // flag, a file the operation may create, a persistent definition being
    // changed. A record of device nodes and mappings alone dies with the
    // domain it describes.
    void save(const DomainStatus &status) const;
    // Removes status and blob (and the directory when empty).
    void remove(const std::string &name) const;
    std::vector<std::string> names() const;

private:
    std::string dir_;
};

} // namespace xlnv::libxl
