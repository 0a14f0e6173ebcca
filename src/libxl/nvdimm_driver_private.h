// Internals of NvdimmDriver (nvdimm_driver.h), shared by its parts:
//   live_steps.cc      the steps both directions use (publish the guest's
//                      view, tear a device down, recovery from the journal)
//   live_attach.cc     live and persistent attach
//   live_detach.cc     live and persistent detach
//   live_lifecycle.cc  prepare, release, start, destroy
// Every method here runs under the domain's lock (the public methods in
// nvdimm_driver.cc take it) and may queue events, sent after unlocking.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "conf/domain_conf.h"
#include "libxl/connection.h"
#include "libxl/device_event.h"
#include "libxl/domain_status.h"
#include "libxl/nvdimm_driver.h"
#include "pmem/host_backings.h"
#include "util/fd.h"
#include "security/security_manager.h"

namespace xlnv::libxl {

// Undo actions of an operation in progress, run newest first unless
// commit() was called: the in-process rollback. (A killed process is
// rolled back from the journal instead.)
class UndoStack {
public:
    UndoStack() = default;
    UndoStack(const UndoStack &) = delete;
    UndoStack &operator=(const UndoStack &) = delete;
    ~UndoStack();
    void push(std::function<void()> undo) { steps_.push_back(std::move(undo)); }
    void commit() { steps_.clear(); }

private:
    std::vector<std::function<void()>> steps_;
};

// A backing held for an operation (pmem/host_backings.h), shared with
// the undo steps that use its descriptor.
using HeldRef = std::shared_ptr<HeldBacking>;
struct HeldDevice {
    std::string alias;
    HeldRef held;
    security::BackingRequest request;   // per-device relabel opt-outs
};

// The security request for a device: its host object, the descriptor it
// is held as (-1: open the object), its relabel opt-outs.
security::BackingRequest backingRequest(const DeviceStatus &dev, int fd = -1);
// Carries a definition's <source><seclabel relabel='no'/> into its status.
void setRelabel(DeviceStatus &dev, const conf::NvdimmDef &def);

// A live fault point (util/fault_injection.h, domain "live").
void liveStep(const char *what);

struct NvdimmDriver::Impl {
    Impl(Connection &conn, DriverOptions options);

    Connection &conn;
    DriverOptions options;
    StatusStore store;
    EventLog events;

    // Removes dead processes' temporary files from the directories every
    // domain shares: on the first recovery of this driver, or `always`.
    void sweepSharedTemps(bool always);
    std::mutex sweepLock;
    bool swept = false;

    std::mutex callbackLock;
    std::map<int, EventCallback> callbacks;
    int nextCallbackId = 1;
    std::vector<DeviceEvent> queued;

    // Tells options.progress, if any.
    void report(ProgressPhase phase, const std::string &subject, uint64_t done = 0, uint64_t total = 0) const
    {
        if (options.progress)
            options.progress({phase, subject, done, total});
    }

    // --- live_steps.cc ---
    void queueEvent(DeviceEventKind kind, const std::string &domain, const std::string &uuid,
                    const std::string &alias, std::optional<bool> guestNotified = std::nullopt);
    void flushEvents();

    // The live XML of a running domain (sim: the host's live definitions;
    // xen: the status, else synthesized from the hypervisor's view).
    std::string liveXml(const DomainInfo &info);
    void setLiveXml(const std::string &name, DomainStatus &status, const std::string &xml);
    std::optional<std::string> persistentXml(const std::string &name);

    // The domain's id when it runs and is the one `status` describes.
    std::optional<uint32_t> activeDomid(const DomainStatus &status);

    // Made from the connection's configuration on first use, then kept
    // (the configuration is read once per connection).
    const security::SecurityManager &securityManager() const;
    mutable std::mutex securityLock;
    mutable std::optional<security::SecurityManager> security;
    security::DomainRef domainRef(const DomainStatus &status) const;
    security::SecurityPlan securityPlan(const DomainStatus &status, const std::string &xml) const;
    security::SecurityPlan securityPlan(const DomainStatus &status, const conf::DomainXml &dom) const;

