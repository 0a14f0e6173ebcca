// Who the Xen device model (QEMU) runs as, resolved the way libxl does
// (Xen 4.17 libxl__domain_get_device_model_uid, see
// ../shared/reference/xen-pmem-mapping.md):
//   1. device_model_user when set;
//   2. root when dm_restrict is off;
//   3. uid of user `xen-qemuuser-range-base` + domid (gid of that user);
//   4. user `xen-qemuuser-shared`;
//   and uid 0 is refused under dm_restrict.
// A domain's <seclabel model='dac' type='static'><label>+UID:+GID</label>
// (or user:group) overrides the result.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

namespace xlnv::security {

struct UserEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;   // primary group
};

struct GroupEntry {
    std::string name;
    gid_t gid = 0;
};

// Where user and group names are looked up.
class UserDb {
public:
    virtual ~UserDb() = default;
    virtual std::optional<UserEntry> userByName(const std::string &name) const = 0;
    virtual std::optional<UserEntry> userById(uid_t uid) const = 0;
    virtual std::optional<GroupEntry> groupByName(const std::string &name) const = 0;
    virtual std::optional<GroupEntry> groupById(gid_t gid) const = 0;
};

// The host's NSS (getpwnam_r and friends).
std::unique_ptr<UserDb> systemUserDb();
// passwd(5)/group(5) files read with glibc's fgetpwent/fgetgrent, e.g. a
// chroot's or a test's; `groupFile` may be "" (no groups).
std::unique_ptr<UserDb> passwdFileUserDb(const std::string &passwdFile,
                                         const std::string &groupFile);

inline constexpr const char *kQemuUserRangeBase = "xen-qemuuser-range-base";
inline constexpr const char *kQemuUserShared = "xen-qemuuser-shared";

struct DmUserSettings {
    std::string device_model_user;   // "" = not set; a name or +UID
    bool dm_restrict = false;        // libxl's default
};

struct DmIdentity {
    uid_t uid = 0;
    gid_t gid = 0;
    // How it was chosen: "device_model_user", "root", "range-base",
    // "shared", "seclabel".
    std::string source;
};

// Throws xlnv::Error (ConfigUnsupported) when no identity can be
// resolved or uid 0 is asked for under dm_restrict.
DmIdentity resolveDmIdentity(const DmUserSettings &settings, unsigned domid, const UserDb &users);

// "+UID:+GID" or "user:group" (names looked up, numbers accepted
// without '+' when no such name exists), as libvirt's DAC labels.
// Throws xlnv::Error (XmlError) naming the label.
DmIdentity parseDacLabel(const std::string &label, const UserDb &users);

// "+uid:+gid", the format of trusted.libvirt.security.dac.
std::string formatDacOwner(uid_t uid, gid_t gid);
// Inverse of formatDacOwner; false when malformed.
bool parseDacOwner(const std::string &value, uid_t &uid, gid_t &gid);

} // namespace xlnv::security
