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

// What a running guest has been told about its NVDIMMs: hypervisor.h's
// GuestNvdimm (alias, guest base, size).
using SimGuestNvdimm = GuestNvdimm;

// An NVDIMM as the guest's OS knows it from its FIT (no alias: the FIT
// has none).
struct SimGuestFitDevice {
    unsigned slot = 0;
    uint64_t base = 0;
    uint64_t size = 0;
    bool readonly = false;
    bool operator==(const SimGuestFitDevice &) const = default;
};

struct SimGuestView {
    std::vector<SimGuestNvdimm> nvdimms;   // the tables the toolstack published
    std::string acpi_firmware;          // path of the blob, "" for none
    uint64_t acpi_firmware_bytes = 0;
    // The guest's OS, modelled on Linux's nfit driver: it read its FIT
    // from the tables at boot (fit_booted) and re-reads it only when
    // notified; a FIT that drops or changes an entry it has is rejected
    // and its view stays as it was.
    bool fit_booted = false;
    std::vector<uint8_t> fit;              // the FIT the OS holds
    std::vector<uint8_t> fit_page;         // the FIT page as last written; empty: none yet
    std::vector<SimGuestFitDevice> fit_devices;   // what the OS sees (from `fit`)
    uint64_t notifications = 0;
    uint64_t fit_rejections = 0;
    std::string fit_error;                 // the last rejection, as Linux logs it
};

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
