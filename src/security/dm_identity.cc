#include "security/dm_identity.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::security {

namespace {

// Xen reserves domids from DOMID_FIRST_RESERVED (0x7FF0) up.
constexpr unsigned kFirstReservedDomid = 0x7FF0;

class SystemUserDb : public UserDb {
public:
    std::optional<UserEntry> userByName(const std::string &name) const override
    {
        return lookupUser([&](struct passwd *pw, char *buf, size_t len, struct passwd **res) {
            return getpwnam_r(name.c_str(), pw, buf, len, res);
        });
    }
    std::optional<UserEntry> userById(uid_t uid) const override
    {
        return lookupUser([&](struct passwd *pw, char *buf, size_t len, struct passwd **res) {
            return getpwuid_r(uid, pw, buf, len, res);
        });
    }
    std::optional<GroupEntry> groupByName(const std::string &name) const override
    {
        return lookupGroup([&](struct group *gr, char *buf, size_t len, struct group **res) {
            return getgrnam_r(name.c_str(), gr, buf, len, res);
        });
    }
    std::optional<GroupEntry> groupById(gid_t gid) const override
    {
        return lookupGroup([&](struct group *gr, char *buf, size_t len, struct group **res) {
            return getgrgid_r(gid, gr, buf, len, res);
        });
    }

private:
    template <typename F>
    static std::optional<UserEntry> lookupUser(F f)
    {
        std::vector<char> buf(16384);
        struct passwd pw = {};
        struct passwd *res = nullptr;
        int rc;
        while ((rc = f(&pw, buf.data(), buf.size(), &res)) == ERANGE)
            buf.resize(buf.size() * 2);
        if (rc != 0 || !res)
            return std::nullopt;
        return UserEntry{res->pw_name, res->pw_uid, res->pw_gid};
    }
    template <typename F>
    static std::optional<GroupEntry> lookupGroup(F f)
    {
        std::vector<char> buf(16384);
        struct group gr = {};
        struct group *res = nullptr;
        int rc;
        while ((rc = f(&gr, buf.data(), buf.size(), &res)) == ERANGE)
            buf.resize(buf.size() * 2);
        if (rc != 0 || !res)
            return std::nullopt;
        return GroupEntry{res->gr_name, res->gr_gid};
    }
};

class PasswdFileUserDb : public UserDb {
public:
    PasswdFileUserDb(const std::string &passwdFile, const std::string &groupFile)
    {
        FILE *f = std::fopen(passwdFile.c_str(), "re");
        if (!f)
            raiseSystem(errno, _("Failed to open file '%s'"), passwdFile.c_str());
        while (struct passwd *pw = fgetpwent(f))
            users_.push_back(UserEntry{pw->pw_name, pw->pw_uid, pw->pw_gid});
        std::fclose(f);
        if (groupFile.empty())
            return;
        f = std::fopen(groupFile.c_str(), "re");
        if (!f)
            raiseSystem(errno, _("Failed to open file '%s'"), groupFile.c_str());
        while (struct group *gr = fgetgrent(f))
            groups_.push_back(GroupEntry{gr->gr_name, gr->gr_gid});
        std::fclose(f);
    }
    std::optional<UserEntry> userByName(const std::string &name) const override
    {
        for (const auto &u : users_)
            if (u.name == name)
                return u;
        return std::nullopt;
    }
    std::optional<UserEntry> userById(uid_t uid) const override
    {
        for (const auto &u : users_)
            if (u.uid == uid)
                return u;
        return std::nullopt;
    }
    std::optional<GroupEntry> groupByName(const std::string &name) const override
    {
        for (const auto &g : groups_)
            if (g.name == name)
                return g;
        return std::nullopt;
    }
    std::optional<GroupEntry> groupById(gid_t gid) const override
    {
        for (const auto &g : groups_)
            if (g.gid == gid)
                return g;
        return std::nullopt;
    }

private:
    std::vector<UserEntry> users_;
    std::vector<GroupEntry> groups_;
};

bool parseId(const std::string &s, unsigned &out)
{
    return parseUInt(s, out) && out != static_cast<unsigned>(-1);
}

} // namespace

std::unique_ptr<UserDb> systemUserDb()
{
    return std::make_unique<SystemUserDb>();
}

std::unique_ptr<UserDb> passwdFileUserDb(const std::string &passwdFile, const std::string &groupFile)
{
    return std::make_unique<PasswdFileUserDb>(passwdFile, groupFile);
}

