// The FIEMAP -> SPA rules as a pure function over synthetic extent lists.
#include <gtest/gtest.h>

#include <vector>

#include "util/error.h"
#include "pmem/fiemap.h"

using namespace xlnv;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t KiB = 1ull << 10;

fiemap_extent fe(uint64_t logical, uint64_t physical, uint64_t length, uint32_t flags = 0)
{
    fiemap_extent e{};
    e.fe_logical = logical;
    e.fe_physical = physical;
    e.fe_length = length;
    e.fe_flags = flags;
    return e;
}

const DeviceRange kDevice{0x100200000ull, 0, 1024 * MiB};

std::string errorOf(const std::vector<fiemap_extent> &raw, uint64_t size,
                    const DeviceRange &device = kDevice)
{
    try {
        fiemapToExtents(raw, device, size, "/mnt/pmem/g.img");
    } catch (const Error &e) {
        return e.message();
    }
    return "";
}

} // namespace

TEST(FiemapToExtents, AddsTheDataAreaSpaToThePhysicalOffset)
{
    auto out = fiemapToExtents(std::vector{fe(0, 4 * MiB, 8 * MiB, FIEMAP_EXTENT_LAST)},
                               kDevice, 8 * MiB, "f");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], (Extent{0, 0x100200000ull + 4 * MiB, 8 * MiB}));
}

TEST(FiemapToExtents, AddsThePartitionStartForAFilesystemOnAPartition)
{
    DeviceRange part{0x100200000ull, 2 * MiB, 512 * MiB};
    auto out = fiemapToExtents(std::vector{fe(0, 6 * MiB, 2 * MiB)}, part, 2 * MiB, "f");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].spa, 0x100200000ull + 2 * MiB + 6 * MiB);
}

TEST(FiemapToExtents, MergesExtentsAdjacentInFileAndDevice)
{
    auto out = fiemapToExtents(std::vector{fe(0, 10 * MiB, 2 * MiB), fe(2 * MiB, 12 * MiB, 2 * MiB),
                                           fe(4 * MiB, 14 * MiB, 4 * MiB)},
                               kDevice, 8 * MiB, "f");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], (Extent{0, kDevice.data_spa + 10 * MiB, 8 * MiB}));
}

TEST(FiemapToExtents, KeepsPhysicallyDisjointExtentsApartInOffsetOrder)
{
    auto out = fiemapToExtents(std::vector{fe(0, 40 * MiB, 2 * MiB), fe(2 * MiB, 10 * MiB, 2 * MiB)},
                               kDevice, 4 * MiB, "f");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], (Extent{0, kDevice.data_spa + 40 * MiB, 2 * MiB}));
    EXPECT_EQ(out[1], (Extent{2 * MiB, kDevice.data_spa + 10 * MiB, 2 * MiB}));
}

TEST(FiemapToExtents, ClipsTheLastExtentToTheTargetSize)
{
    auto out = fiemapToExtents(std::vector{fe(0, 0, 64 * MiB)}, kDevice, 16 * MiB + 128 * KiB, "f");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].length, 16 * MiB + 128 * KiB);
}

TEST(FiemapToExtents, RejectsAHoleBetweenExtents)
{
    std::string msg = errorOf({fe(0, 0, 2 * MiB), fe(4 * MiB, 4 * MiB, 2 * MiB)}, 6 * MiB);
    EXPECT_NE(msg.find("has a hole at offset 0x200000"), std::string::npos) << msg;
}

TEST(FiemapToExtents, RejectsAMissingTail)
{
    std::string msg = errorOf({fe(0, 0, 2 * MiB, FIEMAP_EXTENT_LAST)}, 4 * MiB);
    EXPECT_NE(msg.find("has a hole at offset 0x200000"), std::string::npos) << msg;
}

TEST(FiemapToExtents, RejectsAnEmptyMapping)
{
    EXPECT_NE(errorOf({}, 4 * MiB).find("hole at offset 0x0"), std::string::npos);
}

struct FlagCase {
    uint32_t flag;
    const char *words;
};

class FiemapRefusedFlag : public ::testing::TestWithParam<FlagCase> {};

