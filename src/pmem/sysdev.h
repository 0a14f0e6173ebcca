// Kernel device facts from sysfs and /proc/self/mountinfo, by device
// number: which block or character device a descriptor lives on, where a
// partition starts, and where (and with which options) it is mounted.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace xlnv {

struct BlockDeviceInfo {
    std::string name;                  // "pmem0p1" or "pmem0"
    std::string disk;                  // whole disk: "pmem0"
    bool partition = false;
    uint64_t partition_start = 0;      // bytes from the start of the disk
    uint64_t size = 0;                 // bytes
};

// The block device with number `dev` (major:minor), from /sys/dev/block.
std::optional<BlockDeviceInfo> blockDeviceInfo(dev_t dev);
// The name of character device `dev` ("dax0.0"), from /sys/dev/char.
std::optional<std::string> charDeviceName(dev_t dev);

struct MountEntry {
    unsigned major = 0;
    unsigned minor = 0;
    std::string root;                  // path within the filesystem
    std::string mount_point;
    std::string fstype;
    std::string source;
    std::vector<std::string> options;  // per-mount and superblock options together

    bool hasOption(const std::string &opt) const;
    // Mounted with DAX forced on ("dax" or "dax=always").
    bool dax() const;
};

// Parse mountinfo text (the format of /proc/self/mountinfo).
std::vector<MountEntry> parseMountinfo(const std::string &text);
std::vector<MountEntry> readMountinfo(const std::string &path = "/proc/self/mountinfo");

} // namespace xlnv
