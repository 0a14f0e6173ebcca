// A connection to a hypervisor by URI, like libvirt's virConnectOpen:
//   xen:///system            the real host (libxenctrl, libxenlight)
//   sim:///default           the built-in simulated Xen host
//   sim:///ABSOLUTE/PATH.xml a simulated host described in a file
// Everything above takes the Hypervisor, PmemInventory and definitions
// from here and never asks which kind it got; only commands that exist
// only on a simulated host (sim-stats) reach it, by requireSimulated().
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "hypervisor/hypervisor.h"
#include "hypervisor/domain_definitions.h"
#include "pmem/inventory.h"
#include "util/config.h"

namespace xlnv::libxl {

// The connection used when none is named, chosen like virsh's default:
// $LIBXL_NVDIMM_DEFAULT_URI, then [client] uri_default of the
// configuration, then the hypervisor this machine runs: xen:///system in
// a Xen dom0. Elsewhere, with `simulatorFallback`, the simulated host
// sim:///default (fallback set, so the caller can say so); without it,
// xen:///system (whose failure then explains itself).
struct DefaultUri {
    std::string uri;
    bool fallback = false;
};
DefaultUri chooseDefaultUri(const Config &config, bool simulatorFallback);
// /proc/xen/capabilities names control_d, or /dev/xen/privcmd exists.
bool runningInXenDom0();
bool isSimulatorUri(const std::string &uri);

class HostBackings;
class SimHost;
class SimHypervisor;
class SimPmemInventory;

class Connection {
public:
    // The configuration file is read once, here (like libvirt's
    // libxlDriverConfig); limits default to its [hypervisor] keys.
    // stateDir empty: $LIBXL_NVDIMM_STATE_DIR, else defaultStateDir() of
    // the kind of host (a simulated host never uses the production state
    // directory). NoConnect for an unknown URI or an unreachable
    // hypervisor; nothing is created then. With $LIBXL_NVDIMM_NO_CREATE
    // set (bash completion), a missing state directory is not created: the
    // connection works on a throwaway one it removes when closed.
    static std::unique_ptr<Connection> open(const std::string &uri, const std::string &stateDir,
                                            std::optional<DomainLimitDefaults> limits = std::nullopt);
    ~Connection();

    const std::string &uri() const { return uri_; }
    const std::string &stateDir() const { return stateDir_; }
    // The configuration read when the connection opened.
    const Config &config() const { return config_; }
    Hypervisor &hypervisor() { return *hypervisor_; }
    // The simulated host's namespaces, or the real host's (libndctl;
    // $LIBXL_NVDIMM_PMEM_FIXTURE wins, see pmem/inventory.h).
    PmemInventory &inventory();
    DefinitionStore &definitions() { return *definitions_; }
    // The host's backings for the live code (host_backings.h): resolve,
    // provision, the object to pin and label.
    HostBackings &backingResolver();

    // Non-null only on sim:// connections.
    SimPmemInventory *simulatedInventory() { return simInventory_.get(); }
    // SimHypervisor, or OperationUnsupported naming `command`.
    SimHypervisor &requireSimulated(const char *command);

private:
    Connection() = default;
    std::string uri_;
    std::string stateDir_;
    Config config_;
    std::string throwawayStateDir_;
    std::shared_ptr<SimHost> simHost_;
    std::unique_ptr<Hypervisor> hypervisor_;
    SimHypervisor *simHypervisor_ = nullptr;
    std::unique_ptr<SimPmemInventory> simInventory_;
    std::unique_ptr<PmemInventory> hostInventory_;
    std::unique_ptr<HostBackings> backings_;
    std::unique_ptr<DefinitionStore> ownDefinitions_;
    DefinitionStore *definitions_ = nullptr;
};

} // namespace xlnv::libxl
