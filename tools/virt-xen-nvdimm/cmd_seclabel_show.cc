// virt-xen-nvdimm seclabel-show PATH [--json]: owner, mode, SELinux
// label and the remembered (libvirt-format) records of a backing.
#include "command.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "security/dac_driver.h"
#include "security/dm_identity.h"
#include "security/host_boot_time.h"
#include "security/remembered_label.h"
#include "security/selinux_driver.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

namespace {

using namespace xlnv::security;

const char *fileTypeName(mode_t mode)
{
    if (S_ISREG(mode)) return "file";
    if (S_ISCHR(mode)) return "char";
    if (S_ISBLK(mode)) return "block";
    if (S_ISDIR(mode)) return "directory";
    return "other";
}

// A key with no value is left out (the convention of every --json output).
void putOptional(nlohmann::json &j, const char *key, const std::optional<std::string> &v)
{
    if (v)
        j[key] = *v;
}

std::string describeRecord(const RememberedView &view)
{
    if (!view.label && !view.refcount && !view.timestamp)
        return _("none");
    std::string state = view.stale ? _("stale") : _("current boot");
    return strprintf(_("%s (refcount %s, timestamp %s, %s)"),
                     view.label ? view.label->c_str() : "-",
                     view.refcount ? view.refcount->c_str() : "-",
                     view.timestamp ? view.timestamp->c_str() : "-", state.c_str());
}

int runSeclabelShow(const std::string &path, bool json)
{
    struct stat st = {};
    if (::stat(path.c_str(), &st) < 0)
        raiseSystem(errno, _("cannot access '%s'"), path.c_str());

    auto users = systemUserDb();
    auto user = users->userById(st.st_uid);
    auto group = users->groupById(st.st_gid);
    std::optional<std::string> selinux = selinuxLabelOfPath(path);
    RememberedView dac = viewRemembered(path, DacDriver::kName);
    RememberedView se = viewRemembered(path, SelinuxDriver::kName);
    std::string mode = strprintf("%04o", static_cast<unsigned>(st.st_mode & 07777));

    if (json) {
        auto record = [](const RememberedView &v) -> nlohmann::json {
            nlohmann::json r = {{"stale", v.stale}};
            putOptional(r, "label", v.label);
            putOptional(r, "refcount", v.refcount);
            putOptional(r, "timestamp", v.timestamp);
            return r;
        };
        nlohmann::json out = {
            {"path", path},
            {"type", fileTypeName(st.st_mode)},
            {"uid", st.st_uid},
            {"gid", st.st_gid},
            {"mode", mode},
            {"host_boot_time", hostBootTimeString()},
            {"remembered", nlohmann::json::object()},
        };
        if (user)
            out["user"] = user->name;
        if (group)
            out["group"] = group->name;
        putOptional(out, "selinux", selinux);
        auto remembered = [](const RememberedView &v) { return v.label || v.refcount || v.timestamp; };
        if (remembered(dac))
            out["remembered"]["dac"] = record(dac);
        if (remembered(se))
            out["remembered"]["selinux"] = record(se);
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
    }

    std::printf("%-15s %s\n", _("Path:"), path.c_str());
    std::printf("%-15s %s\n", _("Type:"), fileTypeName(st.st_mode));
    std::printf("%-15s %u:%u (%s:%s)\n", _("Owner:"), static_cast<unsigned>(st.st_uid),
                static_cast<unsigned>(st.st_gid), user ? user->name.c_str() : "?",
                group ? group->name.c_str() : "?");
    std::printf("%-15s %s\n", _("Mode:"), mode.c_str());
    std::printf("%-15s %s\n", _("SELinux label:"), selinux ? selinux->c_str() : "-");
    std::printf("%-15s %s\n", _("Host boot time:"), hostBootTimeString().c_str());
    std::printf("%s\n", _("Remembered:"));
    std::printf("  %-13s %s\n", "dac:", describeRecord(dac).c_str());
    std::printf("  %-13s %s\n", "selinux:", describeRecord(se).c_str());
    return 0;
}

const CommandRegistrar registrar({
    "seclabel-show",
    N_("show the owner, mode, SELinux label and remembered seclabels of a backing"),
    700,
    [](CLI::App &sub) -> CommandRunner {
        auto path = std::make_shared<std::string>();
        auto json = std::make_shared<bool>(false);
        sub.add_option("path", *path, _("backing file or device"))->required();
        sub.add_flag("--json", *json, _("print JSON"));
        sub.footer(_("Remembered records are libvirt's trusted.libvirt.security.* extended "
                     "attributes; a record whose timestamp is not this boot's is stale."));
        return [path, json](Context &) { return runSeclabelShow(*path, *json); };
    },
});

} // namespace

} // namespace xlnv::cli
