// Helpers for the live engine tests: a simulated host in a scratch state
// directory (with a configuration file that makes DAC labels visible),
// device XML builders, and a snapshot of everything the engine may
// change on the host, to prove a failed or recovered operation left
// nothing behind.
#pragma once

#include "../support/test_files.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "libxl/connection.h"
#include "libxl/nvdimm_driver.h"

namespace xlnv::test {

// uid:gid the device model runs as in these tests ([security] device_model_user).
constexpr unsigned kDmUid = 107;

class LiveHost {
public:
    // A fresh sim:///default in a new state directory; LIBXL_NVDIMM_CONFIG
    // points at a config in it (DAC labeling to kDmUid, SELinux off,
    // eject timeout 200 ms).
    explicit LiveHost(const std::string &uri = "sim:///default", const std::string &extraConfig = "");
    ~LiveHost();
    LiveHost(const LiveHost &) = delete;
    LiveHost &operator=(const LiveHost &) = delete;

    const std::string &dir() const { return dir_; }
    const std::string &uri() const { return uri_; }
    std::string mount() const { return dir_ + "/mnt/pmem1"; }
    libxl::Connection &conn() { return *conn_; }
    libxl::NvdimmDriver &driver() { return *driver_; }
    // A new connection + driver, as a second command would open them.
    void reopen();

private:
    std::string dir_;
    std::string uri_;
    std::unique_ptr<libxl::Connection> conn_;
    std::unique_ptr<libxl::NvdimmDriver> driver_;
};

std::string devdaxXml(const std::string &size = "1", const std::string &unit = "GiB",
                      bool readonly = false);
std::string fileXml(const std::string &path, unsigned sizeMiB = 4, bool readonly = false);

// Everything on the host the engine may change, as comparable text:
// host.json without call counters and the next domain id, and every file
// under the state directory (locks and the events file excepted) with
// its size, mode, owner, inode flags, extended attributes and, for small
// files, its content.
using Snapshot = std::map<std::string, std::string>;
Snapshot snapshotHost(const std::string &stateDir);
// "" when equal, else a readable list of differences.
std::string diffSnapshots(const Snapshot &before, const Snapshot &after);

} // namespace xlnv::test
