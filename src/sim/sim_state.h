// What the simulated Xen host remembers between commands: which domains
// run under which id, the iomem permissions and mappings they hold, the
// hypercall counters and the fsdax file allocations. Kept as
// <state dir>/host.json, rewritten atomically under the host lock.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hypervisor/hypervisor.h"
#include "hypervisor/mapping_ledger.h"

namespace xlnv::libxl {

struct SimCounters {
    uint64_t map_calls = 0;            // mapping hypercalls that added entries
    uint64_t unmap_calls = 0;
    uint64_t entries_4k = 0;           // entries added, by size
    uint64_t entries_2m = 0;
    uint64_t unmap_entries_4k = 0;
    uint64_t unmap_entries_2m = 0;
    uint64_t iomem_grant_calls = 0;
    uint64_t iomem_revoke_calls = 0;
};

struct SimDomainRuntime {
    std::optional<uint32_t> domid;
    DomainState state = DomainState::Shutoff;
};

// A file on a simulated DAX mount and where the sim placed it.
struct SimFileAllocation {
    uint64_t ino = 0;
    uint64_t offset = 0;   // bytes into the namespace's data area
    uint64_t length = 0;   // bytes, a multiple of the namespace align
};

// What a running guest sees: hypervisor.h's view.
using SimGuestNvdimm = GuestNvdimm;
using SimGuestView = GuestNvdimmView;

struct SimState {
    std::string host_uri;
    uint32_t next_domid = 1;
    std::map<std::string, SimDomainRuntime> domains;   // by name
    MappingLedger ledger;
    SimCounters counters;
    // namespace dev -> (path relative to its mount -> allocation)
    std::map<std::string, std::map<std::string, SimFileAllocation>> allocations;
    // domain name -> what the running guest sees (dropped on destroy)
    std::map<std::string, SimGuestView> guest_views;

    nlohmann::json toJson() const;
    static SimState fromJson(const nlohmann::json &j);   // InvalidArg-free: Internal on corruption
};

} // namespace xlnv::libxl
