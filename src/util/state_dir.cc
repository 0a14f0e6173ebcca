#include "util/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

std::string defaultStateDir(bool simulated)
{
    const std::string base = simulated ? "libxl-nvdimm-sim" : "libxl-nvdimm";
    if (geteuid() == 0)
        return simulated ? "/run/" + base : std::string(kProductionStateDir);
    if (const char *xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg == '/')
        return std::string(xdg) + "/" + base;
    return strprintf("/tmp/%s-%u", base.c_str(), static_cast<unsigned>(geteuid()));
}

namespace {

// `dir` is `root` or lies below it, by name (symbolic links aside: the
// check keeps a mistyped option from mixing simulated records into the
// real host's, it is no security boundary).
bool isOrIsBelow(const std::string &dir, const std::string &root)
{
    return dir == root || startsWith(dir, root + "/");
}

} // namespace

std::string resolveStateDir(const std::string &requested, bool simulated)
{
    std::string dir = requested;
    if (dir.empty()) {
        if (const char *env = std::getenv("LIBXL_NVDIMM_STATE_DIR"); env && *env)
            dir = env;
        else
            dir = defaultStateDir(simulated);
    }
    if (dir[0] != '/') {
        char *cwd = getcwd(nullptr, 0);
        if (!cwd)
            raiseSystem(errno, _("cannot get the current directory"));
        dir = std::string(cwd) + "/" + dir;
        free(cwd);
    }
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    if (simulated) {
        std::string canonical = dir;
        if (char *real = realpath(dir.c_str(), nullptr)) {
            canonical = real;
            free(real);
        }
        if (isOrIsBelow(dir, kProductionStateDir) || isOrIsBelow(canonical, kProductionStateDir))
            raise(ErrorCode::OperationInvalid,
                  _("state directory '%s' belongs to the real host (%s): a simulated host keeps its "
                    "state elsewhere; choose another --state-dir"),
                  dir.c_str(), kProductionStateDir);
    }
    return dir;
}

void makeDirectories(const std::string &path)
{
    std::string sofar;
    for (const auto &part : split(path, '/')) {
        if (part.empty())
            continue;
        sofar += "/" + part;
        if (mkdir(sofar.c_str(), 0700) < 0 && errno != EEXIST)
            raiseSystem(errno, _("cannot create directory '%s'"), sofar.c_str());
    }
    struct stat st;
    if (stat(path.c_str(), &st) < 0)
        raiseSystem(errno, _("cannot create directory '%s'"), path.c_str());
    if (!S_ISDIR(st.st_mode))
        raise(ErrorCode::OperationInvalid, _("'%s' is not a directory"), path.c_str());
}

StateLock::StateLock(const std::string &lockPath, Mode mode)
{
    fd_ = open(lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0)
        raiseSystem(errno, _("cannot open lock file '%s'"), lockPath.c_str());
    int rc;
    do {
        rc = flock(fd_, mode == Mode::Exclusive ? LOCK_EX : LOCK_SH);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int err = errno;
        close(fd_);
        raiseSystem(err, _("cannot lock '%s'"), lockPath.c_str());
    }
}

StateLock::~StateLock()
{
    if (fd_ >= 0)
        close(fd_);   // drops the flock
}

void writeFileAtomic(const std::string &path, const std::string &content)
{
    const std::string tmp = strprintf("%s.tmp.%ld", path.c_str(), static_cast<long>(getpid()));
    int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        raiseSystem(errno, _("cannot create '%s'"), tmp.c_str());
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = write(fd, content.data() + off, content.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            unlink(tmp.c_str());
            raiseSystem(err, _("cannot write '%s'"), tmp.c_str());
        }
        off += static_cast<size_t>(n);
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        int err = errno;
        unlink(tmp.c_str());
        raiseSystem(err, _("cannot write '%s'"), tmp.c_str());
    }
    if (rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        unlink(tmp.c_str());
        raiseSystem(err, _("cannot replace '%s'"), path.c_str());
    }
    // Make the rename itself durable.
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
    int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

std::optional<std::string> readFileIfExists(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT)
            return std::nullopt;
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    }
    std::ostringstream buf;
    buf << in.rdbuf();
    if (in.bad())
        raiseSystem(errno, _("Failed to read file '%s'"), path.c_str());
    return buf.str();
}

} // namespace xlnv::libxl
