// Everything the security drivers may change on a backing: owner, mode,
// security.selinux and libvirt's trusted.libvirt.security.* records.
// A transaction captures it before the first change and puts it back
// byte for byte on rollback.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace xlnv::security {

struct FileState {
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;                            // permission bits (07777)
    bool xattrs_supported = true;
    std::map<std::string, std::string> xattrs;  // only the names above
    bool operator==(const FileState &) const = default;
};

FileState captureFileState(int fd, const std::string &path);
// Put `state` back: owner, mode, and the covered xattrs (set what was
// there, remove what was not).
void restoreFileState(int fd, const std::string &path, const FileState &state);

} // namespace xlnv::security
