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
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "conf/domain_conf.h"
#include "libxl/connection.h"
#include "libxl/device_event.h"
#include "libxl/domain_status.h"
#include "libxl/nvdimm_driver.h"
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

// A live fault point (util/fault_injection.h, domain "live").
void liveStep(const char *what);

struct NvdimmDriver::Impl {
    Impl(Connection &conn, DriverOptions options);

    Connection &conn;
    DriverOptions options;
    StatusStore store;
    EventLog events;

    std::mutex callbackLock;
    std::map<int, EventCallback> callbacks;
    int nextCallbackId = 1;
    std::vector<DeviceEvent> queued;

    // --- live_steps.cc ---
    void queueEvent(DeviceEventKind kind, const std::string &domain, const std::string &uuid,
                    const std::string &alias);
    void flushEvents();

    // The live XML of a running domain (sim: the host's live definitions;
    // xen: the status, else synthesized from the hypervisor's view).
    std::string liveXml(const DomainInfo &info);
    void setLiveXml(const std::string &name, DomainStatus &status, const std::string &xml);
    std::optional<std::string> persistentXml(const std::string &name);

    // The domain's id when it runs and is the one `status` describes.
    std::optional<uint32_t> activeDomid(const DomainStatus &status);

    security::SecurityManager securityManager() const;
    security::DomainRef domainRef(const DomainStatus &status) const;
    security::SecurityPlan securityPlan(const DomainStatus &status, const std::string &xml) const;

    // Rewrite the acpi_firmware blob (and, on sim, the guest's view) from
    // the devices the guest is told about.
    void publishGuest(DomainStatus &status);

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
