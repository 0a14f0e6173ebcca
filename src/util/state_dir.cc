#include "util/state_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>   // renameat2
#include <cstdlib>
#include <vector>

#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

std::string defaultStateDir(bool simulated)
{
    const std::string base = simulated ? "libxl-nvdimm-sim" : "libxl-nvdimm";
    if (geteuid() == 0)
        return simulated ? "/run/" + base : std::string(kProductionStateDir);
    if (const char *xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg == '/')
        return std::string(xdg) + "/" + base;
    return strprintf("/tmp/%s-%u", base.c_str(), static_cast<unsigned>(geteuid()));
}

namespace {

// `dir` is `root` or lies below it, by name (symbolic links aside: the
// check keeps a mistyped option from mixing simulated records into the
// real host's, it is no security boundary).
bool isOrIsBelow(const std::string &dir, const std::string &root)
{
    return dir == root || startsWith(dir, root + "/");
}

} // namespace

std::string resolveStateDir(const std::string &requested, bool simulated)
{
    std::string dir = requested;
    if (dir.empty()) {
        if (const char *env = std::getenv("LIBXL_NVDIMM_STATE_DIR"); env && *env)
            dir = env;
        else
            dir = defaultStateDir(simulated);
    }
    if (dir[0] != '/') {
        char *cwd = getcwd(nullptr, 0);
        if (!cwd)
            raiseSystem(errno, _("cannot get the current directory"));
        dir = std::string(cwd) + "/" + dir;
        free(cwd);
    }
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    if (simulated) {
        std::string canonical = dir;
        if (char *real = realpath(dir.c_str(), nullptr)) {
            canonical = real;
            free(real);
        }
        if (isOrIsBelow(dir, kProductionStateDir) || isOrIsBelow(canonical, kProductionStateDir))
            raise(ErrorCode::OperationInvalid,
                  _("state directory '%s' belongs to the real host (%s): a simulated host keeps its "
                    "state elsewhere; choose another --state-dir"),
                  dir.c_str(), kProductionStateDir);
    }
    return dir;
}

void makeDirectories(const std::string &path)
{
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        return;   // the common case: one call instead of one per component
    // Next most common: only the last component is missing.
    if (mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) {
        if (errno != ENOENT)
            raiseSystem(errno, _("cannot create directory '%s'"), path.c_str());
        std::string sofar;
        for (const auto &part : split(path, '/')) {
            if (part.empty())
                continue;
            sofar += "/" + part;
            if (mkdir(sofar.c_str(), 0700) < 0 && errno != EEXIST)
                raiseSystem(errno, _("cannot create directory '%s'"), sofar.c_str());
        }
    }
    if (lstat(path.c_str(), &st) < 0)
        raiseSystem(errno, _("cannot create directory '%s'"), path.c_str());
    if (!S_ISDIR(st.st_mode))
        raise(ErrorCode::OperationInvalid, _("'%s' is not a directory"), path.c_str());
}

void checkStateDir(const std::string &dir)
{
    makeDirectories(dir);
    struct stat st;
    if (lstat(dir.c_str(), &st) < 0)
        raiseSystem(errno, _("cannot examine state directory '%s'"), dir.c_str());
    const uid_t me = geteuid();
    if (!S_ISDIR(st.st_mode))
        raise(ErrorCode::OperationInvalid, _("state directory '%s' is not a directory"), dir.c_str());
    if (st.st_uid != me)
        raise(ErrorCode::AccessDenied,
              _("state directory '%s' is owned by uid %u, not by you (uid %u); use a private directory "
                "(--state-dir or $LIBXL_NVDIMM_STATE_DIR)"),
              dir.c_str(), static_cast<unsigned>(st.st_uid), static_cast<unsigned>(me));
    if (me != 0 && (st.st_mode & 0777) != 0700)
        raise(ErrorCode::AccessDenied,
              _("state directory '%s' has mode %04o; it must be private (0700)"),
              dir.c_str(), static_cast<unsigned>(st.st_mode & 07777));
    if (me == 0 && (st.st_mode & 0022))
        raise(ErrorCode::AccessDenied,
              _("state directory '%s' has mode %04o; group and others must not write it"),
              dir.c_str(), static_cast<unsigned>(st.st_mode & 07777));
}

bool isValidDomainName(const std::string &name)
{
    bool ok = !name.empty() && name.size() <= 255 && name[0] != '.' &&
              name.find('/') == std::string::npos;
    for (unsigned char c : name)
        ok = ok && c >= 0x20 && c != 0x7f;
    return ok;
}

