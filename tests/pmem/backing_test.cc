// Backing resolution refuses everything that is not persistent memory,
// on this machine's real files, directories, /proc, tmpfs and devices,
// with the namespaces of a fixture inventory.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "pmem_test_util.h"
#include "../support/test_files.h"
#include "util/error.h"
#include "pmem/backing.h"
#include "pmem/provision.h"
#include "pmem/sysdev.h"

using namespace xlnv;
using namespace xlnv::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;

std::unique_ptr<PmemInventory> fixture()
{
    const char *src = std::getenv("abs_srcdir");
    return loadFixtureInventory(std::string(src ? src : ".") + "/pmem/data/pmem-fixture.json");
}

// The message of resolving `path` with every path allowed (so the
// specific check, not the roots, answers).
std::string refusal(const std::string &path, std::vector<std::string> roots = {"/"})
{
    auto inv = fixture();
    try {
        resolveBackingPath(*inv, path, 2 * MiB, roots);
    } catch (const Error &e) {
        return e.message();
    }
    return "";
}

#define EXPECT_REFUSED(path, words) \
    do { \
        std::string msg_ = refusal(path); \
        EXPECT_NE(msg_.find(words), std::string::npos) << "message: " << msg_; \
    } while (0)

} // namespace

TEST(ResolveBacking, RefusesAFileOnTmpfs)
{
    if (access("/dev/shm", W_OK) != 0)
        GTEST_SKIP() << "no writable /dev/shm (tmpfs) here";
    std::string path = "/dev/shm/xlnv-pmem-test-" + std::to_string(getpid());
    { UniqueFd fd(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
    EXPECT_REFUSED(path, "is on tmpfs, which is not persistent memory");
    unlink(path.c_str());
}

TEST(ResolveBacking, RefusesADirectory)
{
    ScratchDir dir;
    EXPECT_REFUSED(dir.path(), "is a directory");
}

TEST(ResolveBacking, RefusesAFileInProc)
{
    EXPECT_REFUSED("/proc/cpuinfo", "is in /proc");
}

TEST(ResolveBacking, RefusesASymbolicLink)
{
    ScratchDir dir;
    { UniqueFd fd(open(dir.file("real").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
    ASSERT_EQ(symlink(dir.file("real").c_str(), dir.file("link").c_str()), 0);
    EXPECT_REFUSED(dir.file("link"), "symbolic link");
}

TEST(ResolveBacking, RefusesAPathThroughASymlinkedDirectory)
{
    ScratchDir dir;
    ASSERT_EQ(mkdir(dir.file("d").c_str(), 0700), 0);
    { UniqueFd fd(open(dir.file("d/f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
    ASSERT_EQ(symlink(dir.file("d").c_str(), dir.file("ld").c_str()), 0);
    EXPECT_REFUSED(dir.file("ld/f"), "symbolic link");
}

TEST(ResolveBacking, RefusesAPathOutsideThePmemRoots)
{
    ScratchDir dir;
    { UniqueFd fd(open(dir.file("f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
    auto inv = fixture();
    try {
        resolveBackingPath(*inv, dir.file("f"), 2 * MiB);   // default roots of the fixture
        FAIL() << "not refused";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::AccessDenied);
        EXPECT_NE(e.message().find("outside the configured persistent memory roots (/mnt/pmem0, /dev/dax*, /dev/pmem*)"),
                  std::string::npos) << e.message();
    }
}

TEST(ResolveBacking, RootsFromTheEnvironmentReplaceTheDefault)
{
    auto inv = fixture();
    setenv("LIBXL_NVDIMM_PMEM_ROOTS", "/srv/pmem:/dev/dax9.*", 1);
    auto roots = configuredPmemRoots(*inv);
    unsetenv("LIBXL_NVDIMM_PMEM_ROOTS");
    EXPECT_EQ(roots, (std::vector<std::string>{"/srv/pmem", "/dev/dax9.*"}));
}

// One list rule for the file and the environment: ':' as in PATH; a
// path may contain ',' and ';'.
TEST(ResolveBacking, RootsFromTheConfigFileTakeTheEnvironmentsSeparator)
{
    auto inv = fixture();
    ScratchDir dir;
    xlnv::test::writeFile(dir.file("c.conf"), "[pmem]\nroots = /srv/pmem,a;b : /dev/dax9.*\n");
    setenv("LIBXL_NVDIMM_CONFIG", dir.file("c.conf").c_str(), 1);
    unsetenv("LIBXL_NVDIMM_PMEM_ROOTS");
    auto roots = configuredPmemRoots(*inv);
    unsetenv("LIBXL_NVDIMM_CONFIG");
    EXPECT_EQ(roots, (std::vector<std::string>{"/srv/pmem,a;b", "/dev/dax9.*"}));
}

TEST(PathUnderRoots, MatchesDirectoriesByComponentAndDevicesByPattern)
{
    std::vector<std::string> roots{"/mnt/pmem0/", "/dev/dax*"};
    EXPECT_TRUE(pathUnderRoots("/mnt/pmem0/a/b.img", roots));
    EXPECT_TRUE(pathUnderRoots("/dev/dax1.0", roots));
    EXPECT_FALSE(pathUnderRoots("/mnt/pmem00/b.img", roots));
    EXPECT_FALSE(pathUnderRoots("/dev/dax/x", roots));
    EXPECT_FALSE(pathUnderRoots("/dev/pmem0", roots));
}

TEST(ResolveBacking, RefusesRelativeAndDotDotPaths)
{
    EXPECT_REFUSED("relative.img", "must be an absolute path");
    EXPECT_REFUSED("/mnt/pmem0/../etc/passwd", "must be an absolute path");
    EXPECT_REFUSED("/mnt//pmem0/x", "must be an absolute path");
}

TEST(ResolveBacking, RefusesAFileOnAnOrdinaryDisk)
{
    ScratchDir dir;
    { UniqueFd fd(open(dir.file("f").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)); }
    struct stat st {};
    ASSERT_EQ(stat(dir.path().c_str(), &st), 0);
    if (!blockDeviceInfo(st.st_dev))
        GTEST_SKIP() << "the scratch directory is not on a block device here";
    EXPECT_REFUSED(dir.file("f"), "which is not a persistent memory namespace");
}

TEST(ResolveBacking, RefusesABlockDeviceThatIsNotPmem)
{
    struct stat st {};
    ASSERT_EQ(stat("/", &st), 0);
    auto info = blockDeviceInfo(st.st_dev);
    std::string dev = info ? "/dev/" + info->name : "";
    struct stat dst {};
    if (dev.empty() || stat(dev.c_str(), &dst) != 0 || !S_ISBLK(dst.st_mode))
        GTEST_SKIP() << "no block device node for the root filesystem here";
    EXPECT_REFUSED(dev, "is not a persistent memory device");
}

TEST(ResolveBacking, RefusesACharacterDeviceThatIsNotDevdax)
{
    EXPECT_REFUSED("/dev/null", "not a devdax persistent memory device");
}

TEST(ResolveBacking, RefusesAMissingBacking)
{
    EXPECT_REFUSED("/nonexistent-dir/g.img", "does not exist");
}

TEST(ProvisionBacking, CreatesNothingWhenTheDirectoryIsNotPmem)
{
    ScratchDir dir;
    auto inv = fixture();
    EXPECT_THROW(provisionBacking(*inv, dir.file("new.img"), 4 * MiB, {"/"}), Error);
    EXPECT_FALSE(std::filesystem::exists(dir.file("new.img")));
}

TEST(ProvisionBacking, CreatesNothingOnTmpfs)
{
    if (access("/dev/shm", W_OK) != 0)
        GTEST_SKIP() << "no writable /dev/shm (tmpfs) here";
    auto inv = fixture();
    std::string path = "/dev/shm/xlnv-pmem-new-" + std::to_string(getpid());
    try {
        provisionBacking(*inv, path, 4 * MiB, {"/dev/shm"});
        FAIL() << "not refused";
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("is on tmpfs"), std::string::npos) << e.message();
    }
    EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ProvisionBacking, LeavesAnExistingFileUntouchedWhenRefused)
{
    ScratchDir dir;
    {
        UniqueFd fd(open(dir.file("keep.img").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
        writeAt(fd.get(), 0, "precious");
    }
    auto inv = fixture();
    EXPECT_THROW(provisionBacking(*inv, dir.file("keep.img"), 4 * MiB, {"/"}), Error);
    UniqueFd fd(open(dir.file("keep.img").c_str(), O_RDONLY | O_CLOEXEC));
    EXPECT_EQ(readAt(fd.get(), 0, 100), "precious");
}
