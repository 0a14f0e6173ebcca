// What iomem permissions and mappings each domain holds, kept as merged,
// sorted frame ranges. The simulated host keeps its truth here; the
// libxenctrl implementation keeps a record of its own calls here, since
// Xen offers no query for either.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <utility>
#include <optional>
#include <string>
#include <vector>

#include "hypervisor/hypervisor.h"

namespace xlnv::libxl {

class MappingLedger {
public:
    struct DomainRecord {
        std::string uuid;                     // guards against domid reuse
        std::vector<IomemPermission> iomem;        // sorted by mfn, merged
        std::vector<MemoryMapping> mappings;  // sorted by gfn, merged
    };

    void addIomem(uint32_t domid, uint64_t mfn, uint64_t nr);
    void removeIomem(uint32_t domid, uint64_t mfn, uint64_t nr);
    // True when every frame of [mfn, mfn+nr) is permitted to domid.
    bool iomemCovers(uint32_t domid, uint64_t mfn, uint64_t nr) const;

    void addMapping(uint32_t domid, const MemoryMapping &m);
    // Removes a range that lies inside one recorded mapping with the same
    // gfn->mfn offset; false (nothing changed) otherwise.
    bool removeMapping(uint32_t domid, const MemoryMapping &m);

    // First mapping of any domain whose host frames overlap [mfn, mfn+nr).
    std::optional<std::pair<uint32_t, MemoryMapping>> findHostOverlap(uint64_t mfn, uint64_t nr) const;
    // First mapping of domid whose guest frames overlap [gfn, gfn+nr).
    std::optional<MemoryMapping> findGuestOverlap(uint32_t domid, uint64_t gfn, uint64_t nr) const;

    std::vector<IomemPermission> iomem(uint32_t domid) const;
    std::vector<MemoryMapping> mappings(uint32_t domid) const;
    uint64_t mappedFrames(uint32_t domid) const;
    const std::map<uint32_t, DomainRecord> &domains() const { return domains_; }
    DomainRecord &record(uint32_t domid) { return domains_[domid]; }
    void forget(uint32_t domid) { domains_.erase(domid); }
    // Drops the records that hold nothing (what fromJson leaves out).
    void dropEmptyRecords();

    nlohmann::json toJson() const;
    static MappingLedger fromJson(const nlohmann::json &j);

private:
    void prune(uint32_t domid);
    std::map<uint32_t, DomainRecord> domains_;
};

inline bool rangesOverlap(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    return an && bn && a < b + bn && b < a + an;
}

// The common part of [a, a+an) and [b, b+bn), as (start, length); call
// only when rangesOverlap.
inline std::pair<uint64_t, uint64_t> rangeIntersection(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
    const uint64_t start = a > b ? a : b;
    const uint64_t end = a + an < b + bn ? a + an : b + bn;
    return {start, end - start};
}

} // namespace xlnv::libxl
