// Host persistent memory: the facts the rest of the project needs about
// namespaces and about a resolved NVDIMM backing. Implementations of
// PmemInventory: libndctl/libdaxctl (real host), a fixture (unit tests),
// the simulated Xen host (src/libxl, registered through
// registerPmemInventoryProvider).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "util/units.h"

namespace xlnv {

enum class PmemMode { Unknown, Fsdax, Devdax, Raw, Sector };
const char *pmemModeName(PmemMode mode);   // "fsdax", "devdax", "raw", "sector"
// Inverse of pmemModeName; Unknown for anything else.
PmemMode pmemModeFromName(const std::string &name);

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
    std::string blockdev;     // "pmem0" (fsdax, raw), "pmem0s" (sector), empty otherwise
    std::string chardev;      // "dax0.0" (devdax), empty otherwise
    std::string mount;        // DAX mount point of the blockdev (or a partition of it), if any
};

class PmemInventory {
public:
    virtual ~PmemInventory() = default;
    virtual std::vector<PmemRegion> regions() = 0;
    virtual std::vector<PmemNamespace> namespaces() = 0;
};

// The real host: libndctl + libdaxctl (+ /proc/self/mountinfo for mounts).
std::unique_ptr<PmemInventory> makeNdctlInventory();

// A fixture described in JSON: {"regions": [{"dev", "spa", "size", "align",
// "numa_node"}...], "namespaces": [{"dev", "region", "mode", "name", "uuid",
// "size", "spa", "align", "numa_node", "blockdev", "chardev", "mount"}...]}.
// Numbers may be JSON numbers or "0x..." strings. Throws xlnv::Error
// naming the offending field.
std::unique_ptr<PmemInventory> makeFixtureInventory(const std::string &json_text,
                                                    const std::string &origin = "fixture");
std::unique_ptr<PmemInventory> loadFixtureInventory(const std::string &path);

// Which inventory a connection sees. LIBXL_NVDIMM_PMEM_FIXTURE=FILE (a
// fixture JSON file) wins over everything (tests, demos); otherwise a
// provider registered for the URI's scheme ("sim" by the simulated host);
// otherwise the real host (libndctl). An empty URI means the real host.
using PmemInventoryProvider = std::function<std::unique_ptr<PmemInventory>(const std::string &uri)>;
void registerPmemInventoryProvider(const std::string &scheme, PmemInventoryProvider provider);
std::unique_ptr<PmemInventory> openPmemInventory(const std::string &uri);

// JSON view of one namespace as `pmem-list --json` prints it (ndctl's
// keys; keys without a value left out), and what a fixture reads back.
nlohmann::json pmemNamespaceToJson(const PmemNamespace &ns);
nlohmann::json pmemRegionToJson(const PmemRegion &region);

// One physically contiguous piece of a backing.
struct Extent {
    uint64_t offset = 0;      // byte offset within the backing
    uint64_t spa = 0;         // host physical byte address
    uint64_t length = 0;      // bytes

    bool operator==(const Extent &) const = default;
};

enum class BackingKind { Devdax, FsdaxBlock, DaxFile };
const char *backingKindName(BackingKind kind);  // "devdax", "fsdax", "file"

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

// `pmem-extents --json` shape: {"path","kind","size","superpage","extents":
// [{"offset","spa","length"}...],"namespace","numa_node"} (the last two only
// when known).
nlohmann::json resolvedBackingToJson(const ResolvedBacking &backing);

} // namespace xlnv
