#include <gtest/gtest.h>

#include "util/bytesize.h"
#include "util/error.h"

using namespace xlnv;

TEST(ParseByteSize, AcceptsPlainBytesAndBinarySuffixes)
{
    EXPECT_EQ(parseByteSize("4096"), 4096u);
    EXPECT_EQ(parseByteSize("128K"), 128u << 10);
    EXPECT_EQ(parseByteSize("2MiB"), 2u << 20);
    EXPECT_EQ(parseByteSize("16g"), 16ull << 30);
    EXPECT_EQ(parseByteSize("1T"), 1ull << 40);
    EXPECT_EQ(parseByteSize("7b"), 7u);
}

// libvirt's units (as in domain XML) and hex, the grammar of every size.
TEST(ParseByteSize, AcceptsLibvirtsDecimalUnitsAndHex)
{
    EXPECT_EQ(parseByteSize("1GB"), 1000000000u);
    EXPECT_EQ(parseByteSize("3KB"), 3000u);
    EXPECT_EQ(parseByteSize("1bytes"), 1u);
    EXPECT_EQ(parseByteSize("2GiB"), 2ull << 30);
    EXPECT_EQ(parseByteSize("1P"), 1ull << 50);
    EXPECT_EQ(parseByteSize("0x200000"), 2u << 20);
    EXPECT_EQ(parseByteSize("0x10M"), 16u << 20);
    EXPECT_THROW(parseByteSize("0x"), Error);
    EXPECT_THROW(parseByteSize("0xZZ"), Error);
}

TEST(ParseByteSize, RejectsGarbageNamingTheOption)
{
    try {
        parseByteSize("12Q", "--size");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::InvalidArg);
        EXPECT_NE(e.message().find("--size '12Q' has an unknown unit 'Q'"), std::string::npos) << e.message();
    }
    EXPECT_THROW(parseByteSize(""), Error);
    EXPECT_THROW(parseByteSize("-1G"), Error);
    EXPECT_THROW(parseByteSize("1.5G"), Error);
    EXPECT_THROW(parseByteSize(" 1G"), Error);
}

TEST(ParseByteSize, RejectsOverflow)
{
    EXPECT_THROW(parseByteSize("17179869184G"), Error);
    EXPECT_THROW(parseByteSize("99999999999999999999"), Error);
}

TEST(FormatByteSize, UsesTheLargestExactUnit)
{
    EXPECT_EQ(formatByteSize(4ull << 30), "4 GiB");
    EXPECT_EQ(formatByteSize((16ull << 30) + (128 << 10)), "16777344 KiB");
    EXPECT_EQ(formatByteSize(4097), "4097 B");
}

TEST(FormatByteSizeHuman, TwoDecimalsInTheLargestUnitLikeNdctl)
{
    EXPECT_EQ(formatByteSizeHuman(1ull << 40), "1.00 TiB");
    EXPECT_EQ(formatByteSizeHuman(68717379584ull), "64.00 GiB");   // 64 GiB - 2 MiB
    EXPECT_EQ(formatByteSizeHuman(3ull << 29), "1.50 GiB");
    EXPECT_EQ(formatByteSizeHuman(2ull << 20), "2.00 MiB");
    EXPECT_EQ(formatByteSizeHuman(1536), "1.50 KiB");
    EXPECT_EQ(formatByteSizeHuman(512), "512 B");
    EXPECT_EQ(formatByteSizeHuman(0), "0 B");
}
