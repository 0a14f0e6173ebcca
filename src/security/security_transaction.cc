#include "security/security_transaction.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"

namespace xlnv::security {

namespace {

constexpr off_t kLockOffset = 1;
constexpr off_t kLockLength = 1;
// libvirt retries its metadata lock for about 10 s; so do we.
constexpr unsigned kLockTimeoutMs = 10000;

struct stat statPath(const std::string &path)
{
    struct stat st = {};
    if (::stat(path.c_str(), &st) < 0)
        raiseSystem(errno, _("cannot access backing '%s'"), path.c_str());
    return st;
}

} // namespace

SecurityTransaction::~SecurityTransaction()
{
    if (!done_)
        rollback();
}

void SecurityTransaction::lockBackings(const std::vector<std::string> &paths)
{
    std::vector<Backing> wanted;
    for (const auto &path : paths) {
        struct stat st = statPath(path);
        bool dup = std::any_of(wanted.begin(), wanted.end(), [&](const Backing &b) {
            return b.dev == st.st_dev && b.ino == st.st_ino;
        }) || std::any_of(backings_.begin(), backings_.end(), [&](const Backing &b) {
            return b.dev == st.st_dev && b.ino == st.st_ino;
        });
        if (dup)
            continue;
        Backing b;
        b.path = path;
        b.dev = st.st_dev;
        b.ino = st.st_ino;
        wanted.push_back(std::move(b));
    }
    std::sort(wanted.begin(), wanted.end(), [](const Backing &a, const Backing &b) {
        return a.dev != b.dev ? a.dev < b.dev : a.ino < b.ino;
    });
    // Locks of a partial attempt are released by `wanted` going away.
    for (auto &b : wanted) {
        b.lock = FileLock::acquireWithin(b.path, O_RDWR | O_NOCTTY | O_NONBLOCK, kLockOffset,
                                         kLockLength, kLockTimeoutMs);
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

SecurityTransaction::Backing *SecurityTransaction::find(const std::string &path)
{
    struct stat st = {};
    if (::stat(path.c_str(), &st) < 0)
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
