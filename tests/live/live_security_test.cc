// The hostile-local-user cases of issue 15 on sim:///default (the code
// paths are those of xen:///system): a backing is one inode from
// resolution to restore. A user who can write directories along the
// backing path plants files, renames parents and swaps symlinks while
// attach, detach, prepare and release run; nothing outside the pmem roots
// may change, and the backing the domain had is the one restored.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "live_test_util.h"
#include "pmem/pin.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/strutil.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

constexpr unsigned kTrials = 50;

unsigned inodeFlags(const std::string &path)
{
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    int flags = 0;
    if (!fd || ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) < 0)
        return 0;
    return static_cast<unsigned>(flags);
}

bool immutable(const std::string &path)
{
    return inodeFlags(path) & FS_IMMUTABLE_FL;
}

struct stat lstatOf(const std::string &path)
{
    struct stat st {};
    lstat(path.c_str(), &st);
    return st;
}

std::string readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const std::string &path, const std::string &bytes, uid_t uid, mode_t mode)
{
    std::ofstream(path, std::ios::binary) << bytes;
    ASSERT_EQ(chown(path.c_str(), uid, uid), 0);
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

std::string xattrsOf(const std::string &path)
{
    char names[4096];
    ssize_t n = llistxattr(path.c_str(), names, sizeof(names));
    std::string out;
    for (ssize_t i = 0; i < n; i += static_cast<ssize_t>(strlen(names + i)) + 1) {
        char value[512];
        ssize_t v = lgetxattr(path.c_str(), names + i, value, sizeof(value));
        out += std::string(names + i) + "=" + (v >= 0 ? std::string(value, static_cast<size_t>(v)) : "?") + ";";
    }
    return out;
}

// Everything about the files under `dir` (not following links): bytes,
// owner, mode, flags, xattrs.
std::string describeTree(const std::string &dir)
{
    std::string out;
    DIR *d = opendir(dir.c_str());
    if (!d)
        return "<no dir>";
    std::vector<std::string> names;
    while (dirent *e = readdir(d))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names.push_back(e->d_name);
    closedir(d);
    std::sort(names.begin(), names.end());
    for (const auto &n : names) {
        const std::string p = dir + "/" + n;
        struct stat st = lstatOf(p);
        out += n + strprintf(" %u:%u %o size=%lld flags=%x ", st.st_uid, st.st_gid, st.st_mode,
                             static_cast<long long>(st.st_size), S_ISREG(st.st_mode) ? inodeFlags(p) : 0u);
        out += xattrsOf(p);
        if (S_ISREG(st.st_mode))
            out += " bytes=" + std::to_string(std::hash<std::string>{}(readAll(p)));
        if (S_ISDIR(st.st_mode))
            out += "{" + describeTree(p) + "}";
        out += "\n";
    }
    return out;
}

size_t pinRecords(const std::string &stateDir)
{
    size_t n = 0;
    if (DIR *d = opendir((stateDir + "/pmem-pins").c_str())) {
        while (dirent *e = readdir(d))
            n += std::string(e->d_name).find(".json") != std::string::npos;
        closedir(d);
    }
    return n;
}

// The outside: files a user of the roots must never reach.
struct Outside {
    std::string dir;
    explicit Outside(const std::string &base) : dir(base + "/outside")
    {
        mkdir(dir.c_str(), 0755);
        mkdir((dir + "/d").c_str(), 0755);
        writeFile(dir + "/victim", std::string(8192, 'v'), 1234, 0644);
        writeFile(dir + "/d/disk.img", std::string(8192, 'w'), 1234, 0644);
        setxattr((dir + "/victim").c_str(), "user.mark", "keep", 4, 0);
    }
    std::string state() const { return describeTree(dir); }
};

// Swaps `a` and `b` (one a real file or directory, the other a symlink
// to the outside) as fast as it can until stopped.
class Swapper {
public:
    Swapper(std::string a, std::string b) : a_(std::move(a)), b_(std::move(b))
    {
        thread_ = std::thread([this] {
            while (!stop_)
                if (renameat2(AT_FDCWD, a_.c_str(), AT_FDCWD, b_.c_str(), RENAME_EXCHANGE) == 0)
                    swaps_++;
        });
    }
    ~Swapper() { stop(); }
    void stop()
    {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    // Put the real object back at `a` when it ended up at `b`.
    unsigned swaps() const { return swaps_; }

private:
    std::string a_, b_;
    std::atomic<bool> stop_{false};
    std::atomic<unsigned> swaps_{0};
    std::thread thread_;
};

std::string demoXml(const std::string &name, const std::string &devices)
{
    return "<domain type='xen'><name>" + name + "</name>"
           "<maxMemory slots='4' unit='KiB'>67108864</maxMemory><memory unit='KiB'>1048576</memory>"
           "<currentMemory unit='KiB'>1048576</currentMemory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='xenfv'>hvm</type></os>"
           "<cpu><numa><cell id='0' cpus='0' memory='1048576' unit='KiB'/></numa></cpu>"
           "<devices>" + devices + "</devices></domain>";
}

} // namespace

// Issue 15, seen 1: a file planted at the path after the attach is left
// alone by detach; the real backing is restored and unpinned.
TEST(LiveSecurity, DetachRestoresTheAttachedInodeNotAPlantedFile)
{
    LiveHost host;
    const std::string vm = host.mount() + "/vm1";
    ASSERT_EQ(mkdir(vm.c_str(), 0777), 0);
    ASSERT_EQ(mkdir((vm + "/data").c_str(), 0777), 0);
    const std::string disk = vm + "/data/disk.img";
    writeFile(disk, std::string(4 << 20, 'd'), 2000, 0640);

    ASSERT_EQ(host.driver().attachDevice("demo", test::fileXml(disk, 4), kAffectLive), "nvdimm0");
    EXPECT_EQ(lstatOf(disk).st_uid, test::kDmUid);
    EXPECT_TRUE(immutable(disk));

    // The device model's user moves the directory away and plants a set-uid file.
    ASSERT_EQ(rename((vm + "/data").c_str(), (vm + "/data.old").c_str()), 0);
    ASSERT_EQ(mkdir((vm + "/data").c_str(), 0777), 0);
    writeFile(disk, "\x7f" "ELF planted", test::kDmUid, 04755);
    const std::string planted = describeTree(vm + "/data");

    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);

    EXPECT_EQ(describeTree(vm + "/data"), planted);
    EXPECT_EQ(lstatOf(disk).st_mode & 07777, 04755u);
    EXPECT_EQ(lstatOf(disk).st_uid, test::kDmUid);
    const std::string real = vm + "/data.old/disk.img";
    EXPECT_EQ(lstatOf(real).st_uid, 2000u);
    EXPECT_EQ(lstatOf(real).st_mode & 07777, 0640u);
    EXPECT_FALSE(immutable(real));
    EXPECT_EQ(xattrsOf(real), "");
    EXPECT_EQ(pinRecords(host.dir()), 0u);
    // Nobody holds it any more: it can be attached again.
    EXPECT_NO_THROW(host.driver().attachDevice("demo", test::fileXml(real, 4), kAffectLive));
}

