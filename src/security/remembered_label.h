// The original owner/label of a backing, remembered in libvirt's own
// extended attributes so libvirt and this project agree on a shared host
// (facts from libvirt's src/security/security_util.c):
//
//   trusted.libvirt.security.<driver>            the original label
//   trusted.libvirt.security.ref_<driver>        users, decimal ("%u")
//   trusted.libvirt.security.timestamp_<driver>  host boot time ("%llu")
//
// <driver> is "dac" (value "+uid:+gid") or "selinux" (the context).
// Values are written without a trailing NUL. The first user writes the
// label, then the timestamp, then ref 1; later users only bump ref; the
// last one reads the label and removes ref, label and timestamp. A ref
// whose timestamp is missing or from another boot is stale: all three
// are dropped and the record counts as absent.
#pragma once

#include <optional>
#include <string>

namespace xlnv::security {

std::string rememberedLabelAttr(const std::string &driver);
std::string rememberedRefAttr(const std::string &driver);
std::string rememberedTimestampAttr(const std::string &driver);

struct RememberedRecord {
    bool supported = true;      // false: no xattrs on this filesystem
    unsigned refcount = 0;      // 0: no (valid) record
    std::string label;          // valid when refcount > 0
    bool droppedStale = false;  // a stale record was removed while reading
    bool droppedIncomplete = false;  // leftovers without a refcount were removed
};

// Read the record of `driver` on the open file, dropping a stale one
// (with a warning). Throws xlnv::Error on I/O errors or a malformed
// refcount. Fault points guard the removal of a stale record.
RememberedRecord readRemembered(int fd, const std::string &path, const std::string &driver);

// Inspect without changing anything (for seclabel-show).
struct RememberedView {
    std::optional<std::string> label, refcount, timestamp;
    bool stale = false;   // present but not from this boot
};
RememberedView viewRemembered(const std::string &path, const std::string &driver);
// The same through a descriptor the caller holds (not O_PATH).
RememberedView viewRemembered(int fd, const std::string &path, const std::string &driver);

// First user: label, timestamp, ref=1 (a fault point before each write).
void writeRememberedFirst(int fd, const std::string &path, const std::string &driver,
                          const std::string &label);
void writeRememberedRef(int fd, const std::string &path, const std::string &driver,
                        unsigned refcount);
// Last user gone: remove ref, label and timestamp.
void removeRemembered(int fd, const std::string &path, const std::string &driver);

} // namespace xlnv::security
