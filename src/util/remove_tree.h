// Removing a whole state directory (the simulated host's reset): files
// an attached NVDIMM pinned carry FS_IMMUTABLE_FL, which rm -rf cannot
// remove, so the flag is cleared first. Walks by directory descriptor and
// never follows a symbolic link: a link planted inside the tree is
// removed, never what it points to.
#pragma once

#include <string>

namespace xlnv {

// Removes `dir` and everything beneath it. A missing `dir` is not an
// error. Throws xlnv::Error (SystemError) naming the first entry that
// cannot be removed; what could be removed before it is gone.
void removeTree(const std::string &dir);

} // namespace xlnv
