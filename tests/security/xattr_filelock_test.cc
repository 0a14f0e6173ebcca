#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "sec_test_util.h"
#include "util/error.h"
#include "util/filelock.h"
#include "util/xattr.h"

using namespace xlnv;
using namespace xlnv::sectest;

TEST(Xattr, StoresValueWithoutTrailingNul)
{
    REQUIRE_ROOT();
    TempDir dir;
    std::string path = makeFile(dir.file("f"), 0, 0, 0600);
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    xattr::set(fd, "trusted.test.value", "+107:+107", path);
    EXPECT_EQ(rawXattr(path, "trusted.test.value"), std::optional<std::string>("+107:+107"));
    EXPECT_EQ(xattr::get(fd, "trusted.test.value", path), std::optional<std::string>("+107:+107"));
    EXPECT_EQ(xattr::get(fd, "trusted.test.absent", path), std::nullopt);
    EXPECT_TRUE(xattr::remove(fd, "trusted.test.value", path));
    EXPECT_FALSE(xattr::remove(fd, "trusted.test.value", path));
    close(fd);
}

TEST(Xattr, UnsupportedFilesystemKeepsErrno)
{
    REQUIRE_ROOT();
    TempDir dir;
    std::string why;
    std::string mnt = dir.mount("ramfs", why);
    if (mnt.empty())
        GTEST_SKIP() << why;
    std::string path = makeFile(mnt + "/f", 0, 0, 0600);
    int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    try {
        xattr::get(fd, "trusted.libvirt.security.ref_dac", path);
        FAIL() << "ramfs reported trusted xattrs";
    } catch (const Error &e) {
        EXPECT_TRUE(xattr::isUnsupportedErrno(e.errnum())) << e.message();
    }
    close(fd);
}

TEST(FileLock, SecondDescriptorIsExcludedUntilRelease)
{
    TempDir dir;
    std::string path = dir.file("lock");
    std::ofstream(path) << "x";
    FileLock first = FileLock::acquire(path, O_RDWR, 1, 1);
    ASSERT_TRUE(first.locked());
    FileLock second = FileLock::tryAcquire(path, O_RDWR, 1, 1);
    EXPECT_FALSE(second.locked());
    FileLock otherByte = FileLock::tryAcquire(path, O_RDWR, 0, 1);
    EXPECT_TRUE(otherByte.locked()) << "byte 0 is not ours to take";
    first.release();
    FileLock third = FileLock::tryAcquire(path, O_RDWR, 1, 1);
    EXPECT_TRUE(third.locked());
}

TEST(FileLock, ConflictsWithClassicPosixLockOfAnotherProcess)
{
    TempDir dir;
    std::string path = dir.file("lock");
    std::ofstream(path) << "x";
    int ready[2], done[2];
    ASSERT_EQ(pipe(ready), 0);
    ASSERT_EQ(pipe(done), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // What libvirt does: fcntl(F_SETLK) on byte 1 of the file.
        int fd = open(path.c_str(), O_RDWR);
        struct flock fl = {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = 1;
        fl.l_len = 1;
        char c = fcntl(fd, F_SETLK, &fl) == 0 ? 'y' : 'n';
        (void)!write(ready[1], &c, 1);
        (void)!read(done[0], &c, 1);
        _exit(0);
    }
    char c = 0;
    ASSERT_EQ(read(ready[0], &c, 1), 1);
    ASSERT_EQ(c, 'y');
    FileLock mine = FileLock::tryAcquire(path, O_RDWR, 1, 1);
    EXPECT_FALSE(mine.locked());
    (void)!write(done[1], "x", 1);
    int status = 0;
    waitpid(child, &status, 0);
    FileLock after = FileLock::tryAcquire(path, O_RDWR, 1, 1);
    EXPECT_TRUE(after.locked());
    for (int fd : {ready[0], ready[1], done[0], done[1]})
        close(fd);
}

TEST(FileLock, MissingFileIsASystemErrorNamingIt)
{
    try {
        FileLock::acquire("/nonexistent/dir/file", O_RDWR, 1, 1);
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.errnum(), ENOENT);
        EXPECT_NE(e.message().find("/nonexistent/dir/file"), std::string::npos);
    }
}

TEST(FileLock, GivesUpAfterTheTimeoutNamingThePath)
{
    TempDir dir;
    std::string path = dir.file("lock");
    std::ofstream(path) << "x";
    FileLock held = FileLock::acquire(path, O_RDWR, 1, 1);
    try {
        FileLock::acquireWithin(path, O_RDWR, 1, 1, 50);
        FAIL() << "took a held lock";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationTimeout);
        EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
    }
    held.release();
    EXPECT_TRUE(FileLock::acquireWithin(path, O_RDWR, 1, 1, 50).locked());
}
