#include "util/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"

namespace xlnv {

namespace {

// Clears the immutable and append-only flags of a regular file or
// directory held by `fd` (both stop unlink beneath or of it).
void unpin(int fd)
{
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))) {
        flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
}

void removeEntries(int dirFd, const std::string &path)
{
    std::vector<std::string> names;
    {
        DIR *d = fdopendir(dup(dirFd));
        if (!d)
            raiseSystem(errno, _("cannot read directory '%s'"), path.c_str());
        while (dirent *e = readdir(d)) {
            const std::string n = e->d_name;
            if (n != "." && n != "..")
                names.push_back(n);
        }
        closedir(d);
    }
    for (const auto &n : names) {
        const std::string child = path + "/" + n;
        struct stat st {};
        if (fstatat(dirFd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            raiseSystem(errno, _("cannot examine '%s'"), child.c_str());
        }
        if (S_ISDIR(st.st_mode)) {
            UniqueFd sub(openat(dirFd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!sub)
                raiseSystem(errno, _("cannot open directory '%s'"), child.c_str());
            unpin(sub.get());
            removeEntries(sub.get(), child);
            if (unlinkat(dirFd, n.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT)
                raiseSystem(errno, _("cannot remove '%s'"), child.c_str());
            continue;
        }
        if (S_ISREG(st.st_mode)) {
            // O_NONBLOCK: a FIFO swapped in meanwhile must not block us.
            UniqueFd f(openat(dirFd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            if (f)
                unpin(f.get());
        }
        if (unlinkat(dirFd, n.c_str(), 0) < 0 && errno != ENOENT)
            raiseSystem(errno, _("cannot remove '%s'"), child.c_str());
    }
}

} // namespace

void removeTree(const std::string &dir)
{
    UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT)
            return;
        raiseSystem(errno, _("cannot open directory '%s'"), dir.c_str());
    }
    unpin(fd.get());
    removeEntries(fd.get(), dir);
    fd.reset();
    if (rmdir(dir.c_str()) < 0 && errno != ENOENT)
        raiseSystem(errno, _("cannot remove '%s'"), dir.c_str());
}

} // namespace xlnv
