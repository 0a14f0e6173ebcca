// FIEMAP -> host physical ranges. Reading the kernel's extent list is
// separate from interpreting it, so the rules (refused flags, alignment,
// bounds, merging) are a pure function tests can feed synthetic lists.
#pragma once

#include <linux/fiemap.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "pmem/inventory.h"

namespace xlnv {

// Where a filesystem's block device sits in host physical memory.
struct DeviceRange {
    uint64_t data_spa = 0;          // SPA of byte 0 of the whole block device (namespace data area)
    uint64_t partition_start = 0;   // bytes from byte 0 of the device; 0 for the whole device
    uint64_t partition_size = 0;    // bytes of the filesystem's device (fe_physical stays below)
};

// All extents of fd in [start, start + length), in logical order (FIEMAP
// with FIEMAP_FLAG_SYNC, looping until the range or the file ends).
std::vector<fiemap_extent> readFiemap(int fd, uint64_t start, uint64_t length,
                                      const std::string &path);

// Turn a file's FIEMAP extents into SPA extents covering [0, size):
// clipped to size, each checked (no hole, no UNWRITTEN, DELALLOC, UNKNOWN,
// ENCODED, SHARED, INLINE/TAIL, NOT_ALIGNED; 4 KiB aligned; inside the
// partition), then merged where both file and physical ranges are adjacent.
// Throws xlnv::Error naming the path, the offset and the reason.
std::vector<Extent> fiemapToExtents(std::span<const fiemap_extent> raw, const DeviceRange &device,
                                    uint64_t size, const std::string &path);

// Append `e` to `extents`, merging it into the last one when adjacent in
// both offset and SPA.
void appendMerged(std::vector<Extent> &extents, const Extent &e);

// Every extent starts and ends 2 MiB aligned in both offset and SPA.
bool superpageMappable(std::span<const Extent> extents);

} // namespace xlnv