TEST_P(FiemapRefusedFlag, RejectsTheExtentNamingItsOffsetAndReason)
{
    const FlagCase &c = GetParam();
    std::string msg = errorOf({fe(0, 0, 2 * MiB), fe(2 * MiB, 2 * MiB, 2 * MiB, c.flag)}, 4 * MiB);
    EXPECT_NE(msg.find(c.words), std::string::npos) << msg;
    EXPECT_NE(msg.find("offset 0x200000"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'/mnt/pmem/g.img'"), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, FiemapRefusedFlag,
    ::testing::Values(FlagCase{FIEMAP_EXTENT_UNWRITTEN, "unwritten extent"},
                      FlagCase{FIEMAP_EXTENT_DELALLOC, "delayed-allocation"},
                      FlagCase{FIEMAP_EXTENT_UNKNOWN, "unknown location"},
                      FlagCase{FIEMAP_EXTENT_ENCODED, "encoded"},
                      FlagCase{FIEMAP_EXTENT_DATA_ENCRYPTED, "encrypted"},
                      FlagCase{FIEMAP_EXTENT_SHARED, "shared (reflinked)"},
                      FlagCase{FIEMAP_EXTENT_DATA_INLINE, "inline data"},
                      FlagCase{FIEMAP_EXTENT_DATA_TAIL, "tail-packed"},
                      FlagCase{FIEMAP_EXTENT_NOT_ALIGNED, "not block aligned"}));

TEST(FiemapToExtents, IgnoresFlagsOfExtentsBeyondTheTargetSize)
{
    auto out = fiemapToExtents(std::vector{fe(0, 0, 2 * MiB), fe(2 * MiB, 8 * MiB, 2 * MiB, FIEMAP_EXTENT_UNWRITTEN)},
                               kDevice, 2 * MiB, "f");
    EXPECT_EQ(out.size(), 1u);
}

TEST(FiemapToExtents, AcceptsLastAndMergedFlags)
{
    auto out = fiemapToExtents(std::vector{fe(0, 0, 2 * MiB, FIEMAP_EXTENT_MERGED | FIEMAP_EXTENT_LAST)},
                               kDevice, 2 * MiB, "f");
    EXPECT_EQ(out.size(), 1u);
}

TEST(FiemapToExtents, RejectsAnExtentNotOn4KiB)
{
    EXPECT_NE(errorOf({fe(0, 512, 2 * MiB)}, 2 * MiB).find("not 4 KiB aligned"), std::string::npos);
    EXPECT_NE(errorOf({fe(0, 0, 2 * MiB + 512)}, 2 * MiB).find("not 4 KiB aligned"), std::string::npos);
}

TEST(FiemapToExtents, RejectsAnExtentOutsideTheDevice)
{
    DeviceRange small{0x100000000ull, 0, 16 * MiB};
    std::string msg = errorOf({fe(0, 15 * MiB, 2 * MiB)}, 2 * MiB, small);
    EXPECT_NE(msg.find("outside the persistent memory data area"), std::string::npos) << msg;
}

TEST(FiemapToExtents, RejectsAnExtentOutsideThePartition)
{
    DeviceRange part{0x100000000ull, 2 * MiB, 8 * MiB};
    EXPECT_NE(errorOf({fe(0, 8 * MiB, 2 * MiB)}, 2 * MiB, part).find("outside"), std::string::npos);
}

TEST(FiemapToExtents, HandlesThousandsOfExtents)
{
    std::vector<fiemap_extent> raw;
    for (uint64_t i = 0; i < 4096; i++)
        raw.push_back(fe(i * 2 * MiB, (4096 - i) * 4 * MiB, 2 * MiB));
    auto out = fiemapToExtents(raw, DeviceRange{0, 0, 1ull << 40}, 4096 * 2 * MiB, "f");
    ASSERT_EQ(out.size(), 4096u);
    uint64_t covered = 0;
    for (size_t i = 0; i < out.size(); i++) {
        EXPECT_EQ(out[i].offset, covered);
        covered += out[i].length;
    }
    EXPECT_EQ(covered, 4096 * 2 * MiB);
}

TEST(SuperpageMappable, TrueWhenOffsetSpaAndLengthAre2MiBAligned)
{
    std::vector<Extent> e{{0, 0x100200000ull, 4 * MiB}, {4 * MiB, 0x100a00000ull, 2 * MiB}};
    EXPECT_TRUE(superpageMappable(e));
}

TEST(SuperpageMappable, FalseWhenAnySpaIsOnly4KiBAligned)
{
    std::vector<Extent> e{{0, 0x100200000ull, 4 * MiB}, {4 * MiB, 0x100a01000ull, 2 * MiB}};
    EXPECT_FALSE(superpageMappable(e));
}

TEST(SuperpageMappable, FalseWhenTheLengthIsNotAMultipleOf2MiB)
{
    std::vector<Extent> e{{0, 0x100200000ull, 2 * MiB + 128 * KiB}};
    EXPECT_FALSE(superpageMappable(e));
}

TEST(SuperpageMappable, FalseForNoExtents)
{
    EXPECT_FALSE(superpageMappable(std::vector<Extent>{}));
}

TEST(AppendMerged, MergesOnlyWhenBothRangesTouch)
{
    std::vector<Extent> v;
    appendMerged(v, {0, 100 * MiB, 2 * MiB});
    appendMerged(v, {2 * MiB, 102 * MiB, 2 * MiB});   // touches: merged
    appendMerged(v, {4 * MiB, 200 * MiB, 2 * MiB});   // SPA jump: new
    appendMerged(v, {8 * MiB, 202 * MiB, 2 * MiB});   // offset jump: new
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].length, 4 * MiB);
}
