// The NVDIMM driver of one connection: domain lifecycle as far as NVDIMMs
// are concerned (define, start, destroy, prepare, release), live and
// persistent attach/detach, status with crash recovery, and
// DEVICE_ADDED/DEVICE_REMOVED events. It composes the layers below:
// conf (parse/validate), util (provision, resolve, pin), security
// (label/restore), libxl (layout, libxl config, ACPI blob) and the
// Hypervisor (permissions, mappings). The CLI, the C API and the libvirt
// hook all go through this class and nothing else.
//
// State (under the connection's state directory, docs/live.rst):
//   domains/NAME/status.json   the running domain's NVDIMMs and the
//                              journal of an operation in progress,
//                              rewritten atomically before and after
//                              each step
//   domains/NAME/nvdimm-acpi.bin  acpi_firmware blob (NFIT + SSDT)
//   locks/domain-NAME.lock     flock: one operation per domain
//   locks/backing-DEV-INO.lock flock: one operation per backing
//   events.log                 append-only, one JSON object per line
//
// Every public operation takes the domain lock, then finishes or rolls
// back whatever a killed process left in that domain's journal, then
// does its own work. Every failure undoes the earlier steps in reverse
// and rethrows the first error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "libxl/device_event.h"
#include "libxl/guest_layout.h"
#include "hypervisor/hypervisor.h"
#include "util/progress.h"

namespace xlnv {
class Config;
}

namespace xlnv::libxl {

class Connection;

// virsh's --live/--config/--current/--persistent (virDomainModificationImpact).
enum ModifyFlags : unsigned {
    kAffectCurrent = 0,   // live when the domain runs, else config
    kAffectLive = 1u << 0,
    kAffectConfig = 1u << 1,
};
// --persistent: config, plus live when the domain runs.
unsigned persistentFlags(bool domainActive);

// What prepare hands back to whoever starts the domain (libvirt hook, C
// API, `start` on the simulated host).
struct PreparedDomain {
    std::string name;
    std::string xml;                  // the domain XML with slots, aliases and bases assigned
    GuestLayout layout;               // devices with their host ranges
    std::string acpi_firmware_path;   // empty when the layout needs no tables
};

struct DriverOptions {
    // How long detach waits for the guest to acknowledge the eject
    // request before it gives up ([hypervisor] eject_timeout_ms).
    unsigned eject_timeout_ms = 5000;
    // Accept <readonly/> although Xen cannot enforce it: stock
    // XEN_DOMCTL_memory_mapping has no read-only mode, the guest gets a
    // writable mapping and only the NFIT says read-only
    // ([hypervisor] advisory_readonly). Off: such a device is refused.
    bool advisory_readonly = false;
    // Hears the long steps of attach, prepare and start (filling and
    // resolving a backing, labelling, mapping ranges); empty: silent.
    // The driver never prints; the CLI passes its ProgressReporter.
    ProgressFn progress = {};
};
// [hypervisor] eject_timeout_ms and advisory_readonly of the configuration file.
DriverOptions driverOptionsFromConfig(const Config &config);

class NvdimmDriver {
public:
    explicit NvdimmDriver(Connection &conn, DriverOptions options = {});
    ~NvdimmDriver();
    NvdimmDriver(const NvdimmDriver &) = delete;
    NvdimmDriver &operator=(const NvdimmDriver &) = delete;

    Connection &connection() { return conn_; }

    // Persistent definitions. define validates (libvirt's rules + Xen's)
    // and returns the domain name; redefining a running domain changes
    // only its persistent definition.
    std::string define(const std::string &xml);
    void undefine(const std::string &domain);

    // Domain XML: the live one (alias/address of every NVDIMM) for a
    // running domain, else (or with `inactive`) the persistent one. On
    // xen:///system a domain nobody defined here gets one synthesized from
    // libxl's view.
    std::string dumpXml(const std::string &domain, bool inactive);

    // prepare: provision/resolve, pin, label, lay out, write the ACPI blob
    // and record the status, for a domain about to be created from
    // `domainXml` (libvirt's XML at `prepare begin`). release: undo all of
    // it after the domain is gone (`release end`). release of a domain
    // with nothing prepared is not an error.
    PreparedDomain prepare(const std::string &domainXml);
    void release(const std::string &domain);

    // Start a defined domain (simulated host: prepare, then build it as
    // libxl does from our libxl config: iomem permission + mappings +
    // acpi_firmware); destroy it (mappings go with the domain, then release).
    DomainInfo start(const std::string &domain, bool paused = false);
    void destroy(const std::string &domain);

    // Attach one <memory model='nvdimm'> (device XML). Returns the alias.
    // Live: validate against the live domain, assign slot/alias/base,
    // provision, pin, label, grant, map, update the guest's ACPI data,
    // record, emit DEVICE_ADDED.
    std::string attachDevice(const std::string &domain, const std::string &deviceXml, unsigned flags);
    // Detach the device matching `deviceXml` (libvirt's matching: alias
    // if given, else source path + target size), or by alias. Live detach
    // asks the guest to eject first; `force` skips that (real Xen has no
    // stock path and refuses without it). Returns the alias.
    std::string detachDevice(const std::string &domain, const std::string &deviceXml, unsigned flags,
                             bool force);
    std::string detachDeviceAlias(const std::string &domain, const std::string &alias, unsigned flags,
                                  bool force);

    // Finish or roll back every domain's interrupted operation (each
    // operation also does it for its own domain). Returns the names of
    // the domains it repaired.
    std::vector<std::string> recoverAll();

    // In-process event callbacks (the C API); events also go to the
    // events file for `event`. Callbacks run after the operation's locks
    // are released; an exception from one is logged and dropped.
    using EventCallback = std::function<void(const DeviceEvent &)>;
    int addEventCallback(EventCallback cb);
    void removeEventCallback(int id);

    struct Impl;   // live_engine.h

private:
    Connection &conn_;
    std::unique_ptr<Impl> impl_;
};

} // namespace xlnv::libxl
