#include "security/security_options.h"

#include "security/selinux_driver.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"

namespace xlnv::security {

SecurityOptions SecurityOptions::fromConfig(const Config &config)
{
    const std::string s = "security";
    SecurityOptions o;
    o.dm.device_model_user = config.getString(s, "device_model_user", o.dm.device_model_user);
    o.dm.dm_restrict = config.getBool(s, "dm_restrict", o.dm.dm_restrict);
    o.dynamic_ownership = config.getBool(s, "dynamic_ownership", o.dynamic_ownership);
    o.remember_owner = config.getBool(s, "remember_owner", o.remember_owner);

    std::string mode = config.getString(s, "selinux", "auto");
    if (mode == "auto")
        o.selinux = SelinuxMode::Auto;
    else if (mode == "on" || mode == "force")
        o.selinux = SelinuxMode::On;
    else if (mode == "off")
        o.selinux = SelinuxMode::Off;
    else
        raise(ErrorCode::ConfigUnsupported,
              _("invalid value '%s' for 'selinux' in section [security] of '%s': expected auto, on or off"),
              mode.c_str(), config.origin().c_str());

    o.selinux_image_context = config.getString(s, "selinux_image_context", o.selinux_image_context);
    try {
        checkSelinuxContext(o.selinux_image_context, "image context");
    } catch (const Error &e) {
        raise(ErrorCode::ConfigUnsupported, _("%s for 'selinux_image_context' in '%s'"),
              e.detail().c_str(), config.origin().c_str());
    }
    uint64_t max = config.getUInt(s, "selinux_category_max", o.selinux_category_max);
    if (max < 1 || max > 1023)
        raise(ErrorCode::ConfigUnsupported,
              _("invalid value '%llu' for 'selinux_category_max' in section [security] of '%s': expected 1 to 1023"),
              static_cast<unsigned long long>(max), config.origin().c_str());
    o.selinux_category_max = static_cast<unsigned>(max);
    // runtime_dir: named apart from the domain state directory
    // (--state-dir, /var/lib/libxl-nvdimm); state_dir is its old name.
    if (config.has(s, "runtime_dir"))
        o.state_dir = config.getString(s, "runtime_dir", o.state_dir);
    else if (config.has(s, "state_dir")) {
        warn(_("'state_dir' in section [security] of '%s' is now called 'runtime_dir'"),
             config.origin().c_str());
        o.state_dir = config.getString(s, "state_dir", o.state_dir);
    }
    return o;
}

} // namespace xlnv::security
