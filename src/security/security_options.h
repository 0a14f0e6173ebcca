// The [security] section of the project's configuration file
// (examples/libxl-nvdimm.conf documents every key). Defaults match a
// stock Xen host: QEMU runs as root (dm_restrict off), owners are
// remembered, SELinux follows the host.
#pragma once

#include <string>

#include "security/dm_identity.h"

namespace xlnv {
class Config;
}

namespace xlnv::security {

enum class SelinuxMode { Auto, On, Off };

struct SecurityOptions {
    DmUserSettings dm;                  // device_model_user, dm_restrict
    bool dynamic_ownership = true;      // DAC driver on
    bool remember_owner = true;         // keep trusted.libvirt.security.* records
    SelinuxMode selinux = SelinuxMode::Auto;
    std::string selinux_image_context = "system_u:object_r:svirt_image_t:s0";
    unsigned selinux_category_max = 1023;
    std::string state_dir = "/run/libxl-nvdimm";

    // Throws xlnv::Error (ConfigUnsupported) for a malformed value.
    static SecurityOptions fromConfig(const Config &config);
};

} // namespace xlnv::security
