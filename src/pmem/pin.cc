#include "pmem/pin.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/state_dir.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

struct PinDir {
    std::string dir;
    std::string lock;
};

PinDir pinDir(const std::string &state_dir)
{
    if (state_dir.empty())
        raise(ErrorCode::InvalidArg, _("a state directory is required to pin a backing"));
    PinDir d{state_dir + "/pmem-pins", state_dir + "/pmem-pins/.lock"};
    libxl::makeDirectories(d.dir);
    return d;
}

// Exclusive lock on the pin directory for the lifetime of the object.
class DirLock {
public:
    explicit DirLock(const std::string &lock_path)
        : fd_(open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600))
    {
        if (!fd_)
            raiseSystem(errno, _("cannot open lock file '%s'"), lock_path.c_str());
        while (flock(fd_.get(), LOCK_EX) < 0)
            if (errno != EINTR)
                raiseSystem(errno, _("cannot lock '%s'"), lock_path.c_str());
    }

private:
    UniqueFd fd_;
};

std::string recordName(int fd)
{
    struct stat st {};
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot examine the backing to pin"));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return strprintf("%s-%u-%u.json", S_ISCHR(st.st_mode) ? "chr" : "blk",
                         major(st.st_rdev), minor(st.st_rdev));
    return strprintf("%u-%u-%llu.json", major(st.st_dev), minor(st.st_dev),
                     static_cast<unsigned long long>(st.st_ino));
}

std::optional<PinRecord> readRecord(const std::string &path)
{
    auto text = libxl::readFileIfExists(path);
    // Empty: a device's claim, written without fsync, whose data a host
    // crash lost; the domain that claimed it is gone with that crash.
    if (!text || text->empty())
        return std::nullopt;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        raise(ErrorCode::Internal, _("pin record '%s' is corrupt"), path.c_str());
    PinRecord r;
    r.owner = j.value("owner", "");
    r.path = j.value("path", "");
    r.flags = j.value("flags", 0u);
    r.file = j.value("file", false);
    return r;
}

void writeRecord(const std::string &path, const PinRecord &r)
{
    nlohmann::json j = {{"owner", r.owner}, {"path", r.path}, {"flags", r.flags}, {"file", r.file}};
    // Only a file's record must outlive a host crash: its immutable flag
    // does. A device's claim ends with the domain (and the host) anyway.
    libxl::writeFileAtomic(path, j.dump() + "\n", 0600,
                           r.file ? libxl::Durability::Durable : libxl::Durability::Volatile);
}

bool isRegular(int fd)
{
    struct stat st {};
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

void setFlags(int fd, unsigned flags, const std::string &path)
{
    int f = static_cast<int>(flags);
    if (ioctl(fd, FS_IOC_SETFLAGS, &f) < 0)
        raiseSystem(errno, _("cannot change the inode flags of '%s'"), path.c_str());
}

void dropRecord(int fd, const std::string &record_path, const PinRecord &r)
{
    if (r.file)
        setFlags(fd, r.flags, r.path);
    if (unlink(record_path.c_str()) < 0 && errno != ENOENT)
        raiseSystem(errno, _("cannot remove pin record '%s'"), record_path.c_str());
}

} // namespace

BackingPin BackingPin::acquire(int fd, const std::string &path, const std::string &state_dir,
                               const std::string &owner, PinKind kind)
{
    PinDir d = pinDir(state_dir);
    BackingPin pin;
    pin.fd_.reset(fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!pin.fd_)
        raiseSystem(errno, _("cannot hold '%s' open"), path.c_str());
    pin.path_ = path;
    pin.record_path_ = d.dir + "/" + recordName(fd);
    pin.lock_path_ = d.lock;

    DirLock lock(d.lock);
    if (auto held = readRecord(pin.record_path_)) {
        if (held->owner != owner)
            raise(ErrorCode::OperationInvalid,
                  _("backing '%s' is already in use by domain '%s'"),
                  path.c_str(), held->owner.c_str());
        pin.active_ = true;   // same owner: already pinned, keep the original flags
        return pin;
    }
    PinRecord r{owner, path, 0, kind == PinKind::Auto && isRegular(fd)};
    if (r.file) {
        int f = 0;
        if (ioctl(fd, FS_IOC_GETFLAGS, &f) < 0)
            raiseSystem(errno, _("cannot read the inode flags of '%s'"), path.c_str());
        r.flags = static_cast<unsigned>(f);
    }
    // Record first, so a crash after setting the flag still knows what to restore.
    writeRecord(pin.record_path_, r);
    if (r.file && !(r.flags & FS_IMMUTABLE_FL)) {
        try {
            setFlags(fd, r.flags | FS_IMMUTABLE_FL, path);
        } catch (...) {
            unlink(pin.record_path_.c_str());
            throw;
        }
    }
    pin.active_ = true;
    return pin;
}

BackingPin::BackingPin(BackingPin &&o) noexcept
    : fd_(std::move(o.fd_)), path_(std::move(o.path_)), record_path_(std::move(o.record_path_)),
      lock_path_(std::move(o.lock_path_)), active_(std::exchange(o.active_, false))
{
}

BackingPin &BackingPin::operator=(BackingPin &&o) noexcept
{
    if (this != &o) {
        try { release(); } catch (...) {}
        fd_ = std::move(o.fd_);
        path_ = std::move(o.path_);
        record_path_ = std::move(o.record_path_);
        lock_path_ = std::move(o.lock_path_);
        active_ = std::exchange(o.active_, false);
    }
    return *this;
}

BackingPin::~BackingPin()
{
    try {
        release();
    } catch (const Error &) {
        // Destructors cannot report; release() explicitly to see failures.
    }
}

void BackingPin::release()
{
    if (!active_)
        return;
    active_ = false;
    DirLock lock(lock_path_);
    if (auto r = readRecord(record_path_))
        dropRecord(fd_.get(), record_path_, *r);
    fd_.reset();
}

void BackingPin::persist()
{
    active_ = false;
    fd_.reset();
}

std::optional<PinRecord> pinHolder(int fd, const std::string &state_dir)
{
    PinDir d = pinDir(state_dir);
    DirLock lock(d.lock);
    return readRecord(d.dir + "/" + recordName(fd));
}

void releasePinRecord(int fd, const std::string &state_dir, const std::string &owner)
{
    PinDir d = pinDir(state_dir);
    DirLock lock(d.lock);
    const std::string record = d.dir + "/" + recordName(fd);
    auto r = readRecord(record);
    if (!r)
        return;
    if (r->owner != owner)
        raise(ErrorCode::OperationInvalid, _("backing '%s' is in use by domain '%s', not '%s'"),
              r->path.c_str(), r->owner.c_str(), owner.c_str());
    dropRecord(fd, record, *r);
}

} // namespace xlnv
