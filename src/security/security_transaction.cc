#include "security/security_transaction.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "util/error.h"
#include "util/fd.h"
#include "util/safe_open.h"
#include "util/i18n.h"
#include "util/log.h"

namespace xlnv::security {

namespace {

constexpr off_t kLockOffset = 1;
constexpr off_t kLockLength = 1;
// libvirt retries its metadata lock for about 10 s; so do we.
constexpr unsigned kLockTimeoutMs = 10000;

// The object a target stands for, as a descriptor we own.
UniqueFd targetFd(const SecurityTransaction::Target &t)
{
    if (t.fd >= 0) {
        UniqueFd fd(fcntl(t.fd, F_DUPFD_CLOEXEC, 0));
        if (!fd)
            raiseSystem(errno, _("cannot access backing '%s'"), t.path.c_str());
        return fd;
    }
    UniqueFd fd(openNoLinks(AT_FDCWD, t.path, O_PATH, 0, false));
    if (!fd)
        raiseSystem(errno, _("cannot access backing '%s'"), t.path.c_str());
    struct stat st = {};
    if (fstat(fd.get(), &st) < 0)
        raiseSystem(errno, _("cannot access backing '%s'"), t.path.c_str());
    checkOpenableObject(st, t.path, true);
    return fd;
}

} // namespace

SecurityTransaction::~SecurityTransaction()
{
    if (!done_)
        rollback();
}

void SecurityTransaction::lockBackings(const std::vector<std::string> &paths)
{
    std::vector<Target> targets;
    for (const auto &p : paths)
        targets.push_back(Target{p, -1});
    lockBackings(targets);
}

void SecurityTransaction::lockBackings(const std::vector<Target> &targets)
{
    std::vector<Backing> wanted;
    for (const auto &t : targets) {
        UniqueFd fd = targetFd(t);
        struct stat st = {};
        if (fstat(fd.get(), &st) < 0)
            raiseSystem(errno, _("cannot access backing '%s'"), t.path.c_str());
        const auto same = [&](const Backing &b) { return b.dev == st.st_dev && b.ino == st.st_ino; };
        if (std::any_of(wanted.begin(), wanted.end(), same) ||
            std::any_of(backings_.begin(), backings_.end(), same))
            continue;
        Backing b;
        b.path = t.path;
        b.dev = st.st_dev;
        b.ino = st.st_ino;
        b.held = std::move(fd);
        wanted.push_back(std::move(b));
    }
    std::sort(wanted.begin(), wanted.end(), [](const Backing &a, const Backing &b) {
        return a.dev != b.dev ? a.dev < b.dev : a.ino < b.ino;
    });
    // Locks of a partial attempt are released by `wanted` going away.
    for (auto &b : wanted) {
        b.lock = FileLock::acquireFdWithin(b.held.get(), b.path, kLockOffset, kLockLength, kLockTimeoutMs);
        struct stat st = {};
        if (fstat(b.lock.fd(), &st) < 0)
            raiseSystem(errno, _("cannot stat file '%s'"), b.path.c_str());
        if (st.st_dev != b.dev || st.st_ino != b.ino)
            raise(ErrorCode::OperationFailed, _("backing '%s' was replaced while being locked"),
                  b.path.c_str());
        b.before = captureFileState(b.lock.fd(), b.path);
    }
    for (auto &b : wanted)
        backings_.push_back(std::move(b));
}

SecurityTransaction::Backing *SecurityTransaction::find(const Target &target)
{
    UniqueFd fd;
    try {
        fd = targetFd(target);
    } catch (const Error &) {
        return nullptr;
    }
    struct stat st = {};
    if (fstat(fd.get(), &st) < 0)
        return nullptr;
    for (auto &b : backings_)
        if (b.dev == st.st_dev && b.ino == st.st_ino)
            return &b;
    return nullptr;
}

void SecurityTransaction::onRollback(std::function<void()> undo)
{
    undo_.push_back(std::move(undo));
}

void SecurityTransaction::commit()
{
    done_ = true;
    undo_.clear();
    backings_.clear();   // releases the locks
}

void SecurityTransaction::rollback() noexcept
{
    if (done_)
        return;
    done_ = true;
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        try {
            (*it)();
        } catch (const std::exception &e) {
            warn(_("rollback step failed: %s"), e.what());
        }
    }
    for (auto it = backings_.rbegin(); it != backings_.rend(); ++it) {
        try {
            restoreFileState(it->fd(), it->path, it->before);
        } catch (const std::exception &e) {
            warn(_("cannot roll back labels of '%s': %s"), it->path.c_str(), e.what());
        }
    }
    undo_.clear();
    backings_.clear();
}

} // namespace xlnv::security
