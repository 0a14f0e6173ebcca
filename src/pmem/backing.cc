#include "pmem/backing.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>

#include "util/bytesize.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "pmem/backing_handle.h"
#include "pmem/sysdev.h"
#include "util/safe_open.h"

namespace xlnv {

namespace {

const PmemNamespace *namespaceWithBlockdev(const std::vector<PmemNamespace> &all, const std::string &disk)
{
    for (const auto &ns : all)
        if (!ns.blockdev.empty() && ns.blockdev == disk)
            return &ns;
    return nullptr;
}

const PmemNamespace *namespaceWithChardev(const std::vector<PmemNamespace> &all, const std::string &name)
{
    for (const auto &ns : all)
        if (!ns.chardev.empty() && ns.chardev == name)
            return &ns;
    return nullptr;
}

std::optional<MountEntry> mountOf(dev_t dev)
{
    for (auto &m : readMountinfo())
        if (makedev(m.major, m.minor) == dev)
            return m;
    return std::nullopt;
}

[[noreturn]] void refuseMode(const std::string &path, const PmemNamespace &ns)
{
    raise(ErrorCode::ConfigUnsupported,
          _("'%s' is on namespace %s in %s mode; only fsdax and devdax namespaces can back an NVDIMM"),
          path.c_str(), ns.dev.c_str(), pmemModeName(ns.mode));
}

// The filesystem holding `fd` (a file or its parent directory) must be a
// DAX mount over an fsdax namespace. Fills ns and device.
void checkDaxFilesystem(int fd, const struct stat &st, const std::string &path,
                        const std::vector<PmemNamespace> &all, OpenBacking &out)
{
    struct statfs sfs {};
    if (fstatfs(fd, &sfs) < 0)
        raiseSystem(errno, _("cannot examine the filesystem of '%s'"), path.c_str());
    switch (static_cast<unsigned long>(sfs.f_type)) {
    case PROC_SUPER_MAGIC:
        raise(ErrorCode::ConfigUnsupported, _("'%s' is in /proc, which is not persistent memory"), path.c_str());
    case TMPFS_MAGIC:
        raise(ErrorCode::ConfigUnsupported, _("'%s' is on tmpfs, which is not persistent memory"), path.c_str());
    case RAMFS_MAGIC:
        raise(ErrorCode::ConfigUnsupported, _("'%s' is on ramfs, which is not persistent memory"), path.c_str());
    case SYSFS_MAGIC:
        raise(ErrorCode::ConfigUnsupported, _("'%s' is in /sys, which is not persistent memory"), path.c_str());
    default:
        break;
    }
    auto info = blockDeviceInfo(st.st_dev);
    if (!info)
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is not on a block device (filesystem type 0x%lx), so not on persistent memory"),
              path.c_str(), static_cast<unsigned long>(sfs.f_type));
    const PmemNamespace *ns = namespaceWithBlockdev(all, info->disk);
    if (!ns)
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is on %s, which is not a persistent memory namespace"),
              path.c_str(), info->name.c_str());
    if (ns->mode != PmemMode::Fsdax)
        refuseMode(path, *ns);
    auto mount = mountOf(st.st_dev);
    if (!mount || !mount->dax())
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is on a filesystem mounted without DAX (%s on %s); mount it with -o dax"),
              path.c_str(), info->name.c_str(), mount ? mount->mount_point.c_str() : "?");
    if (ns->size && info->partition_start + info->size > ns->size)
        raise(ErrorCode::OperationFailed,
              _("device %s of '%s' extends beyond the data area of namespace %s"),
              info->name.c_str(), path.c_str(), ns->dev.c_str());
    out.ns = *ns;
    out.device = DeviceRange{ns->spa, info->partition_start, info->size};
    out.device_size = info->size;
}

