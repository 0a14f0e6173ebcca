// Provisioning on real files on this machine's filesystem (the plain,
// non-DAX write path): data survives, holes and unwritten ranges are
// filled, nothing is truncated, failures leave the file as it was.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "pmem_test_util.h"
#include "util/error.h"
#include "util/fd.h"
#include "pmem/fiemap.h"
#include "pmem/provision.h"

using namespace xlnv;
using namespace xlnv::test;

namespace {

constexpr uint64_t MiB = 1ull << 20;

UniqueFd openFile(const std::string &path)
{
    return UniqueFd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
}

uint64_t fileSize(int fd)
{
    struct stat st {};
    fstat(fd, &st);
    return static_cast<uint64_t>(st.st_size);
}

// Every byte of [0, size) is on a written extent (no hole, no UNWRITTEN).
void expectFullyWritten(int fd, uint64_t size)
{
    uint64_t next = 0;
    for (const fiemap_extent &fe : readFiemap(fd, 0, size, "t")) {
        EXPECT_FALSE(fe.fe_flags & FIEMAP_EXTENT_UNWRITTEN) << "unwritten at " << fe.fe_logical;
        EXPECT_LE(fe.fe_logical, next) << "hole at " << next;
        next = std::max<uint64_t>(next, fe.fe_logical + fe.fe_length);
    }
    EXPECT_GE(next, size);
}

bool fiemapWorksHere(int fd)
{
    try {
        readFiemap(fd, 0, 4096, "probe");
        return true;
    } catch (const Error &) {
        return false;
    }
}

} // namespace

class ProvisionFile : public ::testing::Test {
protected:
    void SetUp() override
    {
        UniqueFd probe = openFile(dir.file("probe"));
        ASSERT_TRUE(probe);
        if (!fiemapWorksHere(probe.get()))
            GTEST_SKIP() << "the filesystem under " << dir.path() << " has no FIEMAP";
    }
    ScratchDir dir;
};

TEST_F(ProvisionFile, CreatesAFullyWrittenZeroFilledFileOfTheTargetSize)
{
    UniqueFd fd = openFile(dir.file("new.img"));
    ProvisionResult r = fillFile(fd.get(), 16 * MiB, false, "new.img");
    EXPECT_EQ(fileSize(fd.get()), 16 * MiB);
    EXPECT_EQ(r.filled, 16 * MiB);
    EXPECT_EQ(r.old_size, 0u);
    expectFullyWritten(fd.get(), 16 * MiB);
    EXPECT_EQ(readAt(fd.get(), 16 * MiB - 4096, 4096), std::string(4096, '\0'));
}

TEST_F(ProvisionFile, KeepsExistingDataAndFillsHolesAndUnwrittenRanges)
{
    UniqueFd fd = openFile(dir.file("old.img"));
    writeAt(fd.get(), 0, "MARKER-A");
    writeAt(fd.get(), 5 * MiB + 123, "MARKER-B");
    ASSERT_EQ(fallocate(fd.get(), 0, 8 * MiB, 2 * MiB), 0);   // unwritten
    writeAt(fd.get(), 11 * MiB, "MARKER-C");
    ProvisionResult r = fillFile(fd.get(), 16 * MiB, false, "old.img");
    EXPECT_EQ(readAt(fd.get(), 0, 8), "MARKER-A");
    EXPECT_EQ(readAt(fd.get(), 5 * MiB + 123, 8), "MARKER-B");
    EXPECT_EQ(readAt(fd.get(), 11 * MiB, 8), "MARKER-C");
    EXPECT_EQ(fileSize(fd.get()), 16 * MiB);
    EXPECT_LT(r.filled, 16 * MiB);                    // the data blocks were not rewritten
    EXPECT_GE(r.filled, 16 * MiB - 3 * 4096 - 8192);  // everything else was
    expectFullyWritten(fd.get(), 16 * MiB);
}

TEST_F(ProvisionFile, NeverTruncatesAFileLargerThanTheTarget)
{
    UniqueFd fd = openFile(dir.file("big.img"));
    writeAt(fd.get(), 19 * MiB, "TAIL-DATA");
    const uint64_t before = fileSize(fd.get());
    fillFile(fd.get(), 8 * MiB, false, "big.img");
    EXPECT_EQ(fileSize(fd.get()), before);
    EXPECT_EQ(readAt(fd.get(), 19 * MiB, 9), "TAIL-DATA");
    expectFullyWritten(fd.get(), 8 * MiB);
}

TEST_F(ProvisionFile, GrowsAShortFileByFillingItsTail)
{
    UniqueFd fd = openFile(dir.file("short.img"));
    writeAt(fd.get(), 0, std::string(MiB + 100, 'x'));
    fillFile(fd.get(), 4 * MiB, false, "short.img");
    EXPECT_EQ(fileSize(fd.get()), 4 * MiB);
    EXPECT_EQ(readAt(fd.get(), MiB + 99, 1), "x");
    EXPECT_EQ(readAt(fd.get(), MiB + 100, 4096), std::string(4096, '\0'));
    expectFullyWritten(fd.get(), 4 * MiB);
}

TEST_F(ProvisionFile, FillsNothingTheSecondTime)
{
    UniqueFd fd = openFile(dir.file("twice.img"));
    fillFile(fd.get(), 4 * MiB, false, "twice.img");
    EXPECT_EQ(fillFile(fd.get(), 4 * MiB, false, "twice.img").filled, 0u);
}

TEST_F(ProvisionFile, ReportsProgressUpToTheTotal)
{
    UniqueFd fd = openFile(dir.file("progress.img"));
    uint64_t last_done = 0, last_total = 0;
    unsigned calls = 0;
    fillFile(fd.get(), 130 * MiB, false, "progress.img", [&](const ProgressUpdate &u) {
        EXPECT_EQ(u.phase, ProgressPhase::Provisioning);
        EXPECT_EQ(u.subject, "progress.img");
        if (calls == 0) {
            EXPECT_EQ(u.done, 0u);   // told at once, before the first write
        }
        EXPECT_GE(u.done, last_done);
        last_done = u.done;
        last_total = u.total;
        calls++;
    });
    EXPECT_GE(calls, 3u);
    EXPECT_EQ(last_done, 130 * MiB);
    EXPECT_EQ(last_total, 130 * MiB);
}

TEST_F(ProvisionFile, RejectsASizeThatIsNotAMultipleOf4KiB)
{
    UniqueFd fd = openFile(dir.file("odd.img"));
    EXPECT_THROW(fillFile(fd.get(), 4 * MiB + 512, false, "odd.img"), Error);
    EXPECT_EQ(fileSize(fd.get()), 0u);
}

TEST_F(ProvisionFile, LeavesAnExistingFileAsItWasWhenFillingFails)
{
    UniqueFd fd = openFile(dir.file("fail.img"));
    writeAt(fd.get(), 0, std::string(MiB, 'd'));
    // A file size limit makes the allocation fail half way, like a full disk.
    struct rlimit old {};
    getrlimit(RLIMIT_FSIZE, &old);
    struct rlimit lim = old;
    lim.rlim_cur = 2 * MiB;
    auto old_handler = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    bool threw = false;
    try {
        fillFile(fd.get(), 8 * MiB, false, "fail.img");
    } catch (const Error &e) {
        threw = true;
        EXPECT_NE(e.message().find("fail.img"), std::string::npos) << e.message();
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    EXPECT_TRUE(threw);
    EXPECT_EQ(fileSize(fd.get()), MiB);
    EXPECT_EQ(readAt(fd.get(), 0, MiB), std::string(MiB, 'd'));
}