DmIdentity resolveDmIdentity(const DmUserSettings &settings, unsigned domid, const UserDb &users)
{
    DmIdentity id;
    if (!settings.device_model_user.empty()) {
        const std::string &user = settings.device_model_user;
        unsigned uid = 0;
        if (user[0] == '+' && parseId(user.substr(1), uid)) {
            auto entry = users.userById(uid);
            id.uid = uid;
            id.gid = entry ? entry->gid : uid;
        } else if (auto entry = users.userByName(user)) {
            id.uid = entry->uid;
            id.gid = entry->gid;
        } else {
            raise(ErrorCode::ConfigUnsupported,
                  _("device model user '%s' does not exist"), user.c_str());
        }
        id.source = "device_model_user";
    } else if (!settings.dm_restrict) {
        id.source = "root";
        return id;   // libxl starts QEMU as root
    } else if (auto base = users.userByName(kQemuUserRangeBase)) {
        if (domid == 0 || domid >= kFirstReservedDomid)
            raise(ErrorCode::InvalidArg, _("domain id %u cannot have a device model"), domid);
        if (base->uid > static_cast<uid_t>(-2) - domid)
            raise(ErrorCode::ConfigUnsupported,
                  _("uid of user '%s' (%u) + domain id %u overflows"),
                  kQemuUserRangeBase, static_cast<unsigned>(base->uid), domid);
        id.uid = base->uid + domid;
        id.gid = base->gid;
        id.source = "range-base";
    } else if (auto shared = users.userByName(kQemuUserShared)) {
        id.uid = shared->uid;
        id.gid = shared->gid;
        id.source = "shared";
    } else {
        raise(ErrorCode::ConfigUnsupported,
              _("dm_restrict is enabled but neither user '%s' nor user '%s' exists"),
              kQemuUserRangeBase, kQemuUserShared);
    }

    if (settings.dm_restrict && id.uid == 0)
        raise(ErrorCode::ConfigUnsupported,
              _("device model user '%s' is root (uid 0), which dm_restrict forbids"),
              settings.device_model_user.empty() ? "root" : settings.device_model_user.c_str());
    return id;
}

DmIdentity parseDacLabel(const std::string &label, const UserDb &users)
{
    size_t colon = label.find(':');
    if (colon == std::string::npos || label.find(':', colon + 1) != std::string::npos)
        raise(ErrorCode::XmlError,
              _("invalid DAC seclabel '%s': expected '+UID:+GID' or 'user:group'"), label.c_str());
    std::string user = label.substr(0, colon);
    std::string group = label.substr(colon + 1);

    DmIdentity id;
    id.source = "seclabel";
    unsigned num = 0;
    std::optional<UserEntry> userEntry;
    if (!user.empty() && user[0] == '+') {
        if (!parseId(user.substr(1), num))
            raise(ErrorCode::XmlError, _("invalid user '%s' in DAC seclabel '%s'"),
                  user.c_str(), label.c_str());
        id.uid = num;
    } else if ((userEntry = users.userByName(user))) {
        id.uid = userEntry->uid;
    } else if (parseId(user, num)) {
        id.uid = num;
    } else {
        raise(ErrorCode::XmlError, _("user '%s' in DAC seclabel '%s' does not exist"),
              user.c_str(), label.c_str());
    }

    std::optional<GroupEntry> groupEntry;
    if (!group.empty() && group[0] == '+') {
        if (!parseId(group.substr(1), num))
            raise(ErrorCode::XmlError, _("invalid group '%s' in DAC seclabel '%s'"),
                  group.c_str(), label.c_str());
        id.gid = num;
    } else if ((groupEntry = users.groupByName(group))) {
        id.gid = groupEntry->gid;
    } else if (parseId(group, num)) {
        id.gid = num;
    } else {
        raise(ErrorCode::XmlError, _("group '%s' in DAC seclabel '%s' does not exist"),
              group.c_str(), label.c_str());
    }
    return id;
}

std::string formatDacOwner(uid_t uid, gid_t gid)
{
    return strprintf("+%u:+%u", static_cast<unsigned>(uid), static_cast<unsigned>(gid));
}

bool parseDacOwner(const std::string &value, uid_t &uid, gid_t &gid)
{
    size_t colon = value.find(':');
    if (colon == std::string::npos || value.size() < 4 || value[0] != '+' ||
        value[colon + 1] != '+')
        return false;
    unsigned u = 0, g = 0;
    if (!parseId(value.substr(1, colon - 1), u) || !parseId(value.substr(colon + 2), g))
        return false;
    uid = u;
    gid = g;
    return true;
}

} // namespace xlnv::security
