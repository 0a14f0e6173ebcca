// AML encoder against byte strings worked out by hand from ACPI 6.4,
// chapter 20 (grammar in 20.2, opcode values in 20.3).
#include <gtest/gtest.h>

#include "acpi/aml.h"
#include "util/error.h"

using namespace xlnv::acpi;

namespace {
Bytes B(std::initializer_list<int> v)
{
    Bytes out;
    for (int x : v)
        out.push_back(static_cast<uint8_t>(x));
    return out;
}
Bytes repeat(size_t n, uint8_t b) { return Bytes(n, b); }
} // namespace

// 20.2.4: a PkgLength of one byte holds values up to 63, itself included.
TEST(AmlPkgLength, OneByteUpTo63)
{
    EXPECT_EQ(amlPkgLength(0), B({0x01}));
    EXPECT_EQ(amlPkgLength(62), B({0x3F}));
}

// 20.2.4: 63 body bytes + 2 length bytes = 65 = 0x41: lead 0x41 (n-1=1 in
// bits 6-7, low nibble 1), next byte 0x41 >> 4 = 0x04.
TEST(AmlPkgLength, TwoBytesFrom64)
{
    EXPECT_EQ(amlPkgLength(63), B({0x41, 0x04}));
    // 4093 + 2 = 4095 = 0xFFF, the largest two-byte value.
    EXPECT_EQ(amlPkgLength(4093), B({0x4F, 0xFF}));
}

// 20.2.4: 4094 + 3 = 4097 = 0x1001: lead 0x81, then 0x00, 0x01.
TEST(AmlPkgLength, ThreeBytesFrom4096)
{
    EXPECT_EQ(amlPkgLength(4094), B({0x81, 0x00, 0x01}));
}

// 20.2.4: 0xFFFFC + 3 = 0xFFFFF is the largest three-byte value;
// 0xFFFFD + 4 = 0x100001: lead 0xC1, then 0x00 0x00 0x01.
TEST(AmlPkgLength, FourBytesFrom1MiB)
{
    EXPECT_EQ(amlPkgLength(0xFFFFC), B({0x8F, 0xFF, 0xFF}));
    EXPECT_EQ(amlPkgLength(0xFFFFD), B({0xC1, 0x00, 0x00, 0x01}));
    EXPECT_EQ(amlPkgLength(0x0FFFFFFF - 4), B({0xCF, 0xFF, 0xFF, 0xFF}));
}

TEST(AmlPkgLength, RejectsMoreThan28Bits)
{
    EXPECT_THROW(amlPkgLength(0x0FFFFFFF - 3), xlnv::Error);
}

// 20.2.2 NameSeg: four characters, short names padded with '_'.
TEST(AmlNameString, SingleSegmentPadded)
{
    EXPECT_EQ(amlNameString("_HID"), B({'_', 'H', 'I', 'D'}));
    EXPECT_EQ(amlNameString("NV"), B({'N', 'V', '_', '_'}));
}

// 20.2.2: RootChar 0x5C, DualNamePrefix 0x2E.
TEST(AmlNameString, RootedDualName)
{
    EXPECT_EQ(amlNameString("\\_SB.NVDR"),
              B({0x5C, 0x2E, '_', 'S', 'B', '_', 'N', 'V', 'D', 'R'}));
}

// 20.2.2: MultiNamePrefix 0x2F SegCount.
TEST(AmlNameString, RootedMultiName)
{
    EXPECT_EQ(amlNameString("\\_SB.PCI0.NVDR"),
              B({0x5C, 0x2F, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'N', 'V', 'D', 'R'}));
}

// 20.2.2: PrefixPath '^' and NullName 0x00 for the root itself.
TEST(AmlNameString, ParentPrefixAndRoot)
{
    EXPECT_EQ(amlNameString("^^FOO"), B({0x5E, 0x5E, 'F', 'O', 'O', '_'}));
    EXPECT_EQ(amlNameString("\\"), B({0x5C, 0x00}));
}

TEST(AmlNameString, RejectsBadSegments)
{
    EXPECT_THROW(amlNameString("1ABC"), xlnv::Error);
    EXPECT_THROW(amlNameString("ABCDE"), xlnv::Error);
    EXPECT_THROW(amlNameString("ab"), xlnv::Error);
    EXPECT_THROW(amlNameString("\\_SB..X"), xlnv::Error);
}

// 20.2.3: ZeroOp 0x00, OneOp 0x01, OnesOp 0xFF.
TEST(AmlInteger, ConstantObjects)
{
    EXPECT_EQ(amlInteger(0), B({0x00}));
    EXPECT_EQ(amlInteger(1), B({0x01}));
    EXPECT_EQ(amlInteger(UINT64_MAX), B({0xFF}));
}

