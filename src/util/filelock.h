// An open file holding an open-file-description (OFD) record lock.
// OFD locks belong to the descriptor, not the process, so two threads or
// two FileLock objects in one process exclude each other too; they still
// conflict with classic POSIX (fcntl F_SETLK) locks taken by other
// processes on the same bytes, e.g. by libvirt. Closing releases them.
#pragma once

#include <sys/types.h>

#include <string>

namespace xlnv {

class FileLock {
public:
    enum class Mode { Shared, Exclusive };

    // Open `path` with `openFlags` (O_CLOEXEC is added; O_CREAT uses
    // `createMode`) and wait for a lock over [start, start + length);
    // length 0 means "to the end of the file, however it grows".
    // Throws xlnv::Error (SystemError) naming the path.
    static FileLock acquire(const std::string &path, int openFlags, off_t start, off_t length,
                            Mode mode = Mode::Exclusive, mode_t createMode = 0600);
    // Same, but fail at once instead of waiting; returns an unlocked,
    // closed object (locked() == false) when someone else holds it.
    static FileLock tryAcquire(const std::string &path, int openFlags, off_t start, off_t length,
                               Mode mode = Mode::Exclusive, mode_t createMode = 0600);

    // Like acquire, but give up after `timeoutMs` with an
    // OperationTimeout error naming the path (a hung holder must not
    // hang us forever).
    static FileLock acquireWithin(const std::string &path, int openFlags, off_t start,
                                  off_t length, unsigned timeoutMs,
                                  Mode mode = Mode::Exclusive, mode_t createMode = 0600);

    // Same on a duplicate of `fd` (the caller's descriptor of an object
    // it opened safely); `path` only names it in messages.
    static FileLock acquireFdWithin(int fd, const std::string &path, off_t start, off_t length,
                                    unsigned timeoutMs, Mode mode = Mode::Exclusive);

    FileLock() = default;
    FileLock(FileLock &&other) noexcept;
    FileLock &operator=(FileLock &&other) noexcept;
    FileLock(const FileLock &) = delete;
    FileLock &operator=(const FileLock &) = delete;
    ~FileLock();

    bool locked() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }
    const std::string &path() const noexcept { return path_; }
    // Unlock and close now (the destructor does the same).
    void release() noexcept;

private:
    static FileLock lockFd(int fd, const std::string &path, off_t start, off_t length, Mode mode,
                           bool wait);
    static FileLock lockImpl(const std::string &path, int openFlags, off_t start, off_t length,
                             Mode mode, mode_t createMode, bool wait);
    int fd_ = -1;
    std::string path_;
};

} // namespace xlnv
