#include "pmem/provision.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include <libpmem.h>

#include "util/bytesize.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "pmem/fiemap.h"
#include "util/i18n.h"
#include "pmem/backing.h"
#include "util/strutil.h"

#ifndef MAP_SHARED_VALIDATE
# define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
# define MAP_SYNC 0x80000
#endif

namespace xlnv {

namespace {

constexpr uint64_t kFillChunk = 64ull << 20;   // progress and mapping granularity
constexpr size_t kZeroBuffer = 8u << 20;       // pwrite size on the plain path

struct Range {
    uint64_t offset;
    uint64_t length;
};

// Ranges in [0, size) that hold no data: holes and UNWRITTEN extents.
std::vector<Range> rangesToFill(int fd, uint64_t size, const std::string &path)
{
    std::vector<Range> out;
    auto add = [&out](uint64_t off, uint64_t end) {
        if (end <= off)
            return;
        if (!out.empty() && out.back().offset + out.back().length == off)
            out.back().length += end - off;
        else
            out.push_back({off, end - off});
    };
    uint64_t next = 0;
    for (const fiemap_extent &fe : readFiemap(fd, 0, size, path)) {
        const uint64_t start = std::max<uint64_t>(fe.fe_logical, next);
        const uint64_t end = std::min<uint64_t>(fe.fe_logical + fe.fe_length, size);
        if (end <= start)
            continue;
        add(next, start);                       // hole before it
        if (fe.fe_flags & FIEMAP_EXTENT_UNWRITTEN)
            add(start, end);
        next = end;
    }
    add(next, size);                            // hole or missing tail
    return out;
}

// Best effort: 2 MiB allocation units on XFS (only possible while empty).
void hintXfsExtentSize(int fd)
{
    struct statfs sfs {};
    struct stat st {};
    if (fstatfs(fd, &sfs) < 0 || static_cast<unsigned long>(sfs.f_type) != XFS_SUPER_MAGIC ||
        fstat(fd, &st) < 0 || st.st_size != 0 || st.st_blocks != 0)
        return;
    fsxattr fsx {};
    if (ioctl(fd, FS_IOC_FSGETXATTR, &fsx) < 0)
        return;
    fsx.fsx_xflags |= FS_XFLAG_EXTSIZE;
    fsx.fsx_extsize = static_cast<uint32_t>(kSuperpageSize);
    (void)ioctl(fd, FS_IOC_FSSETXATTR, &fsx);
}

struct Mapping {
    void *addr = MAP_FAILED;
    size_t length = 0;
    ~Mapping()
    {
        if (addr != MAP_FAILED)
            munmap(addr, length);
    }
};

// Returns false when the file cannot be mapped with MAP_SYNC (caller falls back).
bool fillDax(int fd, const Range &r, uint64_t &done, uint64_t total, const ProgressFn &progress,
             const std::string &path)
{
    for (uint64_t off = r.offset; off < r.offset + r.length; off += kFillChunk) {
        const size_t len = static_cast<size_t>(std::min(kFillChunk, r.offset + r.length - off));
        Mapping m;
        m.addr = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_SYNC, fd,
                      static_cast<off_t>(off));
        if (m.addr == MAP_FAILED) {
            if ((errno == EOPNOTSUPP || errno == EINVAL) && done == 0)
                return false;
            raiseSystem(errno, _("cannot map '%s' at offset %s"), path.c_str(), hex(off).c_str());
        }
        m.length = len;
        checkInterrupted();
        pmem_memset_persist(m.addr, 0, len);
        done += len;
        if (progress)
            progress({ProgressPhase::Provisioning, path, done, total});
    }
    return true;
}

void fillPlain(int fd, const Range &r, uint64_t &done, uint64_t total, const ProgressFn &progress,
               const std::string &path)
{
    static const std::unique_ptr<char[]> zeros(new char[kZeroBuffer]());
    uint64_t off = r.offset;
    const uint64_t end = r.offset + r.length;
    uint64_t since_report = 0;
    while (off < end) {
        const size_t len = static_cast<size_t>(std::min<uint64_t>(kZeroBuffer, end - off));
        checkInterrupted();
        ssize_t n = pwrite(fd, zeros.get(), len, static_cast<off_t>(off));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            raiseSystem(errno, _("cannot write '%s' at offset %s"), path.c_str(), hex(off).c_str());
        }
        off += static_cast<uint64_t>(n);
        done += static_cast<uint64_t>(n);
        since_report += static_cast<uint64_t>(n);
        if (progress && (since_report >= kFillChunk || off >= end)) {
            progress({ProgressPhase::Provisioning, path, done, total});
            since_report = 0;
        }
    }
}

} // namespace

