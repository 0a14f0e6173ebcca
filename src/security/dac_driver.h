// DAC: give a backing to the device model's uid/gid, remembering the
// original owner (trusted.libvirt.security.*dac) and restoring it when
// the last user releases it. Works on a descriptor the caller holds open
// and locked (see SecurityManager).
#pragma once

#include <sys/types.h>

#include <string>

namespace xlnv::security {

class DacDriver {
public:
    static constexpr const char *kName = "dac";

    // rememberOwner false: chown only, restore to root:root (libvirt's
    // remember_owner = 0).
    explicit DacDriver(bool rememberOwner) : rememberOwner_(rememberOwner) {}

    // Throws OperationInvalid when another user holds the backing with a
    // different owner; nothing is changed then.
    void label(int fd, const std::string &path, uid_t uid, gid_t gid) const;
    void restore(int fd, const std::string &path) const;

private:
    bool rememberOwner_;
};

} // namespace xlnv::security
