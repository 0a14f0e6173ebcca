// Helpers for the security tests: scratch directories on real
// filesystems, full before/after snapshots of a file (owner, mode, every
// extended attribute), warning capture and domain XML documents.
#pragma once

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "security/security_options.h"

namespace xlnv::sectest {

#define REQUIRE_ROOT()                                                                   \
    do {                                                                                 \
        if (geteuid() != 0)                                                              \
            GTEST_SKIP() << "needs root: chown, trusted.* xattrs, mknod and mount";      \
    } while (0)

// A directory under /tmp (ext4 here), removed with everything in it.
class TempDir {
public:
    TempDir();
    ~TempDir();
    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }
    // Mount a filesystem of `type` on a new subdirectory; "" when the
    // kernel refuses (the reason in `why`). Unmounted by the destructor.
    std::string mount(const std::string &type, std::string &why);

private:
    std::string path_;
    std::vector<std::string> mounts_;
};

// Everything observable that labeling may touch, and more: the whole
// st_mode, owner, rdev and every extended attribute in any namespace.
struct Snapshot {
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;
    dev_t rdev = 0;
    std::map<std::string, std::string> xattrs;
    bool operator==(const Snapshot &) const = default;
};
Snapshot snapshot(const std::string &path);
std::string describe(const Snapshot &s);
inline std::ostream &operator<<(std::ostream &os, const Snapshot &s) { return os << describe(s); }

// Raw attribute bytes, nullopt when absent.
std::optional<std::string> rawXattr(const std::string &path, const std::string &name);
void setRawXattr(const std::string &path, const std::string &name, const std::string &value);

std::string makeFile(const std::string &path, uid_t uid, gid_t gid, mode_t mode);
// A character or block device node (S_IFCHR / S_IFBLK) for `rdev`.
std::string makeNode(const std::string &path, mode_t type, dev_t rdev, uid_t uid, gid_t gid,
                     mode_t mode);
// rdev of an existing loop device, for a block node that opens.
dev_t loopDeviceRdev();

// Collects xlnv::warn() messages while alive.
class WarningCapture {
public:
    WarningCapture();
    ~WarningCapture();
    const std::vector<std::string> &messages() const { return *messages_; }
    bool contains(const std::string &needle) const;

private:
    std::shared_ptr<std::vector<std::string>> messages_;
};

struct XmlDocDeleter {
    void operator()(xmlDoc *doc) const { xmlFreeDoc(doc); }
};
using XmlDoc = std::unique_ptr<xmlDoc, XmlDocDeleter>;
XmlDoc parseXml(const std::string &text);

// <domain> with the given <seclabel> XML and one NVDIMM per path
// (deviceSeclabels[i], if given, goes inside that device's <source>).
std::string domainXml(const std::string &name, const std::string &seclabels,
                      const std::vector<std::string> &paths,
                      const std::vector<std::string> &deviceSeclabels = {});

// Options for tests: state under `stateDir`, SELinux forced on or off.
security::SecurityOptions testOptions(const std::string &stateDir, bool selinux);

} // namespace xlnv::sectest