ProvisionResult fillFile(int fd, uint64_t size, bool dax, const std::string &path,
                         const ProgressFn &progress)
{
    ProvisionResult result;
    struct stat st {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot examine '%s'"), path.c_str());
    if (!S_ISREG(st.st_mode))
        raise(ErrorCode::ConfigUnsupported, _("backing '%s' is not a regular file"), path.c_str());
    if (size == 0 || size % kPageSize)
        raise(ErrorCode::InvalidArg,
              _("the NVDIMM target size %llu for '%s' must be a positive multiple of 4 KiB"),
              static_cast<unsigned long long>(size), path.c_str());
    result.old_size = static_cast<uint64_t>(st.st_size);

    try {
        hintXfsExtentSize(fd);
        // Allocates holes and grows the file; existing blocks are not touched.
        if (fallocate(fd, 0, 0, static_cast<off_t>(size)) < 0 && errno != EOPNOTSUPP) {
            if (errno == ENOSPC)
                raise(ErrorCode::OperationFailed,
                      _("not enough space for %s in the filesystem of '%s'"),
                      formatByteSize(size).c_str(), path.c_str());
            raiseSystem(errno, _("cannot allocate %s for '%s'"),
                        formatByteSize(size).c_str(), path.c_str());
        }
        struct stat now {};
        if (fstat(fd, &now) < 0)
            raiseSystem(errno, _("cannot examine '%s'"), path.c_str());
        // Without fallocate the file may still be short: MAP_SYNC cannot grow it.
        const bool map_ok = dax && static_cast<uint64_t>(now.st_size) >= size;

        std::vector<Range> ranges = rangesToFill(fd, size, path);
        uint64_t total = 0;
        for (const Range &r : ranges)
            total += r.length;
        uint64_t done = 0;
        if (progress && total)
            progress({ProgressPhase::Provisioning, path, 0, total});
        bool use_dax = map_ok;
        for (const Range &r : ranges) {
            if (use_dax && fillDax(fd, r, done, total, progress, path))
                continue;
            use_dax = false;
            fillPlain(fd, r, done, total, progress, path);
        }
        if (fdatasync(fd) < 0)
            raiseSystem(errno, _("cannot flush '%s'"), path.c_str());
        result.filled = total;
        result.dax_fill = use_dax && total > 0;
    } catch (...) {
        // Give back only what we added; the user's bytes stay where they were.
        struct stat now {};
        if (fstat(fd, &now) == 0 && static_cast<uint64_t>(now.st_size) > result.old_size)
            (void)ftruncate(fd, static_cast<off_t>(result.old_size));
        throw;
    }
    return result;
}

ProvisionedBacking provisionBacking(PmemInventory &inventory, const std::string &path, uint64_t size,
                                    const std::vector<std::string> &roots, const ProgressFn &progress)
{
    if (size == 0 || size % kPageSize)
        raise(ErrorCode::InvalidArg,
              _("the NVDIMM target size %llu for '%s' must be a positive multiple of 4 KiB"),
              static_cast<unsigned long long>(size), path.c_str());
    BackingOpenOptions options;
    options.roots = roots;
    options.writable = true;
    options.create = true;
    OpenBacking backing = openBacking(inventory, path, options);
    ProvisionedBacking out;
    out.created = backing.created;
    try {
        if (backing.kind == BackingKind::DaxFile)
            out.fill = fillFile(backing.fd.get(), size, backing.dax, path, progress);
        if (progress)
            progress({ProgressPhase::Resolving, path, 0, 0});
        out.resolved = resolveBacking(backing, size);
    } catch (...) {
        if (backing.created)
            backing.discardIfCreated();
        else if (out.fill.filled && static_cast<uint64_t>(backing.st.st_size) < size)
            (void)ftruncate(backing.fd.get(), backing.st.st_size);   // back to its own size
        throw;
    }
    out.backing = std::move(backing);
    return out;
}

} // namespace xlnv
