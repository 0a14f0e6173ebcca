// Extended attributes of an open file, as plain strings. Values are
// stored as given: no trailing NUL is added or expected (libvirt's
// trusted.libvirt.security.* records are written the same way).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace xlnv::xattr {

// errno values meaning "this filesystem or kernel has no xattrs".
bool isUnsupportedErrno(int errnum);

// The value of `name`, or nullopt when the file has no such attribute.
// Any other failure (including "unsupported") throws xlnv::Error
// (SystemError, errnum kept) naming `path`.
std::optional<std::string> get(int fd, const std::string &name, const std::string &path);
// Same, by path (follows symlinks); for read-only inspection.
std::optional<std::string> getPath(const std::string &path, const std::string &name);

void set(int fd, const std::string &name, const std::string &value, const std::string &path);
// Returns false when the attribute was not there.
bool remove(int fd, const std::string &name, const std::string &path);

// Attribute names on the file (all namespaces the caller may see).
std::vector<std::string> list(int fd, const std::string &path);
std::vector<std::string> listPath(const std::string &path);

} // namespace xlnv::xattr
