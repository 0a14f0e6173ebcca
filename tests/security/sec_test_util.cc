#include "sec_test_util.h"

#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/log.h"

namespace xlnv::sectest {

TempDir::TempDir()
{
    char tmpl[] = "/tmp/xlnv-sec-XXXXXX";
    if (!mkdtemp(tmpl))
        throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = tmpl;
}

TempDir::~TempDir()
{
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it)
        umount2(it->c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::string TempDir::mount(const std::string &type, std::string &why)
{
    std::string dir = path_ + "/mnt-" + type;
    mkdir(dir.c_str(), 0755);
    if (::mount(type.c_str(), dir.c_str(), type.c_str(), 0, nullptr) < 0) {
        why = "mount -t " + type + ": " + std::strerror(errno);
        return "";
    }
    mounts_.push_back(dir);
    return dir;
}

std::optional<std::string> rawXattr(const std::string &path, const std::string &name)
{
    ssize_t n = getxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (n < 0)
        return std::nullopt;
    std::string v(static_cast<size_t>(n), '\0');
    n = getxattr(path.c_str(), name.c_str(), v.data(), v.size());
    if (n < 0)
        return std::nullopt;
    v.resize(static_cast<size_t>(n));
    return v;
}

void setRawXattr(const std::string &path, const std::string &name, const std::string &value)
{
    if (setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) < 0)
        throw std::runtime_error("setxattr " + name + ": " + std::strerror(errno));
}

Snapshot snapshot(const std::string &path)
{
    Snapshot s;
    struct stat st = {};
    if (stat(path.c_str(), &st) < 0)
        throw std::runtime_error("stat " + path + ": " + std::strerror(errno));
    s.uid = st.st_uid;
    s.gid = st.st_gid;
    s.mode = st.st_mode;
    s.rdev = st.st_rdev;
    ssize_t n = listxattr(path.c_str(), nullptr, 0);
    if (n <= 0)
        return s;   // none, or no xattrs on this filesystem
    std::string names(static_cast<size_t>(n), '\0');
    n = listxattr(path.c_str(), names.data(), names.size());
    for (size_t start = 0; n > 0 && start < static_cast<size_t>(n);) {
        std::string name(names.c_str() + start);
        start += name.size() + 1;
        if (auto v = rawXattr(path, name))
            s.xattrs[name] = *v;
    }
    return s;
}

std::string describe(const Snapshot &s)
{
    std::ostringstream os;
    os << "owner " << s.uid << ":" << s.gid << " mode 0" << std::oct << s.mode << std::dec
       << " rdev " << s.rdev << " xattrs {";
    for (const auto &[k, v] : s.xattrs) {
        os << " " << k << "=\"";
        for (char c : v)
            if (c == '\0')
                os << "\\0";
            else
                os << c;
        os << "\"";
    }
    os << " }";
    return os.str();
}

std::string makeFile(const std::string &path, uid_t uid, gid_t gid, mode_t mode)
{
    std::ofstream(path) << "backing";
    if (chown(path.c_str(), uid, gid) < 0 || chmod(path.c_str(), mode) < 0)
        throw std::runtime_error("chown/chmod " + path + ": " + std::strerror(errno));
    return path;
}

std::string makeNode(const std::string &path, mode_t type, dev_t rdev, uid_t uid, gid_t gid,
                     mode_t mode)
{
    if (mknod(path.c_str(), type | mode, rdev) < 0)
        throw std::runtime_error("mknod " + path + ": " + std::strerror(errno));
    if (chown(path.c_str(), uid, gid) < 0 || chmod(path.c_str(), mode) < 0)
        throw std::runtime_error("chown/chmod " + path + ": " + std::strerror(errno));
    return path;
}

dev_t loopDeviceRdev()
{
    struct stat st = {};
    for (int i = 7; i >= 0; i--) {
        std::string dev = "/dev/loop" + std::to_string(i);
        if (stat(dev.c_str(), &st) == 0 && S_ISBLK(st.st_mode))
            return st.st_rdev;
    }
    return makedev(7, 0);
}

WarningCapture::WarningCapture() : messages_(std::make_shared<std::vector<std::string>>())
{
    auto sink = messages_;
    setWarningSink([sink](const std::string &m) { sink->push_back(m); });
}

WarningCapture::~WarningCapture()
{
    setWarningSink(nullptr);
}

bool WarningCapture::contains(const std::string &needle) const
{
    for (const auto &m : *messages_)
        if (m.find(needle) != std::string::npos)
            return true;
    return false;
}

XmlDoc parseXml(const std::string &text)
{
    xmlDoc *doc = xmlReadMemory(text.data(), static_cast<int>(text.size()), "domain.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        throw std::runtime_error("malformed test XML");
    return XmlDoc(doc);
}

std::string domainXml(const std::string &name, const std::string &seclabels,
                      const std::vector<std::string> &paths,
                      const std::vector<std::string> &deviceSeclabels)
{
    std::ostringstream os;
    os << "<domain type='xen'>\n  <name>" << name << "</name>\n"
       << "  <memory unit='KiB'>1048576</memory>\n"
       << "  <os><type>hvm</type></os>\n" << seclabels << "\n  <devices>\n";
    for (size_t i = 0; i < paths.size(); i++) {
        os << "    <memory model='nvdimm' access='shared'>\n      <source><path>" << paths[i]
           << "</path>";
        if (i < deviceSeclabels.size())
            os << deviceSeclabels[i];
        os << "</source>\n      <target><size unit='KiB'>524288</size></target>\n"
           << "      <address type='dimm' slot='" << i << "'/>\n    </memory>\n";
    }
    os << "  </devices>\n</domain>\n";
    return os.str();
}

security::SecurityOptions testOptions(const std::string &stateDir, bool selinux)
{
    security::SecurityOptions o;
    o.state_dir = stateDir;
    o.selinux = selinux ? security::SelinuxMode::On : security::SelinuxMode::Off;
    return o;
}

} // namespace xlnv::sectest
