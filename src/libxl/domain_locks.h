// The live code's locks (docs/live.rst), flock-style OFD locks held for
// the object's lifetime:
//   locks/domain-NAME.lock      one operation per domain
//   locks/backing-DEV-INO.lock  one operation per backing (its inode)
// Order: domain first, then backings; never the other way round.
#pragma once

#include <string>

#include "util/filelock.h"

namespace xlnv::libxl {

// The operation this process runs, recorded in the domain lock it holds
// so a waiter can say who it waits for (the CLI: its command's name;
// default: the program's name).
void setLockHolder(const std::string &operation);

class DomainLock {
public:
    // Waits for the domain's lock; after a second says so (warning
    // "waiting for domain 'NAME' (held by OP, pid N)..."), and gives up
    // after [hypervisor] state_lock_timeout_ms (default 30000) with
    // OperationTimeout "cannot acquire state change lock", as libvirt.
    DomainLock(const std::string &stateDir, const std::string &domain);

private:
    FileLock lock_;
};

class BackingLock {
public:
    // Locks the backing open at `path`; throws SystemError naming it when
    // it cannot be examined.
    BackingLock(const std::string &stateDir, const std::string &path);
    // The backing open as `fd` (any descriptor, O_PATH will do).
    BackingLock(const std::string &stateDir, int fd, const std::string &path);

private:
    FileLock lock_;
};

} // namespace xlnv::libxl
