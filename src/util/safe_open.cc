#include "util/safe_open.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

// Without openat2: walk one component at a time with O_PATH | O_NOFOLLOW.
int walkNoLinks(int dirfd, const std::string &rel, int flags, mode_t mode)
{
    auto parts = split(rel, '/');
    UniqueFd cur(fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
    if (!cur)
        return -1;
    for (size_t i = 0; i + 1 < parts.size(); i++) {
        if (parts[i].empty() || parts[i] == "." || parts[i] == "..") {
            errno = EXDEV;
            return -1;
        }
        int next = openat(cur.get(), parts[i].c_str(), O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (next < 0)
            return -1;
        cur.reset(next);
    }
    const std::string &last = parts.empty() ? rel : parts.back();
    if (last == "..") {
        errno = EXDEV;
        return -1;
    }
    return openat(cur.get(), last.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
}

std::string hex(const unsigned char *p, size_t n)
{
    std::string out;
    char buf[3];
    for (size_t i = 0; i < n; i++) {
        std::snprintf(buf, sizeof(buf), "%02x", p[i]);
        out += buf;
    }
    return out;
}

} // namespace

int openNoLinks(int dirfd, const std::string &rel, int flags, mode_t mode, bool beneath)
{
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (beneath ? RESOLVE_BENEATH : 0);
    long fd = syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof(how));
    if (fd >= 0 || errno != ENOSYS)
        return static_cast<int>(fd);
    return walkNoLinks(dirfd, rel, flags, mode);
}

void checkOpenableObject(const struct stat &st, const std::string &path, bool allowDevices)
{
    if (S_ISLNK(st.st_mode))
        raise(ErrorCode::ConfigUnsupported, _("'%s' is a symbolic link"), path.c_str());
    if (S_ISDIR(st.st_mode))
        raise(ErrorCode::ConfigUnsupported, _("'%s' is a directory"), path.c_str());
    if (S_ISFIFO(st.st_mode))
        raise(ErrorCode::ConfigUnsupported, _("'%s' is a FIFO, not a file or a persistent memory device"),
              path.c_str());
    if (S_ISSOCK(st.st_mode))
        raise(ErrorCode::ConfigUnsupported, _("'%s' is a socket, not a file or a persistent memory device"),
              path.c_str());
    if (!S_ISREG(st.st_mode) && !(allowDevices && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))))
        raise(ErrorCode::ConfigUnsupported, _("'%s' is neither a regular file nor a persistent memory device"),
              path.c_str());
    if (st.st_mode & S_ISUID)
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' has the set-user-ID bit (mode %04o); it cannot back an NVDIMM"),
              path.c_str(), static_cast<unsigned>(st.st_mode & 07777));
    // Set-group-ID without group execute is a mandatory-locking mark, not a privilege.
    if ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP))
        raise(ErrorCode::ConfigUnsupported,
              _("'%s' has the set-group-ID bit (mode %04o); it cannot back an NVDIMM"),
              path.c_str(), static_cast<unsigned>(st.st_mode & 07777));
}

UniqueFd reopenForIo(int pathFd, int access, const std::string &path)
{
    struct stat before {};
    if (fstat(pathFd, &before) < 0)
        raiseSystem(errno, _("cannot examine '%s'"), path.c_str());
    // /proc/self/fd/N names our own descriptor: the very object, not a path.
    UniqueFd io(open(strprintf("/proc/self/fd/%d", pathFd).c_str(),
                     access | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!io)
        raiseSystem(errno, _("cannot open '%s'"), path.c_str());
    struct stat now {};
    if (fstat(io.get(), &now) < 0 || now.st_dev != before.st_dev || now.st_ino != before.st_ino ||
        now.st_rdev != before.st_rdev)
        raise(ErrorCode::OperationFailed, _("'%s' changed while it was opened"), path.c_str());
    return io;
}

FileIdentity identityOf(int fd)
{
    FileIdentity id;
    struct stat st {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot examine an open file"));
    id.dev = static_cast<uint64_t>(st.st_dev);
    id.ino = static_cast<uint64_t>(st.st_ino);
    std::vector<unsigned char> buf(sizeof(file_handle) + MAX_HANDLE_SZ);
    auto *fh = reinterpret_cast<file_handle *>(buf.data());
    fh->handle_bytes = MAX_HANDLE_SZ;
    int mount_id = 0;
    if (name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) == 0) {
        id.handle_type = fh->handle_type;
        id.handle = hex(fh->f_handle, fh->handle_bytes);
    }
    return id;
}

UniqueFd openByIdentity(const FileIdentity &id, int mountFd)
{
    if (id.handle.empty() || id.handle.size() % 2 || id.handle.size() / 2 > MAX_HANDLE_SZ || mountFd < 0)
        return UniqueFd();
    std::vector<unsigned char> buf(sizeof(file_handle) + MAX_HANDLE_SZ);
    auto *fh = reinterpret_cast<file_handle *>(buf.data());
    fh->handle_bytes = static_cast<unsigned>(id.handle.size() / 2);
    fh->handle_type = id.handle_type;
    for (size_t i = 0; i < fh->handle_bytes; i++)
        fh->f_handle[i] = static_cast<unsigned char>(std::stoul(id.handle.substr(2 * i, 2), nullptr, 16));
    UniqueFd fd(open_by_handle_at(mountFd, fh, O_PATH | O_CLOEXEC));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) < 0 || !id.sameInode(st))
        return UniqueFd();
    return fd;
}

} // namespace xlnv