void checkDaxFile(OpenBacking &out, const std::vector<PmemNamespace> &all)
{
    checkDaxFilesystem(out.fd.get(), out.st, out.path, all, out);
    struct statx stx {};
    if (statx(out.fd.get(), "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
        raiseSystem(errno, _("cannot examine '%s'"), out.path.c_str());
    if ((stx.stx_attributes_mask & STATX_ATTR_DAX) && !(stx.stx_attributes & STATX_ATTR_DAX))
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is not in DAX mode (the filesystem or the file has DAX turned off)"),
              out.path.c_str());
    out.kind = BackingKind::DaxFile;
    out.dax = true;
}

void checkBlockDevice(OpenBacking &out, const std::vector<PmemNamespace> &all)
{
    auto info = blockDeviceInfo(out.st.st_rdev);
    const PmemNamespace *ns = info ? namespaceWithBlockdev(all, info->disk) : nullptr;
    if (!ns)
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is not a persistent memory device (%s)"),
              out.path.c_str(), info ? info->name.c_str() : "?");
    if (ns->mode != PmemMode::Fsdax)
        refuseMode(out.path, *ns);
    // A mounted filesystem on it would be overwritten by the guest.
    for (const MountEntry &m : readMountinfo()) {
        auto mi = blockDeviceInfo(makedev(m.major, m.minor));
        if (mi && mi->disk == info->disk && (!info->partition || mi->name == info->name))
            raise(ErrorCode::OperationInvalid,
                  _("'%s' holds a mounted filesystem (%s on %s); a mounted device cannot back an NVDIMM"),
                  out.path.c_str(), mi->name.c_str(), m.mount_point.c_str());
    }
    out.kind = BackingKind::FsdaxBlock;
    out.ns = *ns;
    out.device = DeviceRange{ns->spa, info->partition_start, info->size};
    out.device_size = info->size;
    if (ns->size && info->partition_start + info->size > ns->size)
        raise(ErrorCode::OperationFailed,
              _("device %s extends beyond the data area of namespace %s"),
              info->name.c_str(), ns->dev.c_str());
}

void checkCharDevice(OpenBacking &out, const std::vector<PmemNamespace> &all)
{
    auto name = charDeviceName(out.st.st_rdev);
    const PmemNamespace *ns = name ? namespaceWithChardev(all, *name) : nullptr;
    if (!ns)
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' is a character device but not a devdax persistent memory device"),
              out.path.c_str());
    out.kind = BackingKind::Devdax;
    out.ns = *ns;
    out.device = DeviceRange{ns->spa, 0, ns->size};
    out.device_size = ns->size;
}

[[noreturn]] void raiseOpen(int err, const std::string &path)
{
    switch (err) {
    case ELOOP:
        raise(ErrorCode::ConfigUnsupported,
              _("backing path '%s' is or passes through a symbolic link"), path.c_str());
    case ENOENT:
        raise(ErrorCode::InvalidArg, _("backing '%s' does not exist; create it with pmem-provision"),
              path.c_str());
    case EISDIR:
        raise(ErrorCode::ConfigUnsupported, _("backing '%s' is a directory"), path.c_str());
    case EXDEV:
        raise(ErrorCode::ConfigUnsupported,
              _("backing path '%s' leaves its persistent memory root"), path.c_str());
    default:
        raiseSystem(err, _("cannot open backing '%s'"), path.c_str());
    }
}

} // namespace

std::vector<std::string> defaultPmemRoots(PmemInventory &inventory)
{
    std::vector<std::string> roots;
    for (const auto &ns : inventory.namespaces())
        if (ns.mode == PmemMode::Fsdax && !ns.mount.empty())
            roots.push_back(ns.mount);
    roots.push_back("/dev/dax*");
    roots.push_back("/dev/pmem*");
    return roots;
}

std::vector<std::string> configuredPmemRoots(PmemInventory &inventory)
{
    const char *env = std::getenv("LIBXL_NVDIMM_PMEM_ROOTS");
    std::vector<std::string> roots;
    if (env && *env) {
        for (auto &r : split(env, ':'))
            if (!r.empty())
                roots.push_back(r);
    } else {
        roots = Config::load().getList("pmem", "roots", {});
    }
    return roots.empty() ? defaultPmemRoots(inventory) : roots;
}

bool pathUnderRoots(const std::string &path, const std::vector<std::string> &roots)
{
    for (std::string root : roots) {
        if (root.find_first_of("*?[") != std::string::npos) {
            if (fnmatch(root.c_str(), path.c_str(), FNM_PATHNAME) == 0)
                return true;
            continue;
        }
        while (root.size() > 1 && root.back() == '/')
            root.pop_back();
        if (root.empty())
            continue;
        if (root == "/" || path == root || startsWith(path, root + "/"))
            return true;
    }
    return false;
}

void OpenBacking::discardIfCreated() noexcept
{
    if (!created)
        return;
    unlinkUnderRootsIfSameInode(path, roots, static_cast<uint64_t>(st.st_ino));
    created = false;
}

