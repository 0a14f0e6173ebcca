#include <gtest/gtest.h>

#include <sys/stat.h>

#include "pmem/sysdev.h"

using namespace xlnv;

TEST(ParseMountinfo, ReadsDeviceMountPointAndDaxOptions)
{
    const char *text =
        "36 25 259:0 / /mnt/pmem\\0400 rw,relatime shared:1 - ext4 /dev/pmem0 rw,dax=always\n"
        "37 25 259:1 / /mnt/x rw,relatime - xfs /dev/pmem1 rw,attr2,inode64\n"
        "38 25 259:2 / /mnt/y rw,relatime - ext4 /dev/pmem2p1 rw,dax\n"
        "garbage line\n";
    auto m = parseMountinfo(text);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].major, 259u);
    EXPECT_EQ(m[0].minor, 0u);
    EXPECT_EQ(m[0].mount_point, "/mnt/pmem 0");
    EXPECT_EQ(m[0].fstype, "ext4");
    EXPECT_TRUE(m[0].dax());
    EXPECT_FALSE(m[1].dax());
    EXPECT_TRUE(m[2].dax());
    EXPECT_EQ(m[2].source, "/dev/pmem2p1");
}

TEST(ParseMountinfo, ReadsThisMachinesMountTable)
{
    auto m = readMountinfo();
    ASSERT_FALSE(m.empty());
    bool root = false;
    for (const auto &e : m)
        root = root || e.mount_point == "/";
    EXPECT_TRUE(root);
}

TEST(BlockDeviceInfo, NamesTheDeviceOfTheRootFilesystem)
{
    struct stat st {};
    ASSERT_EQ(stat("/", &st), 0);
    auto info = blockDeviceInfo(st.st_dev);
    if (!info)
        GTEST_SKIP() << "the root filesystem is not on a block device here (overlay/virtiofs)";
    EXPECT_FALSE(info->name.empty());
    EXPECT_GT(info->size, 0u);
}

TEST(CharDeviceName, NamesDevNull)
{
    struct stat st {};
    ASSERT_EQ(stat("/dev/null", &st), 0);
    auto name = charDeviceName(st.st_rdev);
    ASSERT_TRUE(name.has_value());
    EXPECT_EQ(*name, "null");
}
