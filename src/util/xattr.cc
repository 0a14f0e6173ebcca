#include "util/xattr.h"

#include <sys/xattr.h>

#include <cerrno>

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::xattr {

namespace {

// Size query then read; retried when the value grows in between.
template <typename Getter>
std::optional<std::string> readValue(Getter getter, const std::string &name,
                                     const std::string &path)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        ssize_t need = getter(nullptr, 0);
        if (need < 0) {
            if (errno == ENODATA)
                return std::nullopt;
            raiseSystem(errno, _("Unable to get XATTR %s on '%s'"), name.c_str(), path.c_str());
        }
        std::string value(static_cast<size_t>(need), '\0');
        ssize_t got = getter(value.data(), value.size());
        if (got < 0) {
            if (errno == ERANGE)
                continue;
            if (errno == ENODATA)
                return std::nullopt;
            raiseSystem(errno, _("Unable to get XATTR %s on '%s'"), name.c_str(), path.c_str());
        }
        value.resize(static_cast<size_t>(got));
        return value;
    }
    raiseSystem(ERANGE, _("Unable to get XATTR %s on '%s'"), name.c_str(), path.c_str());
}

template <typename Lister>
std::vector<std::string> readList(Lister lister, const std::string &path)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        ssize_t need = lister(nullptr, 0);
        if (need < 0)
            raiseSystem(errno, _("Unable to list XATTRs on '%s'"), path.c_str());
        std::string buf(static_cast<size_t>(need), '\0');
        ssize_t got = lister(buf.data(), buf.size());
        if (got < 0) {
            if (errno == ERANGE)
                continue;
            raiseSystem(errno, _("Unable to list XATTRs on '%s'"), path.c_str());
        }
        std::vector<std::string> names;
        size_t start = 0;
        for (size_t i = 0; i < static_cast<size_t>(got); i++) {
            if (buf[i] == '\0') {
                if (i > start)
                    names.emplace_back(buf, start, i - start);
                start = i + 1;
            }
        }
        return names;
    }
    raiseSystem(ERANGE, _("Unable to list XATTRs on '%s'"), path.c_str());
}

} // namespace

bool isUnsupportedErrno(int errnum)
{
    return errnum == ENOTSUP || errnum == EOPNOTSUPP || errnum == ENOSYS;
}

std::optional<std::string> get(int fd, const std::string &name, const std::string &path)
{
    return readValue([&](char *buf, size_t size) { return fgetxattr(fd, name.c_str(), buf, size); },
                     name, path);
}

std::optional<std::string> getPath(const std::string &path, const std::string &name)
{
    return readValue([&](char *buf, size_t size) {
        return getxattr(path.c_str(), name.c_str(), buf, size);
    }, name, path);
}

void set(int fd, const std::string &name, const std::string &value, const std::string &path)
{
    if (fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) < 0)
        raiseSystem(errno, _("Unable to set XATTR %s on '%s'"), name.c_str(), path.c_str());
}

bool remove(int fd, const std::string &name, const std::string &path)
{
    if (fremovexattr(fd, name.c_str()) < 0) {
        if (errno == ENODATA)
            return false;
        raiseSystem(errno, _("Unable to remove XATTR %s on '%s'"), name.c_str(), path.c_str());
    }
    return true;
}

std::vector<std::string> list(int fd, const std::string &path)
{
    return readList([&](char *buf, size_t size) { return flistxattr(fd, buf, size); }, path);
}

std::vector<std::string> listPath(const std::string &path)
{
    return readList([&](char *buf, size_t size) { return listxattr(path.c_str(), buf, size); },
                    path);
}

} // namespace xlnv::xattr