OpenBacking openBacking(PmemInventory &inventory, const std::string &path,
                        const BackingOpenOptions &options)
{
    checkBackingPathSyntax(path);
    std::vector<std::string> roots = options.roots.empty() ? configuredPmemRoots(inventory) : options.roots;
    // Refused before anything is opened or the inventory is read.
    (void)rootedPath(path, roots);
    const std::vector<PmemNamespace> all = inventory.namespaces();

    OpenBacking out;
    out.path = path;
    out.roots = roots;
    const int access = options.writable ? O_RDWR : O_RDONLY;
    // O_PATH first, beneath the root, no link in any component: the object
    // is examined before it is opened for I/O, so a FIFO, a socket or a
    // wrong device is never opened (opening some devices has effects).
    int fd = openUnderRoots(path, roots, O_PATH);
    if (fd < 0 && errno == ENOENT && options.create) {
        // Check where it would go before creating anything.
        std::string base;
        UniqueFd dir = openParentUnderRoots(path, roots, base);
        if (!dir)
            raiseOpen(errno, path);
        struct stat dst {};
        if (fstat(dir.get(), &dst) < 0)
            raiseSystem(errno, _("cannot examine '%s'"), path.c_str());
        // fstatfs works on O_PATH descriptors.
        checkDaxFilesystem(dir.get(), dst, path, all, out);
        fd = openNoLinks(dir.get(), base, O_CREAT | O_EXCL | O_RDWR | O_NOCTTY, 0600);
        if (fd < 0)
            raiseSystem(errno, _("cannot create backing '%s'"), path.c_str());
        out.created = true;
    } else if (fd < 0) {
        raiseOpen(errno, path);
    }
    out.fd.reset(fd);
    try {
        if (fstat(out.fd.get(), &out.st) < 0)
            raiseSystem(errno, _("cannot examine '%s'"), path.c_str());
        checkOpenableObject(out.st, path, true);
        if (S_ISREG(out.st.st_mode))
            checkDaxFile(out, all);
        else if (S_ISBLK(out.st.st_mode))
            checkBlockDevice(out, all);
        else
            checkCharDevice(out, all);
        if (!out.created)
            out.fd = reopenForIo(out.fd.get(), access, path);   // the very object examined
        out.id = identityOf(out.fd.get());
    } catch (...) {
        out.discardIfCreated();
        throw;
    }
    return out;
}

ResolvedBacking resolveBacking(const OpenBacking &backing, uint64_t size)
{
    ResolvedBacking out;
    out.path = backing.path;
    out.kind = backing.kind;
    out.namespace_dev = backing.ns.dev;
    out.numa_node = backing.ns.numa_node;
    if (backing.kind == BackingKind::DaxFile) {
        struct stat st {};
        if (fstat(backing.fd.get(), &st) < 0)
            raiseSystem(errno, _("cannot examine '%s'"), backing.path.c_str());
        const uint64_t file_size = static_cast<uint64_t>(st.st_size);
        if (size == 0)
            size = file_size;
        if (size % kPageSize)
            raise(ErrorCode::InvalidArg,
                  _("the size %llu of backing '%s' is not a multiple of 4 KiB"),
                  static_cast<unsigned long long>(size), backing.path.c_str());
        if (size == 0)
            raise(ErrorCode::OperationInvalid, _("backing '%s' is empty"), backing.path.c_str());
        if (file_size < size)
            raise(ErrorCode::OperationInvalid,
                  _("backing '%s' has %s, less than the NVDIMM target size %s; provision it first (pmem-provision)"),
                  backing.path.c_str(), formatByteSize(file_size).c_str(), formatByteSize(size).c_str());
        auto raw = readFiemap(backing.fd.get(), 0, size, backing.path);
        out.extents = fiemapToExtents(raw, backing.device, size, backing.path);
    } else {
        if (size == 0)
            size = backing.device_size;
        if (size % kPageSize)
            raise(ErrorCode::InvalidArg,
                  _("the size %llu of backing '%s' is not a multiple of 4 KiB"),
                  static_cast<unsigned long long>(size), backing.path.c_str());
        if (size > backing.device_size)
            raise(ErrorCode::ConfigUnsupported,
                  _("device '%s' has %s, less than the NVDIMM target size %s"),
                  backing.path.c_str(), formatByteSize(backing.device_size).c_str(),
                  formatByteSize(size).c_str());
        // As with QEMU, the NVDIMM uses the first target-size bytes of the device.
        out.extents.push_back(Extent{0, backing.device.data_spa + backing.device.partition_start, size});
    }
    out.size = size;
    out.superpage = superpageMappable(out.extents);
    return out;
}

ResolvedBacking resolveBackingPath(PmemInventory &inventory, const std::string &path,
                                   uint64_t size, const std::vector<std::string> &roots)
{
    BackingOpenOptions options;
    options.roots = roots;
    OpenBacking backing = openBacking(inventory, path, options);
    return resolveBacking(backing, size);
}

} // namespace xlnv
