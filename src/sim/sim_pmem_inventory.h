// Host persistent memory of the simulated Xen host, through the same
// PmemInventory interface as the libndctl one, plus how the sim resolves
// a backing path to host physical ranges:
//   - "/dev/<chardev>" of a devdax namespace: the whole namespace, one
//     extent at its data SPA;
//   - a regular file under an fsdax namespace's mount directory: one
//     extent the sim allocates deterministically (first fit, in units of
//     the namespace align, after one reserved unit for filesystem
//     metadata), remembered by path and inode until the file is removed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/sim_host.h"
#include "pmem/inventory.h"

namespace xlnv::libxl {

class SimPmemInventory : public PmemInventory {
public:
    explicit SimPmemInventory(std::shared_ptr<SimHost> host);

    std::vector<PmemRegion> regions() override;
    std::vector<PmemNamespace> namespaces() override;   // fsdax: mount = absolute path

    // NoDomain-free: InvalidArg when the path is not sim pmem.
    // Files are opened beneath the mounts (pmem/backing_handle.h).
    ResolvedBacking resolveBacking(const std::string &path);
    // A file already open as `fd` (O_PATH will do), named `path` under a mount.
    ResolvedBacking resolveFile(int fd, const std::string &path);
    // The fsdax mount directories: the roots backing files live beneath.
    std::vector<std::string> mountRoots() const;

private:
    std::shared_ptr<SimHost> host_;
};

} // namespace xlnv::libxl
