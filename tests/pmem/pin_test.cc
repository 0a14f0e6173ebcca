// Pinning real files: FS_IMMUTABLE_FL set while held and restored after;
// one owner at a time.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <linux/fs.h>
#include <sys/ioctl.h>

#include "pmem_test_util.h"
#include "util/error.h"
#include "util/fd.h"
#include "pmem/pin.h"
#include "util/state_dir.h"

using namespace xlnv;
using namespace xlnv::test;

namespace {

int flagsOf(int fd)
{
    int f = 0;
    ioctl(fd, FS_IOC_GETFLAGS, &f);
    return f;
}

} // namespace

class PinTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fd = UniqueFd(open(dir.file("g.img").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
        ASSERT_TRUE(fd);
        int f = 0;
        if (ioctl(fd.get(), FS_IOC_GETFLAGS, &f) < 0)
            GTEST_SKIP() << "the scratch filesystem has no inode flags (FS_IOC_GETFLAGS)";
        int g = f | FS_IMMUTABLE_FL;
        if (ioctl(fd.get(), FS_IOC_SETFLAGS, &g) < 0)
            GTEST_SKIP() << "cannot set FS_IMMUTABLE_FL here (needs CAP_LINUX_IMMUTABLE)";
        ioctl(fd.get(), FS_IOC_SETFLAGS, &f);
        original = f;
    }
    void TearDown() override
    {
        if (fd) {
            int f = flagsOf(fd.get()) & ~FS_IMMUTABLE_FL;
            ioctl(fd.get(), FS_IOC_SETFLAGS, &f);
        }
    }
    ScratchDir dir;
    UniqueFd fd;
    int original = 0;
};

TEST_F(PinTest, SetsImmutableWhileHeldAndRestoresTheFlagsAfter)
{
    {
        BackingPin pin = BackingPin::acquire(fd.get(), dir.file("g.img"), dir.file("state"), "dom1");
        EXPECT_TRUE(flagsOf(fd.get()) & FS_IMMUTABLE_FL);
        EXPECT_EQ(truncate(dir.file("g.img").c_str(), 0), -1);   // pinned: no truncation
    }
    EXPECT_EQ(flagsOf(fd.get()), original);
}

TEST_F(PinTest, RefusesABackingAnotherDomainHolds)
{
    BackingPin pin = BackingPin::acquire(fd.get(), dir.file("g.img"), dir.file("state"), "dom1");
    UniqueFd other(open(dir.file("g.img").c_str(), O_RDONLY | O_CLOEXEC));
    try {
        BackingPin::acquire(other.get(), dir.file("g.img"), dir.file("state"), "dom2");
        FAIL() << "not refused";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("already in use by domain 'dom1'"), std::string::npos) << e.message();
    }
    EXPECT_TRUE(flagsOf(fd.get()) & FS_IMMUTABLE_FL);   // the refusal changed nothing
}

TEST_F(PinTest, APersistedPinIsReleasedByALaterProcess)
{
    {
        BackingPin pin = BackingPin::acquire(fd.get(), dir.file("g.img"), dir.file("state"), "dom1");
        pin.persist();
    }
    EXPECT_TRUE(flagsOf(fd.get()) & FS_IMMUTABLE_FL);
    auto holder = pinHolder(fd.get(), dir.file("state"));
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->owner, "dom1");
    EXPECT_THROW(releasePinRecord(fd.get(), dir.file("state"), "dom2"), Error);
    releasePinRecord(fd.get(), dir.file("state"), "dom1");
    EXPECT_EQ(flagsOf(fd.get()), original);
    EXPECT_FALSE(pinHolder(fd.get(), dir.file("state")).has_value());
}

TEST_F(PinTest, KeepsAFlagTheFileAlreadyHad)
{
    int with_noatime = original | FS_NOATIME_FL;
    ASSERT_EQ(ioctl(fd.get(), FS_IOC_SETFLAGS, &with_noatime), 0);
    {
        BackingPin pin = BackingPin::acquire(fd.get(), dir.file("g.img"), dir.file("state"), "dom1");
    }
    EXPECT_EQ(flagsOf(fd.get()), with_noatime);
}

// A device's claim is written without fsync (it ends with the domain); a
// host crash can leave it empty, which reads as no claim. A file's record
// is fsynced, so an empty one never happens for a pinned file.
TEST(PinClaim, AnEmptyDeviceClaimReadsAsNone)
{
    ScratchDir dir;
    UniqueFd fd(open(dir.file("standin").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    const uint64_t before = libxl::durableWriteCount();
    {
        BackingPin pin = BackingPin::acquire(fd.get(), dir.file("standin"), dir.file("state"), "dom1",
                                             PinKind::ClaimOnly);
        pin.persist();
    }
    EXPECT_EQ(libxl::durableWriteCount() - before, 0u);
    ASSERT_TRUE(pinHolder(fd.get(), dir.file("state")).has_value());
    bool emptied = false;
    for (const auto &e : std::filesystem::directory_iterator(dir.file("state") + "/pmem-pins"))
        if (e.path().extension() == ".json")
            emptied = truncate(e.path().c_str(), 0) == 0;
    ASSERT_TRUE(emptied);
    EXPECT_FALSE(pinHolder(fd.get(), dir.file("state")).has_value());
    // ... and the backing can be claimed again.
    BackingPin again = BackingPin::acquire(fd.get(), dir.file("standin"), dir.file("state"), "dom2",
                                           PinKind::ClaimOnly);
    EXPECT_EQ(pinHolder(fd.get(), dir.file("state"))->owner, "dom2");
}