// Issue 15, seen 4: a renamed parent directory does not make detach skip
// the backing.
TEST(LiveSecurity, DetachAfterTheParentWasRenamedRestoresTheBacking)
{
    LiveHost host;
    const std::string vm = host.mount() + "/vm1";
    ASSERT_EQ(mkdir(vm.c_str(), 0777), 0);
    const std::string disk = vm + "/disk.img";
    writeFile(disk, std::string(4 << 20, 'd'), 2000, 0600);
    ASSERT_EQ(host.driver().attachDevice("demo", test::fileXml(disk, 4), kAffectLive), "nvdimm0");
    ASSERT_EQ(rename(vm.c_str(), (vm + ".moved").c_str()), 0);

    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
    const std::string real = vm + ".moved/disk.img";
    EXPECT_EQ(lstatOf(real).st_uid, 2000u);
    EXPECT_FALSE(immutable(real));
    EXPECT_EQ(xattrsOf(real), "");
    EXPECT_EQ(pinRecords(host.dir()), 0u);
}

// A backing with set-id bits is refused, untouched.
TEST(LiveSecurity, SetIdBackingIsRefused)
{
    LiveHost host;
    const std::string disk = host.mount() + "/suid.img";
    writeFile(disk, std::string(4 << 20, 's'), 2000, 04755);
    const std::string before = describeTree(host.mount());
    try {
        host.driver().attachDevice("demo", test::fileXml(disk, 4), kAffectLive);
        FAIL() << "a set-uid backing was attached";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("set-user-ID"), std::string::npos) << e.what();
    }
    EXPECT_EQ(describeTree(host.mount()), before);
}

