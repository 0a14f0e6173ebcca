#include "util/config.h"

#include <glib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <set>

#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"

namespace xlnv {

struct Config::Impl {
    GKeyFile *file = g_key_file_new();
    std::string origin;
    ~Impl() { g_key_file_unref(file); }
};

namespace {

struct GErrorHolder {
    GError *err = nullptr;
    ~GErrorHolder() { if (err) g_error_free(err); }
};

[[noreturn]] void badValue(const std::string &origin, const std::string &section,
                           const std::string &key, const std::string &value, const char *expected)
{
    raise(ErrorCode::ConfigUnsupported,
          _("invalid value '%s' for '%s' in section [%s] of '%s': expected %s"),
          value.c_str(), key.c_str(), section.c_str(), origin.c_str(), expected);
}

} // namespace

Config::Config() : impl_(std::make_unique<Impl>()) {}
Config::Config(Config &&) noexcept = default;
Config &Config::operator=(Config &&) noexcept = default;
Config::~Config() = default;

std::string Config::defaultPath()
{
    return std::string(SYSCONFDIR) + "/libxl-nvdimm/libxl-nvdimm.conf";
}

Config Config::load()
{
    const char *env = std::getenv("LIBXL_NVDIMM_CONFIG");
    if (env && *env)
        return loadFile(env);
    std::string path = defaultPath();
    if (!g_file_test(path.c_str(), G_FILE_TEST_EXISTS))
        return Config();
    return loadFile(path);
}

Config Config::loadFile(const std::string &path)
{
    gchar *text = nullptr;
    gsize len = 0;
    GErrorHolder ge;
    if (!g_file_get_contents(path.c_str(), &text, &len, &ge.err)) {
        int errnum = ge.err && ge.err->domain == G_FILE_ERROR
            ? (ge.err->code == G_FILE_ERROR_NOENT ? ENOENT
               : ge.err->code == G_FILE_ERROR_ACCES ? EACCES : EIO)
            : EIO;
        raiseSystem(errnum, _("Failed to read configuration file '%s'"), path.c_str());
    }
    std::string content(text, len);
    g_free(text);
    Config cfg = fromString(content, path);
    cfg.warnUnknown();
    return cfg;
}

namespace {

// Every key a layer reads (examples/libxl-nvdimm.conf documents them).
constexpr std::pair<const char *, const char *> kKnownKeys[] = {
    {"security", "device_model_user"}, {"security", "dm_restrict"},
    {"security", "dynamic_ownership"}, {"security", "remember_owner"},
    {"security", "selinux"}, {"security", "selinux_image_context"},
    {"security", "selinux_category_max"}, {"security", "runtime_dir"},
    {"security", "state_dir"},   // runtime_dir's old name (warned about)
    {"pmem", "roots"},
    {"hypervisor", "default_memory_slots"}, {"hypervisor", "default_max_memory_kib"},
    {"hypervisor", "eject_timeout_ms"}, {"hypervisor", "state_lock_timeout_ms"},
    {"hypervisor", "advisory_readonly"},
    {"guest", "nvdimm_hotplug_irq"},
    {"client", "uri_default"},
    {"hook", "uri"},
    {"libvirt", "uri"},
};

} // namespace

void Config::warnUnknown() const
{
    // Once per file and entry in a process: the file is read by every layer.
    static std::set<std::string> told;
    gsize nGroups = 0;
    gchar **groups = g_key_file_get_groups(impl_->file, &nGroups);
    for (gsize g = 0; g < nGroups; g++) {
        const std::string group = groups[g];
        const bool knownGroup = std::any_of(std::begin(kKnownKeys), std::end(kKnownKeys),
                                            [&](const auto &k) { return group == k.first; });
        if (!knownGroup) {
            if (told.insert(impl_->origin + "[" + group + "]").second)
                warn(_("unknown section [%s] in configuration file '%s' (ignored)"), group.c_str(),
                     impl_->origin.c_str());
            continue;
        }
        gsize nKeys = 0;
        gchar **keys = g_key_file_get_keys(impl_->file, groups[g], &nKeys, nullptr);
        for (gsize k = 0; keys && k < nKeys; k++) {
            const std::string key = keys[k];
            const bool known = std::any_of(std::begin(kKnownKeys), std::end(kKnownKeys), [&](const auto &e) {
                return group == e.first && key == e.second;
            });
            if (!known && told.insert(impl_->origin + "[" + group + "]" + key).second)
                warn(_("unknown key '%s' in section [%s] of configuration file '%s' (ignored)"), key.c_str(),
                     group.c_str(), impl_->origin.c_str());
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
}

Config Config::fromString(const std::string &text, const std::string &origin)
{
    Config cfg;
    GErrorHolder ge;
    if (!g_key_file_load_from_data(cfg.impl_->file, text.data(), text.size(),
                                   G_KEY_FILE_NONE, &ge.err)) {
        raise(ErrorCode::ConfigUnsupported, _("cannot parse configuration file '%s': %s"),
              origin.c_str(), ge.err ? ge.err->message : "");
    }
    cfg.impl_->origin = origin;
    return cfg;
}

const std::string &Config::origin() const
{
    return impl_->origin;
}

bool Config::has(const std::string &section, const std::string &key) const
{
    return g_key_file_has_key(impl_->file, section.c_str(), key.c_str(), nullptr);
}

std::string Config::getString(const std::string &section, const std::string &key,
                              const std::string &def) const
{
    if (!has(section, key))
        return def;
    GErrorHolder ge;
    gchar *v = g_key_file_get_string(impl_->file, section.c_str(), key.c_str(), &ge.err);
    if (!v)
        raise(ErrorCode::ConfigUnsupported, _("cannot read '%s' in section [%s] of '%s': %s"),
              key.c_str(), section.c_str(), impl_->origin.c_str(), ge.err ? ge.err->message : "");
    std::string out = trim(v);
    g_free(v);
    return out;
}

bool Config::getBool(const std::string &section, const std::string &key, bool def) const
{
    if (!has(section, key))
        return def;
    std::string v = getString(section, key, "");
    std::string lower;
    for (char c : v)
        lower += static_cast<char>(g_ascii_tolower(c));
    if (lower == "1" || lower == "true" || lower == "yes" || lower == "on")
        return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off")
        return false;
    badValue(impl_->origin, section, key, v, _("a boolean (true/false, yes/no, 1/0)"));
}

int64_t Config::getInt(const std::string &section, const std::string &key, int64_t def) const
{
    if (!has(section, key))
        return def;
    std::string v = getString(section, key, "");
    bool negative = !v.empty() && v[0] == '-';
    uint64_t mag = 0;
    if (!parseUInt64(negative ? v.substr(1) : v, mag, true) ||
        mag > (negative ? static_cast<uint64_t>(INT64_MAX) + 1 : static_cast<uint64_t>(INT64_MAX)))
        badValue(impl_->origin, section, key, v, _("an integer"));
    return negative ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
}

uint64_t Config::getUInt(const std::string &section, const std::string &key, uint64_t def) const
{
    if (!has(section, key))
        return def;
    std::string v = getString(section, key, "");
    uint64_t out = 0;
    if (!parseUInt64(v, out, true))
        badValue(impl_->origin, section, key, v, _("an unsigned integer"));
    return out;
}

std::vector<std::string> Config::getList(const std::string &section, const std::string &key,
                                         const std::vector<std::string> &def) const
{
    if (!has(section, key))
        return def;
    // ':' like PATH and like the environment variables that override
    // such keys: a path may contain ',' or ';', so neither separates.
    std::vector<std::string> out;
    for (const std::string &item : split(getString(section, key, ""), ':')) {
        std::string t = trim(item);
        if (!t.empty())
            out.push_back(t);
    }
    return out;
}

} // namespace xlnv
