#include "security/file_state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/xattr.h"

namespace xlnv::security {

namespace {

bool covered(const std::string &name)
{
    return name == "security.selinux" || startsWith(name, "trusted.libvirt.security.");
}

} // namespace

FileState captureFileState(int fd, const std::string &path)
{
    FileState state;
    struct stat st = {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot stat file '%s'"), path.c_str());
    state.uid = st.st_uid;
    state.gid = st.st_gid;
    state.mode = st.st_mode & 07777;
    try {
        for (const auto &name : xattr::list(fd, path))
            if (covered(name))
                if (auto v = xattr::get(fd, name, path))
                    state.xattrs[name] = *v;
    } catch (const Error &e) {
        if (!xattr::isUnsupportedErrno(e.errnum()))
            throw;
        state.xattrs_supported = false;
    }
    return state;
}

void restoreFileState(int fd, const std::string &path, const FileState &state)
{
    if (state.xattrs_supported) {
        for (const auto &name : xattr::list(fd, path))
            if (covered(name) && !state.xattrs.count(name))
                xattr::remove(fd, name, path);
        for (const auto &[name, value] : state.xattrs) {
            auto now = xattr::get(fd, name, path);
            if (!now || *now != value)
                xattr::set(fd, name, value, path);
        }
    }
    struct stat st = {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot stat file '%s'"), path.c_str());
    if ((st.st_uid != state.uid || st.st_gid != state.gid) && fchown(fd, state.uid, state.gid) < 0)
        raiseSystem(errno, _("unable to set user and group to '%u:%u' on '%s'"),
                    static_cast<unsigned>(state.uid), static_cast<unsigned>(state.gid),
                    path.c_str());
    // After chown, which may have cleared set-id bits; never set them
    // again (a backing with set-id bits is refused before it is labeled).
    const mode_t mode = state.mode & ~static_cast<mode_t>(S_ISUID | S_ISGID);
    if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
        raiseSystem(errno, _("unable to restore mode %04o on '%s'"),
                    static_cast<unsigned>(mode), path.c_str());
}

} // namespace xlnv::security