namespace {

// Attach `path` in a thread; it must come back (refused) within a second.
std::string refusedQuickly(LiveHost &host, const std::string &path, const std::function<void()> &unblock)
{
    auto fut = std::async(std::launch::async, [&] {
        try {
            host.driver().attachDevice("demo", test::fileXml(path, 4), kAffectLive);
            return std::string("attached");
        } catch (const Error &e) {
            return std::string(e.what());
        }
    });
    if (fut.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
        unblock();
        return "hung: " + fut.get();
    }
    return fut.get();
}

} // namespace

// Issue 15, seen 3: a FIFO, a socket or a terminal device as <path> is
// refused at once, nothing is opened, and the domain lock is free after.
TEST(LiveSecurity, FifoSocketAndTtyPathsAreRefusedWithoutOpening)
{
    LiveHost host;
    const std::string fifo = host.mount() + "/fifo";
    const std::string outsideFifo = host.dir() + "/outside-fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0666), 0);
    ASSERT_EQ(mkfifo(outsideFifo.c_str(), 0666), 0);
    for (const std::string &f : {fifo, outsideFifo}) {
        const auto unblock = [&] { UniqueFd w(open(f.c_str(), O_WRONLY | O_CLOEXEC)); };
        std::string msg = refusedQuickly(host, f, unblock);
        EXPECT_EQ(msg.find("hung"), std::string::npos) << f << ": " << msg;
        EXPECT_NE(msg.find(f), std::string::npos) << msg;
        // No reader was left open (a writer would find one).
        UniqueFd w(open(f.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        EXPECT_FALSE(w) << f << " has a reader";
        EXPECT_EQ(errno, ENXIO);
    }

    const std::string sock = host.mount() + "/sock";
    UniqueFd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(sock.size(), sizeof(addr.sun_path));
    strcpy(addr.sun_path, sock.c_str());
    ASSERT_EQ(bind(s.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
    ASSERT_EQ(listen(s.get(), 1), 0);
    std::string msg = refusedQuickly(host, sock, [] {});
    EXPECT_EQ(msg.find("hung"), std::string::npos) << msg;
    EXPECT_NE(msg.find(sock), std::string::npos) << msg;

    // Terminals: /dev/ptmx would make a new pty pair when opened.
    auto ptys = [] {
        size_t n = 0;
        if (DIR *d = opendir("/dev/pts")) {
            while (readdir(d))
                n++;
            closedir(d);
        }
        return n;
    };
    const size_t before = ptys();
    for (const char *dev : {"/dev/ptmx", "/dev/tty", "/dev/kmsg", "/dev/null"}) {
        msg = refusedQuickly(host, dev, [] {});
        EXPECT_NE(msg, "attached") << dev;
        EXPECT_EQ(msg.find("hung"), std::string::npos) << dev << ": " << msg;
    }
    EXPECT_EQ(ptys(), before);

    // The domain lock is free: another call on the domain completes.
    auto fut = std::async(std::launch::async, [&] { return host.driver().dumpXml("demo", false); });
    EXPECT_EQ(fut.wait_for(std::chrono::seconds(2)), std::future_status::ready);
    EXPECT_EQ(pinRecords(host.dir()), 0u);
}

// The sim resolves like the real host: no '.', '//' or magic links.
TEST(LiveSecurity, OddPathSpellingsAreRefused)
{
    LiveHost host;
    const std::string disk = host.mount() + "/odd.img";
    writeFile(disk, std::string(4 << 20, 'o'), 0, 0600);
    for (const std::string &p : {host.mount() + "/./odd.img", host.mount() + "//odd.img",
                                 "/proc/self/cwd" + disk, host.mount() + "/../pmem1/odd.img"}) {
        EXPECT_THROW(host.driver().attachDevice("demo", test::fileXml(p, 4), kAffectLive), Error) << p;
    }
    EXPECT_EQ(pinRecords(host.dir()), 0u);
}

namespace {

enum class Swap { FinalComponent, ParentDirectory };

struct RaceResult {
    unsigned trials = 0;
    unsigned succeeded = 0;
    unsigned touched = 0;
};

// One race: the real backing and a symlink to the outside trade places
// while `op` runs.
RaceResult race(Swap where, bool lifecycle)
{
    LiveHost host;
    Outside outside(host.dir());
    const std::string base = host.mount() + "/race";
    mkdir(base.c_str(), 0777);
    std::string real, evil, path;
    if (where == Swap::FinalComponent) {
        path = base + "/disk.img";
        real = path;
        evil = base + "/disk.evil";
        writeFile(real, std::string(4 << 20, 'r'), 2000, 0644);
        symlink((outside.dir + "/victim").c_str(), evil.c_str());
    } else {
        real = base + "/d";
        evil = base + "/d.evil";
        path = real + "/disk.img";
        mkdir(real.c_str(), 0777);
        writeFile(path, std::string(4 << 20, 'r'), 2000, 0644);
        symlink((outside.dir + "/d").c_str(), evil.c_str());
    }
    const std::string outsideBefore = outside.state();
    RaceResult r;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (unsigned i = 0; i < kTrials && std::chrono::steady_clock::now() < deadline; i++) {
        r.trials++;
        {
            Swapper swapper(real, evil);
            try {
                if (lifecycle) {
                    host.driver().prepare(demoXml("racer", test::fileXml(path, 4)));
                    r.succeeded++;
                    host.driver().release("racer");
                } else {
                    host.driver().attachDevice("demo", test::fileXml(path, 4), kAffectLive);
                    r.succeeded++;
                    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
                }
            } catch (const Error &) {
                // Refusing is fine; harm is not.
            }
        }
        // Put the real object back in place for the checks.
        if (S_ISLNK(lstatOf(real).st_mode))
            renameat2(AT_FDCWD, real.c_str(), AT_FDCWD, evil.c_str(), RENAME_EXCHANGE);
        const std::string file = where == Swap::FinalComponent ? real : real + "/disk.img";
        if (outside.state() != outsideBefore) {
            r.touched++;
            ADD_FAILURE() << "trial " << i << " changed the outside:\n" << outside.state() << "\nwas\n"
                          << outsideBefore;
        }
        // The host is consistent: nothing held, the backing as it was.
        EXPECT_EQ(pinRecords(host.dir()), 0u) << "trial " << i;
        EXPECT_FALSE(immutable(file)) << "trial " << i;
        EXPECT_EQ(lstatOf(file).st_uid, 2000u) << "trial " << i;
        EXPECT_EQ(xattrsOf(file), "") << "trial " << i;
        if (::testing::Test::HasFailure())
            break;
    }
    std::printf("race %s %s: %u trials, %u succeeded, %u touched outside the roots\n",
                where == Swap::FinalComponent ? "final-component" : "parent-directory",
                lifecycle ? "prepare/release" : "attach/detach", r.trials, r.succeeded, r.touched);
    return r;
}

} // namespace

// Every trial ran (within the time bound), some operations got through
// (not only refusals), and none touched the outside.
void expectHarmless(const RaceResult &r)
{
    EXPECT_EQ(r.trials, kTrials);
    EXPECT_GT(r.succeeded, 0u);
    EXPECT_EQ(r.touched, 0u);
}

TEST(LiveSecurityRace, SymlinkSwappedIntoTheFinalComponentDuringAttachDetach)
{
    expectHarmless(race(Swap::FinalComponent, false));
}

TEST(LiveSecurityRace, SymlinkSwappedIntoAParentDuringAttachDetach)
{
    expectHarmless(race(Swap::ParentDirectory, false));
}

TEST(LiveSecurityRace, SymlinkSwappedIntoTheFinalComponentDuringPrepareRelease)
{
    expectHarmless(race(Swap::FinalComponent, true));
}

TEST(LiveSecurityRace, SymlinkSwappedIntoAParentDuringPrepareRelease)
{
    expectHarmless(race(Swap::ParentDirectory, true));
}
