// What a failed or interrupted command must leave exactly as it found:
// the simulated hypervisor's view of every domain (mappings, permissions;
// the call counters aside), the live and persistent XML of the domains,
// the backing files on the DAX mount (size, owner, mode, inode flags,
// extended attributes) and the backing claims (pin records).
#pragma once

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "cli_support.h"

namespace xlnv::test {

inline std::string describeFile(const std::string &path)
{
    std::ostringstream out;
    struct stat sb;
    if (lstat(path.c_str(), &sb) < 0)
        return "missing";
    out << "size=" << sb.st_size << " uid=" << sb.st_uid << " gid=" << sb.st_gid << " mode=" << std::oct
        << (sb.st_mode & 07777) << std::dec;
    if (S_ISREG(sb.st_mode)) {
        const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW);
        if (fd >= 0) {
            int flags = 0;
            if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0)
                out << " immutable=" << ((flags & FS_IMMUTABLE_FL) != 0);
            close(fd);
        }
    }
    char names[4096];
    const ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
    std::vector<std::string> attrs;
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(std::strlen(names + i)) + 1) {
        char value[1024];
        const ssize_t len = lgetxattr(path.c_str(), names + i, value, sizeof(value));
        const std::string name = names + i;
        // libvirt's timestamp_* holds the host's boot time; where it is
        // derived from the uptime (no utmp boot record, containers) it
        // may move by a second between commands: compare its presence.
        if (name.rfind("trusted.libvirt.security.timestamp_", 0) == 0) {
            attrs.push_back(name + "=(boot time)");
            continue;
        }
        attrs.push_back(name + "=" + (len >= 0 ? std::string(value, len) : "?"));
    }
    std::sort(attrs.begin(), attrs.end());
    for (const auto &a : attrs)
        out << " " << a;
    return out.str();
}

inline std::string listDirectory(const std::string &dir, const std::string &suffix = "")
{
    std::vector<std::string> lines;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (!suffix.empty() && (name.size() < suffix.size() ||
                                name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0))
            continue;
        lines.push_back(name + ": " + describeFile(e.path().string()));
    }
    std::sort(lines.begin(), lines.end());
    std::string out;
    for (const auto &l : lines)
        out += l + "\n";
    return out;
}

struct HostSnapshot {
    std::string domains;       // sim-stats --json "domains"
    std::string xml;           // dumpxml of every domain, live and inactive
    std::string files;         // DAX mount
    std::string pins;          // pmem-pins/*.json
    bool operator==(const HostSnapshot &) const = default;
};

inline std::ostream &operator<<(std::ostream &os, const HostSnapshot &s)
{
    return os << "--- domains\n" << s.domains << "\n--- files\n" << s.files << "--- pins\n" << s.pins
              << "--- xml\n" << s.xml;
}

inline HostSnapshot snapshot(const SimHostDir &host, const std::vector<std::string> &domains = {"demo", "demo2"})
{
    HostSnapshot s;
    auto st = host.stats();
    s.domains = st["domains"].dump(1);
    for (const auto &d : domains) {
        for (bool inactive : {false, true}) {
            std::vector<std::string> args = {"dumpxml", d};
            if (inactive)
                args.push_back("--inactive");
            const CliResult r = host.cli(args);
            s.xml += "== " + d + (inactive ? " inactive" : " live") + " (" + std::to_string(r.status) + ")\n" +
                     r.out;
        }
    }
    s.files = listDirectory(host.stateDir() + "/mnt/pmem1");
    s.pins = listDirectory(host.stateDir() + "/pmem-pins", ".json");
    return s;
}

} // namespace xlnv::test
