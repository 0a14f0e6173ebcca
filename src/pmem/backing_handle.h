// Backings are reached only beneath an allowed root (backing.h's pmem
// roots; the simulator's DAX mounts): the root is opened once and the
// rest of the path resolved from its descriptor with openat2
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, so no
// symlink or renamed directory in any component can lead outside. After
// that a backing is its descriptor and its FileIdentity (util/safe_open.h):
// restore and unpin find that inode again, never "whatever the path names".
#pragma once

#include <string>
#include <vector>

#include "util/fd.h"
#include "util/safe_open.h"

namespace xlnv {

// An absolute path without '.', '..' or empty components. Throws InvalidArg.
void checkBackingPathSyntax(const std::string &path);

// `path` (checked as above) beneath the first root that contains it:
// the root's directory opened, and the rest relative to it. Throws
// AccessDenied when no root contains it.
struct RootedPath {
    UniqueFd root;       // O_PATH | O_DIRECTORY
    std::string rel;     // relative to root, never empty
};
RootedPath rootedPath(const std::string &path, const std::vector<std::string> &roots);

// openNoLinks beneath the root holding `path`; -1 with errno on failure
// (the AccessDenied of rootedPath is thrown).
int openUnderRoots(const std::string &path, const std::vector<std::string> &roots, int flags,
                   mode_t mode = 0);
// The directory that holds `path` (O_PATH), and the last component.
UniqueFd openParentUnderRoots(const std::string &path, const std::vector<std::string> &roots,
                              std::string &base);

// Remove `path` if it still names inode `ino` (a file this process
// created), through its parent's descriptor. Never throws.
void unlinkUnderRootsIfSameInode(const std::string &path, const std::vector<std::string> &roots,
                                 uint64_t ino) noexcept;

// The inode `id` again (O_PATH): through its handle, else `path` beneath
// the roots when that still is the same inode. Invalid when neither (the
// file is gone, or the path now names another file).
UniqueFd reopenIdentity(const FileIdentity &id, const std::string &path,
                        const std::vector<std::string> &roots);

} // namespace xlnv