// 20.2.3: BytePrefix 0x0A, WordPrefix 0x0B, DWordPrefix 0x0C,
// QWordPrefix 0x0E, little-endian data.
TEST(AmlInteger, SmallestPrefixThatFits)
{
    EXPECT_EQ(amlInteger(2), B({0x0A, 0x02}));
    EXPECT_EQ(amlInteger(0xFF), B({0x0A, 0xFF}));
    EXPECT_EQ(amlInteger(0x100), B({0x0B, 0x00, 0x01}));
    EXPECT_EQ(amlInteger(0x12345678), B({0x0C, 0x78, 0x56, 0x34, 0x12}));
    EXPECT_EQ(amlInteger(0x100000000ULL),
              B({0x0E, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00}));
}

// 20.2.3: StringPrefix 0x0D AsciiCharList NullChar.
TEST(AmlString, AsciiWithNull)
{
    EXPECT_EQ(amlString("ACPI0012"), B({0x0D, 'A', 'C', 'P', 'I', '0', '0', '1', '2', 0x00}));
    EXPECT_EQ(amlString(""), B({0x0D, 0x00}));
    EXPECT_THROW(amlString("\xC3\xA9"), xlnv::Error);
}

// 20.2.5.1: NameOp 0x08 NameString DataRefObject.
TEST(AmlName, NameDeclaration)
{
    EXPECT_EQ(amlName("_ADR", amlInteger(1)), B({0x08, '_', 'A', 'D', 'R', 0x01}));
}

// 20.2.5.2: ExtOpPrefix 0x5B DeviceOp 0x82 PkgLength NameString TermList.
// Device(NV00) { Name(_ADR, One) }: body = 4 + 6 bytes, PkgLength 11.
TEST(AmlDevice, DeviceWithOneName)
{
    EXPECT_EQ(amlDevice("NV00", amlName("_ADR", amlInteger(1))),
              B({0x5B, 0x82, 0x0B, 'N', 'V', '0', '0', 0x08, '_', 'A', 'D', 'R', 0x01}));
}

// 20.2.5.1: ScopeOp 0x10 PkgLength NameString TermList.
TEST(AmlScope, EmptyScopeOfSB)
{
    EXPECT_EQ(amlScope("\\_SB", {}), B({0x10, 0x06, 0x5C, '_', 'S', 'B', '_'}));
}

// 20.2.5.2: MethodOp 0x14 PkgLength NameString MethodFlags TermList;
// 20.2.5.3: ReturnOp 0xA4. Method(_STA, 0, NotSerialized) { Return (0x0F) }.
TEST(AmlMethod, MethodReturningByte)
{
    EXPECT_EQ(amlMethod("_STA", 0, false, amlReturn(amlInteger(0x0F))),
              B({0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F}));
}

// MethodFlags bit 3 = Serialized, bits 0-2 = ArgCount.
TEST(AmlMethod, SerializedWithArguments)
{
    Bytes m = amlMethod("_DSM", 4, true, {});
    EXPECT_EQ(m, B({0x14, 0x06, '_', 'D', 'S', 'M', 0x0C}));
    EXPECT_THROW(amlMethod("_DSM", 8, false, {}), xlnv::Error);
}

// 20.2.5.4: BufferOp 0x11 PkgLength BufferSize ByteList.
TEST(AmlBuffer, SizeThenBytes)
{
    EXPECT_EQ(amlBuffer(B({0xAA, 0xBB})), B({0x11, 0x05, 0x0A, 0x02, 0xAA, 0xBB}));
    EXPECT_EQ(amlBuffer({}), B({0x11, 0x02, 0x00}));
}

// A buffer of 100 bytes needs a two-byte PkgLength: body = 2 + 100,
// total 104 = 0x68 -> 0x48 0x06.
TEST(AmlBuffer, LongBufferTwoBytePkgLength)
{
    Bytes data = repeat(100, 0x5A);
    Bytes expected = B({0x11, 0x48, 0x06, 0x0A, 0x64});
    expected.insert(expected.end(), data.begin(), data.end());
    EXPECT_EQ(amlBuffer(data), expected);
}

// 20.2.5.4: PackageOp 0x12 PkgLength NumElements PackageElementList.
TEST(AmlPackage, ElementsCounted)
{
    EXPECT_EQ(amlPackage({amlInteger(0), amlString("A")}),
              B({0x12, 0x06, 0x02, 0x00, 0x0D, 'A', 0x00}));
    std::vector<Bytes> many(256, amlInteger(0));
    EXPECT_THROW(amlPackage(many), xlnv::Error);
}
