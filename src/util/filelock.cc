#include "util/filelock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <utility>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

FileLock FileLock::lockImpl(const std::string &path, int openFlags, off_t start, off_t length,
                            Mode mode, mode_t createMode, bool wait)
{
    int fd = ::open(path.c_str(), openFlags | O_CLOEXEC, createMode);
    if (fd < 0)
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    return lockFd(fd, path, start, length, mode, wait);
}

FileLock FileLock::lockFd(int fd, const std::string &path, off_t start, off_t length, Mode mode,
                          bool wait)
{

    struct flock fl = {};
    fl.l_type = mode == Mode::Exclusive ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = length;
    fl.l_pid = 0;   // required for OFD locks
    int rc;
    do {
        rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int err = errno;
        ::close(fd);
        if (!wait && (err == EAGAIN || err == EACCES))
            return FileLock();
        raiseSystem(err, _("Failed to lock file '%s'"), path.c_str());
    }
    FileLock lock;
    lock.fd_ = fd;
    lock.path_ = path;
    return lock;
}

FileLock FileLock::acquire(const std::string &path, int openFlags, off_t start, off_t length,
                           Mode mode, mode_t createMode)
{
    return lockImpl(path, openFlags, start, length, mode, createMode, true);
}

FileLock FileLock::tryAcquire(const std::string &path, int openFlags, off_t start, off_t length,
                              Mode mode, mode_t createMode)
{
    return lockImpl(path, openFlags, start, length, mode, createMode, false);
}

namespace {

// Calls `tryOnce` until it returns a locked FileLock or `timeoutMs` pass.
template <typename Try>
FileLock retryWithin(const std::string &path, unsigned timeoutMs, Try tryOnce)
{
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
        FileLock lock = tryOnce();
        if (lock.locked())
            return lock;
        if (clock::now() >= deadline)
            raise(ErrorCode::OperationTimeout,
                  _("cannot lock '%s': another process holds its lock"), path.c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

} // namespace

FileLock FileLock::acquireWithin(const std::string &path, int openFlags, off_t start,
                                 off_t length, unsigned timeoutMs, Mode mode, mode_t createMode)
{
    return retryWithin(path, timeoutMs, [&] {
        return lockImpl(path, openFlags, start, length, mode, createMode, false);
    });
}

FileLock FileLock::acquireFdWithin(int fd, const std::string &path, off_t start, off_t length,
                                   unsigned timeoutMs, Mode mode)
{
    return retryWithin(path, timeoutMs, [&] {
        // OFD locks belong to the open file description: our own open of
        // the object, so a second lock in this process waits on the first.
        int dup = ::open(strprintf("/proc/self/fd/%d", fd).c_str(),
                         O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (dup < 0)
            raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
        return lockFd(dup, path, start, length, mode, false);
    });
}

FileLock::FileLock(FileLock &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_))
{
}

FileLock &FileLock::operator=(FileLock &&other) noexcept
{
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

FileLock::~FileLock()
{
    release();
}

void FileLock::release() noexcept
{
    // Closing the only descriptor of the open file description drops
    // its OFD locks.
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
}

} // namespace xlnv
