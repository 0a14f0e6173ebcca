// Opening files a hostile local user may race: no symbolic link or magic
// link followed in any component, beneath a directory we hold open, the
// object examined through an O_PATH descriptor (fstat) before anything is
// opened for I/O (opening a FIFO blocks, opening a tty or /dev/ptmx has
// effects), and an identity that finds the same inode again after a
// rename (name_to_handle_at / open_by_handle_at).
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "util/fd.h"

namespace xlnv {

// openat2(dirfd, rel, flags, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
// [| RESOLVE_BENEATH]) with O_NOFOLLOW | O_CLOEXEC added. On kernels
// without openat2, a component-by-component O_PATH | O_NOFOLLOW walk.
// Returns -1 with errno set (ELOOP: a link, EXDEV: leaves `dirfd`).
int openNoLinks(int dirfd, const std::string &rel, int flags, mode_t mode = 0, bool beneath = true);

// A backing or state object may be a regular file or a device; never a
// FIFO, socket, directory or symbolic link, never set-user/group-ID.
// Throws xlnv::Error naming `path`.
void checkOpenableObject(const struct stat &st, const std::string &path, bool allowDevices);

// Reopen the object an O_PATH descriptor refers to (not its name) for
// I/O with O_NOCTTY | O_NONBLOCK | O_CLOEXEC, checking it is the same
// inode. Throws naming `path`.
UniqueFd reopenForIo(int pathFd, int access, const std::string &path);

// What identifies an inode across renames.
struct FileIdentity {
    uint64_t dev = 0;
    uint64_t ino = 0;
    int handle_type = 0;
    std::string handle;   // name_to_handle_at bytes in hex; "" when none
    bool known() const { return dev || ino; }
    bool sameInode(const struct stat &st) const
    {
        return known() && static_cast<uint64_t>(st.st_dev) == dev && static_cast<uint64_t>(st.st_ino) == ino;
    }
    bool operator==(const FileIdentity &) const = default;
};

FileIdentity identityOf(int fd);

// The inode `id` again as O_PATH, through its handle (needs
// CAP_DAC_READ_SEARCH; `mountFd` a descriptor, not O_PATH, on its filesystem).
// Invalid when the handle is unknown, unusable, or names another inode.
UniqueFd openByIdentity(const FileIdentity &id, int mountFd);

} // namespace xlnv