void validateDomainName(const std::string &name)
{
    if (!isValidDomainName(name))
        raise(ErrorCode::InvalidArg,
              _("domain name '%s' is not allowed: it must be 1 to 255 bytes without '/', a leading '.' "
                "or control characters"),
              quoteBounded(name, 64).c_str());
}

unsigned removeStaleTemps(const std::string &dir)
{
    unsigned removed = 0;
    UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dfd)
        return 0;
    DIR *d = fdopendir(dup(dfd.get()));
    if (!d)
        return 0;
    std::vector<std::string> stale;
    while (dirent *e = readdir(d)) {
        const std::string n = e->d_name;
        const size_t at = n.rfind(".tmp.");
        uint64_t pid = 0;
        if (at == std::string::npos || !parseUInt64(n.substr(at + 5), pid) || pid == 0)
            continue;
        // Still being written by a live process: not stale.
        if (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)
            continue;
        stale.push_back(n);
    }
    closedir(d);
    for (const auto &n : stale)
        if (unlinkat(dfd.get(), n.c_str(), 0) == 0)
            removed++;
    return removed;
}

StateLock::StateLock(const std::string &lockPath, Mode mode)
{
    fd_ = open(lockPath.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0)
        raiseSystem(errno, _("cannot open lock file '%s'"), lockPath.c_str());
    int rc;
    do {
        rc = flock(fd_, mode == Mode::Exclusive ? LOCK_EX : LOCK_SH);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int err = errno;
        close(fd_);
        raiseSystem(err, _("cannot lock '%s'"), lockPath.c_str());
    }
}

StateLock::~StateLock()
{
    if (fd_ >= 0)
        close(fd_);   // drops the flock
}

namespace {
std::atomic<uint64_t> durableWrites{0};
}

void writeFileAtomic(const std::string &path, const std::string &content, mode_t mode,
                     Durability durability)
{
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    UniqueFd dfd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dfd)
        raiseSystem(errno, _("cannot open directory '%s'"), dir.c_str());
    const std::string tmp = strprintf("%s.tmp.%ld", base.c_str(), static_cast<long>(getpid()));
    const std::string tmpPath = dir + "/" + tmp;
    // A file of ours left by a killed process that had our pid.
    (void)unlinkat(dfd.get(), tmp.c_str(), 0);
    UniqueFd fd(openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd)
        raiseSystem(errno, _("cannot create '%s'"), tmpPath.c_str());
    const auto fail = [&](int err, const char *fmt, const std::string &what) {
        fd.reset();
        unlinkat(dfd.get(), tmp.c_str(), 0);
        raiseSystem(err, fmt, what.c_str());
    };
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = write(fd.get(), content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail(errno, _("cannot write '%s'"), tmpPath);
        off += static_cast<size_t>(n);
    }
    if (durability == Durability::Durable && fsync(fd.get()) < 0)
        fail(errno, _("cannot write '%s'"), tmpPath);
    if (close(fd.release()) < 0)
        fail(errno, _("cannot write '%s'"), tmpPath);
    if (durability == Durability::Volatile) {
        // Exchanging the names instead of renaming over the old file keeps
        // ext4 from writing the new data out first (its auto_da_alloc rule
        // for replace-by-rename): the cost of a durable write without its
        // guarantee. The old content, now under the temporary name, goes.
        if (renameat2(dfd.get(), tmp.c_str(), dfd.get(), base.c_str(), RENAME_EXCHANGE) == 0) {
            if (unlinkat(dfd.get(), tmp.c_str(), 0) == 0 || errno != EISDIR)
                return;
            // A directory was in the file's place: put it back, and refuse
            // as a rename over it would.
            renameat2(dfd.get(), tmp.c_str(), dfd.get(), base.c_str(), RENAME_EXCHANGE);
            fail(EISDIR, _("cannot replace '%s'"), path);
        }
        // No old file; no exchange on this filesystem or kernel.
        if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            fail(errno, _("cannot replace '%s'"), path);
    }
    if (renameat(dfd.get(), tmp.c_str(), dfd.get(), base.c_str()) < 0)
        fail(errno, _("cannot replace '%s'"), path);
    // Make the rename itself durable.
    if (durability == Durability::Durable) {
        fsync(dfd.get());
        durableWrites.fetch_add(1, std::memory_order_relaxed);
    }
}

uint64_t durableWriteCount()
{
    return durableWrites.load(std::memory_order_relaxed);
}

std::optional<std::string> readFileIfExists(const std::string &path)
{
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return std::nullopt;
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    }
    struct stat st;
    if (fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode))
        raise(ErrorCode::OperationFailed, _("'%s' is not a regular file"), path.c_str());
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd.get(), buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            raiseSystem(errno, _("Failed to read file '%s'"), path.c_str());
        if (n == 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

} // namespace xlnv::libxl
