#include "security/selinux_driver.h"

#include <selinux/context.h>
#include <selinux/selinux.h>

#include <cerrno>

#include "security/fault_injection.h"
#include "security/remembered_label.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/xattr.h"

namespace xlnv::security {

void checkSelinuxContext(const std::string &context, const char *what)
{
    context_t ctx = context_new(context.c_str());
    if (!ctx)
        raise(ErrorCode::XmlError, _("invalid SELinux %s '%s'"), what, context.c_str());
    context_free(ctx);
}

std::optional<std::string> selinuxLabelOfPath(const std::string &path)
{
    if (is_selinux_enabled() > 0) {
        char *con = nullptr;
        if (getfilecon_raw(path.c_str(), &con) < 0) {
            if (errno == ENODATA || xattr::isUnsupportedErrno(errno))
                return std::nullopt;
            raiseSystem(errno, _("unable to get SELinux context of '%s'"), path.c_str());
        }
        std::string out(con);
        freecon(con);
        return out;
    }
    try {
        auto raw = xattr::getPath(path, SelinuxDriver::kXattr);
        if (raw && !raw->empty() && raw->back() == '\0')
            raw->pop_back();
        return raw;
    } catch (const Error &e) {
        if (xattr::isUnsupportedErrno(e.errnum()))
            return std::nullopt;
        throw;
    }
}

std::optional<std::string> SelinuxDriver::current(int fd, const std::string &path) const
{
    if (useLibselinux_) {
        char *con = nullptr;
        if (fgetfilecon_raw(fd, &con) < 0) {
            if (errno == ENODATA)
                return std::nullopt;
            raiseSystem(errno, _("unable to get SELinux context of '%s'"), path.c_str());
        }
        std::string out(con);
        freecon(con);
        return out;
    }
    auto raw = xattr::get(fd, kXattr, path);
    if (raw && !raw->empty() && raw->back() == '\0')
        raw->pop_back();
    return raw;
}

void SelinuxDriver::apply(int fd, const std::string &path,
                          const std::optional<std::string> &context) const
{
    faultPoint("selinux.setfilecon");
    if (useLibselinux_) {
        if (!context)
            return;   // every file has a context under SELinux
        if (fsetfilecon_raw(fd, context->c_str()) < 0)
            raiseSystem(errno, _("unable to set security context '%s' on '%s'"),
                        context->c_str(), path.c_str());
        return;
    }
    if (!context) {
        xattr::remove(fd, kXattr, path);
        return;
    }
    std::string bytes = *context;
    bytes.push_back('\0');   // libselinux stores the terminating NUL
    xattr::set(fd, kXattr, bytes, path);
}

void SelinuxDriver::label(int fd, const std::string &path, const std::string &context) const
{
    std::optional<std::string> cur = current(fd, path);
    if (!rememberLabel_) {
        apply(fd, path, context);
        return;
    }
    RememberedRecord rec = readRemembered(fd, path, kName);
    if (!rec.supported) {
        warn(_("'%s' does not support extended attributes: its SELinux context will not be "
               "remembered"), path.c_str());
        apply(fd, path, context);
        return;
    }
    if (rec.refcount > 0) {
        if (cur.value_or("") != context)
            raise(ErrorCode::OperationInvalid,
                  _("cannot set SELinux label '%s' on '%s': it is already in use with label '%s'"),
                  context.c_str(), path.c_str(), cur.value_or("-").c_str());
        writeRememberedRef(fd, path, kName, rec.refcount + 1);
        return;
    }
    writeRememberedFirst(fd, path, kName, cur.value_or(""));
    apply(fd, path, context);
}

void SelinuxDriver::restore(int fd, const std::string &path) const
{
    if (!rememberLabel_) {
        warn(_("SELinux label of '%s' is not remembered; leaving it as it is"), path.c_str());
        return;
    }
    RememberedRecord rec = readRemembered(fd, path, kName);
    if (rec.droppedIncomplete)
        return;   // an interrupted run: the label is the original one
    if (!rec.supported || rec.refcount == 0) {
        warn(_("no remembered SELinux label on '%s'; leaving it as it is"), path.c_str());
        return;
    }
    if (rec.refcount > 1) {
        writeRememberedRef(fd, path, kName, rec.refcount - 1);
        return;
    }
    // Label first, record second (see DacDriver::restore).
    apply(fd, path, rec.label.empty() ? std::nullopt : std::optional<std::string>(rec.label));
    removeRemembered(fd, path, kName);
}

} // namespace xlnv::security
