// An NVDIMM backing on the host: a devdax character device, an fsdax block
// device (or a partition of one), or a file on a DAX-mounted filesystem
// over an fsdax namespace. Opened once (O_NOFOLLOW, O_CLOEXEC, no symlink
// anywhere in the path) and from then on examined only through the
// descriptor, so a path swapped under us cannot redirect the work.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "util/fd.h"
#include "util/safe_open.h"
#include "pmem/fiemap.h"
#include "pmem/inventory.h"

namespace xlnv {

// Where backings may live: directories (a path under one is allowed),
// exact device paths, or fnmatch patterns ("/dev/dax*").
// Default: every DAX mount point of an fsdax namespace, /dev/dax*,
// /dev/pmem*. Replaced by LIBXL_NVDIMM_PMEM_ROOTS (colon-separated), or
// else by the configuration file's [pmem] roots (list).
std::vector<std::string> defaultPmemRoots(PmemInventory &inventory);
std::vector<std::string> configuredPmemRoots(PmemInventory &inventory);
bool pathUnderRoots(const std::string &path, const std::vector<std::string> &roots);

struct BackingOpenOptions {
    std::vector<std::string> roots;   // empty: configuredPmemRoots()
    bool writable = false;            // open O_RDWR (provisioning)
    bool create = false;              // create a missing file (mode 0600)
};

// An opened, checked backing. Movable; the fd closes with it.
struct OpenBacking {
    std::string path;
    UniqueFd fd;
    BackingKind kind = BackingKind::DaxFile;
    PmemNamespace ns;                 // the namespace holding it
    DeviceRange device;               // file: its filesystem's device; devices: the device itself
    uint64_t device_size = 0;         // devices: usable bytes
    bool dax = false;                 // file: DAX mode confirmed (statx/mount)
    bool created = false;             // we created the file in this open
    struct stat st {};
    FileIdentity id;                  // finds this inode again after a rename
    std::vector<std::string> roots;   // the roots it was opened beneath

    // Remove the file if this open created it (rollback on failure);
    // only when the path still names the same inode.
    void discardIfCreated() noexcept;
};

OpenBacking openBacking(PmemInventory &inventory, const std::string &path,
                        const BackingOpenOptions &options);

// Host physical ranges of the first `size` bytes (0: the whole device or
// file). Refuses anything a guest must not be given (see fiemapToExtents).
ResolvedBacking resolveBacking(const OpenBacking &backing, uint64_t size);

// Convenience: open read-only and resolve.
ResolvedBacking resolveBackingPath(PmemInventory &inventory, const std::string &path,
                                   uint64_t size, const std::vector<std::string> &roots = {});

} // namespace xlnv
