#include <gtest/gtest.h>

#include "util/strutil.h"

using namespace xlnv;

TEST(ParseUInt64, AcceptsDecimalAndHexOnlyWhenAllowed)
{
    uint64_t v = 0;
    EXPECT_TRUE(parseUInt64("4096", v));
    EXPECT_EQ(v, 4096u);
    EXPECT_FALSE(parseUInt64("0x10", v));
    EXPECT_TRUE(parseUInt64("0x10", v, true));
    EXPECT_EQ(v, 16u);
    EXPECT_TRUE(parseUInt64("0XfF", v, true));
    EXPECT_EQ(v, 255u);
}

TEST(ParseUInt64, RejectsSignsSpacesEmptyAndOverflow)
{
    uint64_t v = 7;
    EXPECT_FALSE(parseUInt64("", v));
    EXPECT_FALSE(parseUInt64("-1", v));
    EXPECT_FALSE(parseUInt64("+1", v));
    EXPECT_FALSE(parseUInt64(" 1", v));
    EXPECT_FALSE(parseUInt64("18446744073709551616", v));
    EXPECT_FALSE(parseUInt64("0x", v, true));
    EXPECT_EQ(v, 7u);
    EXPECT_TRUE(parseUInt64("18446744073709551615", v));
    EXPECT_EQ(v, UINT64_MAX);
}

TEST(ParseUInt, RejectsValuesAboveUIntMax)
{
    unsigned v = 0;
    EXPECT_FALSE(parseUInt("4294967296", v));
    EXPECT_TRUE(parseUInt("4294967295", v));
}

TEST(Strprintf, FormatsLikePrintf)
{
    EXPECT_EQ(strprintf("%s-%d", "a", 5), "a-5");
    EXPECT_EQ(hex(0x100000000ull), "0x100000000");
    EXPECT_EQ(strprintf("%s", std::string(1000, 'x').c_str()).size(), 1000u);
}

TEST(Split, KeepsEmptyFields)
{
    auto parts = split("a,,b", ',');
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[1], "");
    EXPECT_EQ(trim("  x y \n"), "x y");
}
