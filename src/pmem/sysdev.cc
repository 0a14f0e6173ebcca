#include "pmem/sysdev.h"

#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

std::optional<std::string> readSysfsLine(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::string line;
    std::getline(in, line);
    return trim(line);
}

std::optional<std::string> linkTarget(const std::string &path)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
    if (n < 0)
        return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

std::string baseName(const std::string &path)
{
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string devKey(dev_t dev)
{
    return strprintf("%u:%u", major(dev), minor(dev));
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string &s)
{
    std::string out;
    for (size_t i = 0; i < s.size(); i++) {
        if (s[i] == '\\' && i + 3 < s.size() &&
            s[i + 1] >= '0' && s[i + 1] <= '3') {
            int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
            out.push_back(static_cast<char>(v));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

} // namespace

std::optional<BlockDeviceInfo> blockDeviceInfo(dev_t dev)
{
    const std::string sys = "/sys/dev/block/" + devKey(dev);
    auto target = linkTarget(sys);
    if (!target)
        return std::nullopt;
    BlockDeviceInfo info;
    info.name = baseName(*target);
    info.disk = info.name;
    uint64_t sectors = 0;
    if (auto size = readSysfsLine(sys + "/size"); size && parseUInt64(*size, sectors))
        info.size = sectors * 512;
    if (auto start = readSysfsLine(sys + "/partition")) {
        info.partition = true;
        uint64_t start_sectors = 0;
        auto s = readSysfsLine(sys + "/start");
        if (!s || !parseUInt64(*s, start_sectors))
            return std::nullopt;
        info.partition_start = start_sectors * 512;
        std::string parent = target->substr(0, target->rfind('/'));
        info.disk = baseName(parent);
    }
    return info;
}

std::optional<std::string> charDeviceName(dev_t dev)
{
    auto target = linkTarget("/sys/dev/char/" + devKey(dev));
    if (!target)
        return std::nullopt;
    return baseName(*target);
}

bool MountEntry::hasOption(const std::string &opt) const
{
    for (const auto &o : options)
        if (o == opt)
            return true;
    return false;
}

bool MountEntry::dax() const
{
    return hasOption("dax") || hasOption("dax=always");
}

std::vector<MountEntry> parseMountinfo(const std::string &text)
{
    std::vector<MountEntry> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        // id parent maj:min root mount-point mount-opts [optional...] - fstype source super-opts
        std::vector<std::string> f;
        std::istringstream ls(line);
        std::string tok;
        while (ls >> tok)
            f.push_back(tok);
        size_t dash = 0;
        for (size_t i = 6; i < f.size(); i++)
            if (f[i] == "-") { dash = i; break; }
        if (f.size() < 7 || dash == 0 || dash + 2 >= f.size())
            continue;
        MountEntry m;
        auto mm = split(f[2], ':');
        if (mm.size() != 2 || !parseUInt(mm[0], m.major) || !parseUInt(mm[1], m.minor))
            continue;
        m.root = unescape(f[3]);
        m.mount_point = unescape(f[4]);
        m.fstype = f[dash + 1];
        m.source = unescape(f[dash + 2]);
        m.options = split(f[5], ',');
        if (dash + 3 < f.size())
            for (auto &o : split(f[dash + 3], ','))
                m.options.push_back(o);
        out.push_back(std::move(m));
    }
    return out;
}

std::vector<MountEntry> readMountinfo(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        raiseSystem(errno, _("cannot read '%s'"), path.c_str());
    std::ostringstream buf;
    buf << in.rdbuf();
    return parseMountinfo(buf.str());
}

} // namespace xlnv
