// Host persistent memory: the facts the rest of the project needs about
// namespaces and about a resolved NVDIMM backing. Implementations of
// PmemInventory: libndctl/libdaxctl (real host), a fixture (unit tests),
// the simulated Xen host (src/libxl).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace xlnv {

enum class PmemMode { Unknown, Fsdax, Devdax, Raw, Sector };
const char *pmemModeName(PmemMode mode);   // "fsdax", "devdax", "raw", "sector"

struct PmemRegion {
    std::string dev;          // "region0"
    uint64_t spa = 0;         // region resource (host physical byte address)
    uint64_t size = 0;        // bytes
    uint64_t align = 0;       // bytes
    int numa_node = -1;
};

struct PmemNamespace {
    std::string dev;          // "namespace0.0"
    std::string region;       // "region0"
    PmemMode mode = PmemMode::Unknown;
    std::string name;         // alt name, may be empty
    std::string uuid;         // may be empty
    uint64_t size = 0;        // usable data size, bytes
    uint64_t spa = 0;         // SPA of the data area (pfn/dax resource)
    uint64_t align = 0;       // bytes
    int numa_node = -1;
    std::string blockdev;     // "pmem0" (fsdax), empty otherwise
    std::string chardev;      // "dax0.0" (devdax), empty otherwise
    std::string mount;        // DAX mount point of the blockdev, if any
};

class PmemInventory {
public:
    virtual ~PmemInventory() = default;
    virtual std::vector<PmemRegion> regions() = 0;
    virtual std::vector<PmemNamespace> namespaces() = 0;
};

// One physically contiguous piece of a backing.
struct Extent {
    uint64_t offset = 0;      // byte offset within the backing
    uint64_t spa = 0;         // host physical byte address
    uint64_t length = 0;      // bytes
};

enum class BackingKind { Devdax, FsdaxBlock, DaxFile };

// A backing resolved to host physical ranges, covering [0, size).
struct ResolvedBacking {
    std::string path;
    BackingKind kind = BackingKind::DaxFile;
    uint64_t size = 0;              // bytes covered by extents
    std::vector<Extent> extents;    // ordered by offset, adjacent merged
    bool superpage = false;         // every extent 2 MiB aligned (spa, offset, length)
    std::string namespace_dev;      // the namespace holding it
    int numa_node = -1;
};

} // namespace xlnv
