// Provisioning a file backing: make the first `size` bytes allocated and
// written so no extent is a hole or UNWRITTEN, without ever truncating,
// shrinking or overwriting what the file already holds.
//
// Decision (documented in pmem-provision's help): a file shorter than the
// target size is grown by filling its tail; its existing bytes stay as
// they are. A file longer than the target size is left alone (the NVDIMM
// uses its first `size` bytes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "pmem/backing.h"
#include "pmem/inventory.h"
#include "util/progress.h"

namespace xlnv {

struct ProvisionResult {
    uint64_t old_size = 0;        // file size before
    uint64_t filled = 0;          // bytes zero-filled (holes, unwritten, tail)
    bool dax_fill = false;        // filled through a DAX mapping (libpmem)
};

// Fill `fd` (a regular file opened O_RDWR) up to `size` bytes. With
// `dax`, zeroes are written through a MAP_SYNC mapping with non-temporal
// stores; otherwise with pwrite. On XFS an empty file first gets a 2 MiB
// extent size hint; then fallocate, then only the ranges FIEMAP reports
// as holes or UNWRITTEN are written. `progress` hears Provisioning (bytes
// filled of bytes to fill: 0 first, then every 64 MiB). Throws xlnv::Error; the caller
// removes a file it created.
ProvisionResult fillFile(int fd, uint64_t size, bool dax, const std::string &path,
                         const ProgressFn &progress = {});

struct OpenBacking;
class PmemInventory;

// Open (creating when missing), check, fill and resolve a backing in one
// step: what `pmem-provision` does. Devices are only checked (big enough).
// On failure a file created here is removed; an existing one is left as it was.
// `progress` hears the fill, then Resolving.
struct ProvisionedBacking {
    ResolvedBacking resolved;
    ProvisionResult fill;
    bool created = false;
    OpenBacking backing;      // held open (O_RDWR) for what follows: label, pin
};
ProvisionedBacking provisionBacking(PmemInventory &inventory, const std::string &path, uint64_t size,
                                    const std::vector<std::string> &roots = {},
                                    const ProgressFn &progress = {});

} // namespace xlnv
