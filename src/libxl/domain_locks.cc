#include "libxl/domain_locks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "util/state_dir.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/fd.h"
#include "util/safe_open.h"
#include "util/strutil.h"

namespace xlnv::libxl {

DomainLock::DomainLock(const std::string &stateDir, const std::string &domain)
{
    validateDomainName(domain);
    makeDirectories(stateDir + "/locks");
    lock_ = FileLock::acquire(stateDir + "/locks/domain-" + domain + ".lock", O_RDWR | O_CREAT | O_NOFOLLOW, 0, 0);
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
