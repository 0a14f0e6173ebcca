#include <gtest/gtest.h>

#include "util/error.h"
#include "util/units.h"

using namespace xlnv;
using units::parseScaledKiB;

namespace {

uint64_t kib(const char *text, const char *unit)
{
    return *parseScaledKiB(std::string_view(text), unit, "./size", true);
}

std::string errorOf(const char *text, const char *unit)
{
    try {
        parseScaledKiB(std::string_view(text), unit, "./size", true);
    } catch (const Error &e) {
        return e.message();
    }
    return "no error";
}

} // namespace

TEST(Units, DefaultUnitIsKiB)
{
    EXPECT_EQ(kib("4096", ""), 4096u);
}

TEST(Units, ByteUnitsRoundUpToKiB)
{
    EXPECT_EQ(kib("1", "b"), 1u);
    EXPECT_EQ(kib("1024", "bytes"), 1u);
    EXPECT_EQ(kib("1025", "BYTE"), 2u);
    EXPECT_EQ(kib("131073", "b"), 129u);
}

TEST(Units, BinaryPrefixesArePowersOf1024)
{
    EXPECT_EQ(kib("2", "k"), 2u);
    EXPECT_EQ(kib("2", "KiB"), 2u);
    EXPECT_EQ(kib("2", "m"), 2048u);
    EXPECT_EQ(kib("2", "MiB"), 2048u);
    EXPECT_EQ(kib("1", "g"), 1048576u);
    EXPECT_EQ(kib("1", "gIb"), 1048576u);
    EXPECT_EQ(kib("1", "T"), 1073741824u);
    EXPECT_EQ(kib("1", "PiB"), 1099511627776u);
    EXPECT_EQ(kib("1", "EiB"), 1125899906842624u);
}

TEST(Units, DecimalPrefixesArePowersOf1000)
{
    EXPECT_EQ(kib("500", "MB"), 488282u);
    EXPECT_EQ(kib("5", "Kb"), 5u);
    EXPECT_EQ(kib("1", "KB"), 1u);
    EXPECT_EQ(kib("1", "GB"), 976563u);
    EXPECT_EQ(kib("9", "EB"), 8789062500000000u);
}

TEST(Units, AcceptsLeadingSpaceAndPlusLikeStrtoull)
{
    EXPECT_EQ(kib(" 5", ""), 5u);
    EXPECT_EQ(kib("+5", ""), 5u);
}

TEST(Units, RejectsNegativeTrailingAndHexWithLibvirtWording)
{
    EXPECT_EQ(errorOf("-5", ""), "XML error: Invalid value '-5' for element or attribute './size'");
    EXPECT_EQ(errorOf("-0", ""), "XML error: Invalid value '-0' for element or attribute './size'");
    EXPECT_EQ(errorOf("5 ", ""), "XML error: Invalid value '5 ' for element or attribute './size'");
    EXPECT_EQ(errorOf("0x10", ""), "XML error: Invalid value '0x10' for element or attribute './size'");
}

TEST(Units, MissingRequiredValueIsAnError)
{
    EXPECT_EQ(errorOf("", ""), "XML error: missing element or attribute './size'");
    EXPECT_FALSE(parseScaledKiB(std::nullopt, "", "./x", false).has_value());
}

TEST(Units, RejectsUnknownSuffix)
{
    EXPECT_EQ(errorOf("1", "zz"), "invalid argument: unknown suffix 'zz'");
    EXPECT_EQ(errorOf("1", "kibb"), "invalid argument: unknown suffix 'kibb'");
    EXPECT_EQ(errorOf("1", "bit"), "invalid argument: unknown suffix 'bit'");
}

TEST(Units, OverflowIsAnErrorNeverAWrap)
{
    EXPECT_EQ(errorOf("8", "eib"), "numerical overflow: value too large: 8eib");
    EXPECT_EQ(errorOf("10", "EB"), "numerical overflow: value too large: 10EB");
    EXPECT_EQ(errorOf("9007199254740992", ""), "numerical overflow: value too large: 9007199254740992");
    EXPECT_EQ(errorOf("9223372036854775808", "b"),
              "numerical overflow: value too large: 9223372036854775808b");
    EXPECT_EQ(errorOf("18446744073709551616", "b"),
              "XML error: Invalid value '18446744073709551616' for element or attribute './size'");
}

TEST(Units, KiBAtLibvirtsLimitIsTooLarge)
{
    EXPECT_EQ(kib("9007199254740991", ""), 9007199254740991u);
    EXPECT_EQ(kib("9223372036854774784", "b"), 9007199254740991u);
    EXPECT_EQ(errorOf("9223372036854775807", "b"), "numerical overflow: size value too large");
}

TEST(Units, ParseUnsignedHexTakesOptionalPrefix)
{
    uint64_t v = 0;
    EXPECT_TRUE(units::parseUnsigned("0x1F", v, 16));
    EXPECT_EQ(v, 0x1fu);
    EXPECT_TRUE(units::parseUnsigned("4096", v, 16));
    EXPECT_EQ(v, 0x4096u);
    EXPECT_FALSE(units::parseUnsigned("0x", v, 16));
    EXPECT_FALSE(units::parseUnsigned("0x10000000000000000", v, 16));
    EXPECT_FALSE(units::parseUnsigned("", v, 10));
}

TEST(Units, ParseIntAcceptsMinusZeroAndRange)
{
    long long v = 1;
    EXPECT_TRUE(units::parseInt("-0", v, INT32_MIN, INT32_MAX));
    EXPECT_EQ(v, 0);
    EXPECT_TRUE(units::parseInt("2147483647", v, INT32_MIN, INT32_MAX));
    EXPECT_FALSE(units::parseInt("2147483648", v, INT32_MIN, INT32_MAX));
    EXPECT_FALSE(units::parseInt("1 ", v, INT32_MIN, INT32_MAX));
}
