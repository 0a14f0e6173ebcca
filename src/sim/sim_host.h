// The simulated Xen host behind sim:///default and sim:///PATH.xml: its
// description, its state directory, and locked sessions over its state.
// Layout of the state directory (docs/simulated-host.rst):
//   host.json      runtime state (sim_state.h), rewritten atomically
//   host.lock      flock: shared to read, exclusive to change
//   definitions/   persistent libvirt definitions, NAME.xml
//   live/          live definitions of running/paused domains
//   pmem/DEV.img   sparse file holding each namespace's data
//   mnt/NAME/      the "DAX-mounted" directory of an fsdax namespace
// Deleting the directory resets the host to its description.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hypervisor/hypervisor.h"
#include "hypervisor/domain_definitions.h"
#include "hypervisor/domain_xml.h"
#include "util/state_dir.h"
#include "sim/sim_host_description.h"
#include "sim/sim_state.h"

namespace xlnv::libxl {

class SimHost {
public:
    // Opens the host, initializing the state directory on first use.
    // OperationInvalid when the directory belongs to another simulated host.
    SimHost(std::string uri, SimHostDescription description, std::string stateDir,
            DomainLimitDefaults limits = {});

    const std::string &uri() const { return uri_; }
    const std::string &stateDir() const { return stateDir_; }
    const SimHostDescription &description() const { return description_; }
    const DomainLimitDefaults &limits() const { return limits_; }
    DefinitionStore &definitions() { return definitions_; }
    DefinitionStore &liveDefinitions() { return live_; }
    // Stores a running domain's live definition, its summary kept for the
    // next session (which would otherwise parse it again).
    void storeLiveDefinition(const std::string &name, const std::string &xml);

    std::string backingFile(const SimNamespaceDescription &ns) const;
    std::string mountPath(const SimNamespaceDescription &ns) const;
    std::string lockPath() const { return stateDir_ + "/host.lock"; }

    // The namespace holding host frames [mfn, mfn+nr) whole; null if none.
    const SimNamespaceDescription *namespaceForFrames(uint64_t mfn, uint64_t nr) const;

    // A consistent view of the state under the host lock. A writing
    // session saves on commit(); dropped without commit, nothing changes.
    class Session {
    public:
        Session(SimHost &host, bool write);
        SimState &state() { return state_; }
        void commit();

        // Every known domain: defined ones and active transient ones.
        const std::vector<DomainInfo> &domains();
        // The running or paused domain with this id; NoDomain otherwise.
        // Only that domain's definition is read.
        const DomainInfo &activeDomain(uint32_t domid);
        // The domain called `name`, as domains() has it; nullopt if none.
        std::optional<DomainInfo> domainNamed(const std::string &name);
        void invalidateDomains()
        {
            domains_.reset();
            active_.reset();
        }

    private:
        SimHost &host_;
        StateLock lock_;
        bool write_;
        SimState state_;
        std::optional<std::vector<DomainInfo>> domains_;
        std::optional<DomainInfo> active_;   // activeDomain's last answer
    };

private:
    void initialize();
    DomainInfo buildInfo(const std::string &name, const SimDomainRuntime &rt);

    std::string uri_;
    SimHostDescription description_;
    std::string stateDir_;
    DomainLimitDefaults limits_;
    DefinitionStore definitions_;
    DefinitionStore live_;
    // Each domain's definition as last parsed: a session lists every
    // domain, and most definitions have not changed since the last one.
    struct ParsedDefinition {
        std::string xml;
        DefinitionSummary summary;
    };
    std::mutex parsedMutex_;
    std::map<std::string, ParsedDefinition> parsed_;
    DefinitionSummary summarize(const std::string &name, const std::string &xml);

    // host.json as this process last read or wrote it, and its state: a
    // session whose file holds the same text starts from a copy instead
    // of parsing it again (another process's change is different text).
    std::mutex stateMutex_;
    std::string stateText_;
    SimState stateParsed_;
    SimState loadState(const std::string &text);
    void rememberState(std::string text, const SimState &state);
};

} // namespace xlnv::libxl