    // Rewrite the acpi_firmware blob (and, on sim, the guest's view) from
    // the devices the guest is told about.
    // `domid`: the running domain's id where the caller holds it (under
    // the domain lock); else it is looked up.
    void publishGuest(DomainStatus &status, std::optional<uint32_t> domid = std::nullopt);

    // Hotplug (docs/live.rst): what the guest's tables say, recorded when
    // we lay them out (prepare/start) ...
    static void recordBootTables(DomainStatus &status, const GuestLayout &layout);
    // ... or learned for a running domain we have no such record of (an
    // xl-created one): its FIT, FIT page and IRQ from the acpi_firmware
    // blob libxl built it with, its NVDIMMs and iomem ranges as occupied.
    void learnGuestTables(DomainStatus &status, uint32_t domid);
    // The FIT after appending `dev`; throws ConfigUnsupported when the
    // page cannot hold it (checked before any hypervisor call).
    std::vector<uint8_t> fitWith(const DomainStatus &status, const DeviceStatus &dev) const;
    // Write the FIT page and raise the guest's hotplug interrupt; records
    // the new FIT and returns whether the guest was notified. Guests
    // without hotplug tables are not notified (false, with a warning).
    bool notifyGuest(DomainStatus &status, uint32_t domid, const std::vector<uint8_t> &fit);
    // Refuse a backing another domain holds (with `sameDomainToo`, this
    // one too), before anything is provisioned: a pinned file cannot be
    // opened to fill it.
    void refuseHeldBacking(const std::string &domain, const std::string &path, bool sameDomainToo);
    // The step attach and prepare share, on the backings they hold: label
    // under undo, then pin each under undo; each intent journaled first.
    void labelAndPin(DomainStatus &st, const std::vector<HeldDevice> &devs,
                     const security::SecurityPlan &plan, bool releaseDomainOnUndo,
                     const char *labelStep, const char *pinStep, UndoStack &undo);
    // The inode `dev` was given, opened again (O_RDONLY) for restore and
    // unpin; invalid, with a warning, when it is gone or its path now
    // names another file (which is left alone).
    UniqueFd reopenDeviceBacking(const DomainStatus &st, const DeviceStatus &dev);

    // Undo everything `dev` holds on the host: mappings and permissions
    // that exist now, pin, labels; with `removeCreated`, a backing file
    // the attach created.
    void teardownDevice(DomainStatus &status, const DeviceStatus &dev, bool removeCreated);
    // Remove files the journal says may have been created and nobody holds.
    void removeMaybeCreated(const DomainStatus &status, const std::vector<std::string> &paths);

    // Finish or roll back what a killed process left in the journal.
    // Returns true when there was something to do.
    bool recover(const std::string &name);

    // Saves the status, or removes it when nothing is left to record.
    void saveOrRemove(const DomainStatus &status);
    DomainStatus loadOrNew(const DomainInfo &info);

    // <readonly/> the hypervisor cannot enforce: refused unless the
    // configuration accepts it as advisory (DriverOptions).
    void refuseUnenforcedReadonly(const conf::NvdimmDef &def) const;

    // --- live_attach.cc / live_detach.cc ---
    std::string attach(const DomainInfo &info, const std::string &deviceXml, bool live, bool config);
    std::string detach(const DomainInfo &info, const conf::NvdimmDef *match, const std::string &alias,
                       bool live, bool config, bool force);

    // --- live_lifecycle.cc ---
    PreparedDomain prepareLocked(conf::DomainXml &dom, const std::string &op, UndoStack &undo,
                                 DomainStatus &status);
    void releaseLocked(const std::string &name, bool removeCreated);
    DomainInfo start(const std::string &name, bool paused);
    void destroy(const std::string &name);
};

// Matching of libvirt's detach: by alias when the device XML has one,
// else by source path and target size. -1 when nothing matches.

} // namespace xlnv::libxl
