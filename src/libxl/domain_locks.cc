#include "libxl/domain_locks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "util/state_dir.h"
#include "util/config.h"
#include "util/error.h"
#include "util/log.h"
#include "util/i18n.h"
#include "util/fd.h"
#include "util/safe_open.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

std::string &holderOperation()
{
    static std::string operation = program_invocation_short_name;
    return operation;
}

// "attach-device, pid 123" from a lock file's "attach-device 123".
std::string lockHolder(const std::string &path)
{
    const std::string text = readFileIfExists(path).value_or("");
    const size_t space = text.rfind(' ');
    const size_t end = text.find('\n');
    if (space == std::string::npos || end == std::string::npos || end < space)
        return _("another process");
    return strprintf(_("%s, pid %s"), text.substr(0, space).c_str(),
                     text.substr(space + 1, end - space - 1).c_str());
}

} // namespace

void setLockHolder(const std::string &operation)
{
    holderOperation() = operation;
}

DomainLock::DomainLock(const std::string &stateDir, const std::string &domain)
{
    validateDomainName(domain);
    makeDirectories(stateDir + "/locks");
    const std::string path = stateDir + "/locks/domain-" + domain + ".lock";
    const int flags = O_RDWR | O_CREAT | O_NOFOLLOW;
    lock_ = FileLock::tryAcquire(path, flags, 0, 0);
    if (!lock_.locked()) {
        using Clock = std::chrono::steady_clock;
        const auto start = Clock::now();
        const uint64_t timeoutMs = Config::load().getUInt("hypervisor", "state_lock_timeout_ms", 30000);
        bool told = false;
        while (!(lock_ = FileLock::tryAcquire(path, flags, 0, 0)).locked()) {
            const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
            if (!told && waited >= 1000) {
                warn(_("waiting for domain '%s' (held by %s)..."), domain.c_str(), lockHolder(path).c_str());
                told = true;
            }
            if (static_cast<uint64_t>(waited) >= timeoutMs)
                raise(ErrorCode::OperationTimeout, "%s", _("cannot acquire state change lock"));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    // Who holds it, for the next waiter.
    const std::string holder = strprintf("%s %ld\n", holderOperation().c_str(), static_cast<long>(getpid()));
    // Written over the last holder's line, cut only when that was longer:
    // emptying the file first would free and reallocate its block.
    struct stat st;
    if (pwrite(lock_.fd(), holder.data(), holder.size(), 0) == static_cast<ssize_t>(holder.size()) &&
        fstat(lock_.fd(), &st) == 0 && st.st_size > static_cast<off_t>(holder.size()))
        (void)!ftruncate(lock_.fd(), static_cast<off_t>(holder.size()));
}

BackingLock::BackingLock(const std::string &stateDir, const std::string &path)
    : BackingLock(stateDir, UniqueFd(openNoLinks(AT_FDCWD, path, O_PATH, 0, false)).get(), path)
{
}

BackingLock::BackingLock(const std::string &stateDir, int fd, const std::string &path)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot examine NVDIMM backing '%s'"), path.c_str());
    // Devices by their device number, files by filesystem and inode.
    const std::string key = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)
        ? strprintf("%u:%u-dev", major(st.st_rdev), minor(st.st_rdev))
        : strprintf("%u:%u-%llu", major(st.st_dev), minor(st.st_dev),
                    static_cast<unsigned long long>(st.st_ino));
    makeDirectories(stateDir + "/locks");
    lock_ = FileLock::acquire(stateDir + "/locks/backing-" + key + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW, 0, 0);
}

} // namespace xlnv::libxl
