#include "security/dac_driver.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "security/dm_identity.h"
#include "security/fault_injection.h"
#include "security/remembered_label.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"

namespace xlnv::security {

namespace {

struct stat statFd(int fd, const std::string &path)
{
    struct stat st = {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot stat file '%s'"), path.c_str());
    return st;
}

// chown, keeping the permission bits. chown drops set-id bits and they
// stay dropped: a relabel never makes a file set-id for its new owner.
void changeOwner(int fd, const std::string &path, uid_t uid, gid_t gid)
{
    struct stat before = statFd(fd, path);
    faultPoint("dac.chown");
    if (fchown(fd, uid, gid) < 0)
        raiseSystem(errno, _("unable to set user and group to '%u:%u' on '%s'"),
                    static_cast<unsigned>(uid), static_cast<unsigned>(gid), path.c_str());
    struct stat after = statFd(fd, path);
    const mode_t keep = before.st_mode & 07777 & ~static_cast<mode_t>(S_ISUID | S_ISGID);
    if ((after.st_mode & 07777) != keep && fchmod(fd, keep) < 0)
        raiseSystem(errno, _("unable to restore mode %04o on '%s'"),
                    static_cast<unsigned>(keep), path.c_str());
}

} // namespace

void DacDriver::label(int fd, const std::string &path, uid_t uid, gid_t gid) const
{
    struct stat st = statFd(fd, path);
    if (!rememberOwner_) {
        changeOwner(fd, path, uid, gid);
        return;
    }

    RememberedRecord rec = readRemembered(fd, path, kName);
    if (!rec.supported) {
        warn(_("'%s' does not support extended attributes: its owner %u:%u will not be "
               "remembered and will be restored to root:root"),
             path.c_str(), static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
        changeOwner(fd, path, uid, gid);
        return;
    }

    if (rec.refcount > 0) {
        // In use: the owner is someone's label already; it must be ours.
        if (st.st_uid != uid || st.st_gid != gid)
            raise(ErrorCode::OperationInvalid,
                  _("cannot set DAC owner %s on '%s': it is already in use with owner %s"),
                  formatDacOwner(uid, gid).c_str(), path.c_str(),
                  formatDacOwner(st.st_uid, st.st_gid).c_str());
        writeRememberedRef(fd, path, kName, rec.refcount + 1);
        return;
    }

    writeRememberedFirst(fd, path, kName, formatDacOwner(st.st_uid, st.st_gid));
    changeOwner(fd, path, uid, gid);
}

void DacDriver::restore(int fd, const std::string &path) const
{
    if (!rememberOwner_) {
        changeOwner(fd, path, 0, 0);
        return;
    }

    RememberedRecord rec = readRemembered(fd, path, kName);
    if (!rec.supported) {
        warn(_("'%s' does not support extended attributes: no owner was remembered, "
               "restoring root:root"), path.c_str());
        changeOwner(fd, path, 0, 0);
        return;
    }
    if (rec.droppedIncomplete) {
        // An interrupted run: labeling changes the owner only after the
        // record is complete, restoring removes the record only after the
        // owner is back. Either way the owner is the original one.
        return;
    }
    if (rec.refcount == 0) {
        warn(_("no remembered owner on '%s', restoring root:root"), path.c_str());
        changeOwner(fd, path, 0, 0);
        return;
    }
    if (rec.refcount > 1) {
        writeRememberedRef(fd, path, kName, rec.refcount - 1);
        return;
    }

    uid_t uid = 0;
    gid_t gid = 0;
    if (!parseDacOwner(rec.label, uid, gid))
        raise(ErrorCode::Internal, _("malformed remembered owner '%s' in %s on '%s'"),
              rec.label.c_str(), rememberedLabelAttr(kName).c_str(), path.c_str());
    // Owner first, record second: a kill in between leaves a complete
    // record of the owner the file has again, never a file whose original
    // owner is forgotten.
    changeOwner(fd, path, uid, gid);
    removeRemembered(fd, path, kName);
}

} // namespace xlnv::security
