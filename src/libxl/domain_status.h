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
    std::vector<IomemRange> ranges;
    // Step intents (set before the step runs).
    bool labeled = false;
    bool pinned = false;
    bool granted = false;
    bool mapped = false;
    bool in_guest = false;             // in the guest's NFIT data / live XML
    // The attach created the backing file (removed again on rollback).
    bool created_file = false;
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

    DeviceStatus *find(const std::string &alias);
    // The layout the guest sees: the devices it was told about.
    GuestLayout guestLayout() const;
};

nlohmann::json domainStatusToJson(const DomainStatus &status);
DomainStatus domainStatusFromJson(const nlohmann::json &j, const std::string &origin);

// domains/NAME/{status.json,nvdimm-acpi.bin} under a state directory.
class StatusStore {
public:
    explicit StatusStore(std::string stateDir);
    std::string domainDir(const std::string &name) const;
    std::string acpiPath(const std::string &name) const;
    std::optional<DomainStatus> load(const std::string &name) const;
    void save(const DomainStatus &status) const;
    // Removes status and blob (and the directory when empty).
    void remove(const std::string &name) const;
    std::vector<std::string> names() const;

private:
    std::string dir_;
};

} // namespace xlnv::libxl
