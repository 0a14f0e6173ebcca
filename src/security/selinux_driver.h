// SELinux: label a backing with the domain's image label, remembering
// the original context (trusted.libvirt.security.*selinux).
//
// With SELinux enabled the context is read and written with libselinux
// (fgetfilecon_raw / fsetfilecon_raw). When the driver is forced on
// without SELinux (tests, hosts being prepared), the security.selinux
// attribute is read and written directly, in the same bytes libselinux
// writes: the context followed by one NUL. A file with no
// security.selinux attribute is remembered as "" and gets the attribute
// removed again on restore.
#pragma once

#include <optional>
#include <string>

namespace xlnv::security {

class SelinuxDriver {
public:
    static constexpr const char *kName = "selinux";
    static constexpr const char *kXattr = "security.selinux";

    // useLibselinux: is_selinux_enabled() said yes.
    SelinuxDriver(bool useLibselinux, bool rememberLabel)
        : useLibselinux_(useLibselinux), rememberLabel_(rememberLabel) {}

    // Current context; nullopt when the file has none.
    std::optional<std::string> current(int fd, const std::string &path) const;

    // Throws OperationInvalid when another user holds the backing with a
    // different label; nothing is changed then.
    void label(int fd, const std::string &path, const std::string &context) const;
    void restore(int fd, const std::string &path) const;

private:
    void apply(int fd, const std::string &path, const std::optional<std::string> &context) const;
    bool useLibselinux_;
    bool rememberLabel_;
};

// The SELinux context of `path` (following symlinks) the way the driver
// would read it: libselinux when SELinux is enabled, else the raw
// security.selinux attribute without its NUL; nullopt when none (or no
// xattrs on that filesystem).
std::optional<std::string> selinuxLabelOfPath(const std::string &path);

// Syntax check of "user:role:type[:level]" with libselinux's context
// parser; throws xlnv::Error (XmlError) naming `what`.
void checkSelinuxContext(const std::string &context, const char *what);

} // namespace xlnv::security
