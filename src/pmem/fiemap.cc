#include "pmem/fiemap.h"

#include <sys/ioctl.h>
#include <linux/fs.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

constexpr unsigned kExtentsPerCall = 512;

// The refused flags, most specific reason first.
struct RefusedFlag {
    uint32_t flag;
    const char *reason;   // N_(): "%s" path, "%s" offset
};

const RefusedFlag kRefused[] = {
    {FIEMAP_EXTENT_UNKNOWN, N_("backing '%s' has an extent of unknown location at offset %s")},
    {FIEMAP_EXTENT_DELALLOC, N_("backing '%s' has a delayed-allocation extent at offset %s (no block assigned yet)")},
    {FIEMAP_EXTENT_ENCODED, N_("backing '%s' has an encoded (compressed) extent at offset %s")},
    {FIEMAP_EXTENT_DATA_ENCRYPTED, N_("backing '%s' has an encrypted extent at offset %s")},
    {FIEMAP_EXTENT_DATA_INLINE, N_("backing '%s' has inline data at offset %s (not on its own blocks)")},
    {FIEMAP_EXTENT_DATA_TAIL, N_("backing '%s' has tail-packed data at offset %s (not on its own blocks)")},
    {FIEMAP_EXTENT_NOT_ALIGNED, N_("backing '%s' has an extent at offset %s that is not block aligned")},
    {FIEMAP_EXTENT_SHARED, N_("backing '%s' has a shared (reflinked) extent at offset %s; a mapped backing must own its blocks")},
    {FIEMAP_EXTENT_UNWRITTEN, N_("backing '%s' has an unwritten extent at offset %s; provision it first (pmem-provision)")},
};

} // namespace

std::vector<fiemap_extent> readFiemap(int fd, uint64_t start, uint64_t length,
                                      const std::string &path)
{
    std::vector<fiemap_extent> out;
    const uint64_t end = start + length;
    std::vector<unsigned char> buf(sizeof(fiemap) + kExtentsPerCall * sizeof(fiemap_extent));
    auto *fm = reinterpret_cast<fiemap *>(buf.data());
    uint64_t next = start;
    while (next < end) {
        std::fill(buf.begin(), buf.end(), 0);
        fm->fm_start = next;
        fm->fm_length = end - next;
        fm->fm_flags = FIEMAP_FLAG_SYNC;
        fm->fm_extent_count = kExtentsPerCall;
        if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
            if (errno == EOPNOTSUPP || errno == ENOTTY)
                raise(ErrorCode::OperationUnsupported,
                      _("the filesystem of '%s' does not report its block mapping (FIEMAP)"),
                      path.c_str());
            raiseSystem(errno, _("cannot read the block mapping of '%s'"), path.c_str());
        }
        if (fm->fm_mapped_extents == 0)
            break;
        bool last = false;
        for (unsigned i = 0; i < fm->fm_mapped_extents; i++) {
            out.push_back(fm->fm_extents[i]);
            last = fm->fm_extents[i].fe_flags & FIEMAP_EXTENT_LAST;
        }
        const fiemap_extent &tail = fm->fm_extents[fm->fm_mapped_extents - 1];
        if (last || tail.fe_logical + tail.fe_length <= next)
            break;
        next = tail.fe_logical + tail.fe_length;
    }
    return out;
}

void appendMerged(std::vector<Extent> &extents, const Extent &e)
{
    if (!extents.empty()) {
        Extent &prev = extents.back();
        if (prev.offset + prev.length == e.offset && prev.spa + prev.length == e.spa) {
            prev.length += e.length;
            return;
        }
    }
    extents.push_back(e);
}

std::vector<Extent> fiemapToExtents(std::span<const fiemap_extent> raw, const DeviceRange &device,
                                    uint64_t size, const std::string &path)
{
    std::vector<Extent> out;
    uint64_t next = 0;   // first offset not yet covered
    for (const fiemap_extent &fe : raw) {
        const uint64_t fe_end = fe.fe_logical + fe.fe_length;
        if (fe_end <= next || fe.fe_logical >= size)
            continue;
        if (fe.fe_logical > next)
            raise(ErrorCode::OperationInvalid,
                  _("backing '%s' has a hole at offset %s; provision it first (pmem-provision)"),
                  path.c_str(), hex(next).c_str());
        for (const RefusedFlag &r : kRefused)
            if (fe.fe_flags & r.flag)
                raise(ErrorCode::OperationInvalid, _(r.reason), path.c_str(),
                      hex(fe.fe_logical).c_str());
        if (fe.fe_logical % kPageSize || fe.fe_physical % kPageSize || fe.fe_length % kPageSize)
            raise(ErrorCode::OperationInvalid,
                  _("backing '%s' has an extent at offset %s that is not 4 KiB aligned"),
                  path.c_str(), hex(fe.fe_logical).c_str());
        // Clip to [next, size): the NVDIMM uses the first `size` bytes.
        const uint64_t skip = next - fe.fe_logical;
        const uint64_t end = std::min(fe_end, size);
        const uint64_t physical = fe.fe_physical + skip;
        const uint64_t length = end - next;
        // fe_physical is relative to the filesystem's own block device (the partition).
        if (physical + length > device.partition_size || physical + length < physical)
            raise(ErrorCode::OperationFailed,
                  _("backing '%s': the extent at offset %s (device offset %s, %s bytes) lies outside the persistent memory data area"),
                  path.c_str(), hex(next).c_str(), hex(physical).c_str(),
                  std::to_string(length).c_str());
        appendMerged(out, Extent{next, device.data_spa + device.partition_start + physical, length});
        next = end;
        if (next >= size)
            break;
    }
    if (next < size)
        raise(ErrorCode::OperationInvalid,
              _("backing '%s' has a hole at offset %s; provision it first (pmem-provision)"),
              path.c_str(), hex(next).c_str());
    return out;
}

bool superpageMappable(std::span<const Extent> extents)
{
    if (extents.empty())
        return false;
    for (const Extent &e : extents)
        if (e.offset % kSuperpageSize || e.spa % kSuperpageSize || e.length % kSuperpageSize)
            return false;
    return true;
}

} // namespace xlnv
