// The table-upgrade cpio for PVH guests, read back by GNU cpio (an
// independent reader of the newc format the kernel parses).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "acpi/firmware.h"
#include "acpi/nfit.h"
#include "acpi/ssdt.h"
#include "acpi/table_upgrade.h"
#include "util/error.h"

#include "acpi_test_support.h"

using namespace xlnv::acpi;
using xlnv::acpi::test::readBytes;
using xlnv::acpi::test::TempDir;

namespace {

std::string run(const std::string &cmd)
{
    std::string out;
    FILE *p = popen(cmd.c_str(), "r");
    if (!p)
        return out;
    char buf[256];
    while (fgets(buf, sizeof buf, p))
        out += buf;
    pclose(p);
    return out;
}

const std::vector<NfitDevice> kDevices = {
    {0, 0x940000000ULL, 0x4000000, std::nullopt, false},
    {1, 0x944000000ULL, 0x8000000, 0u, true},
};

} // namespace

TEST(AcpiTableUpgrade, CpioHoldsNfitThenSsdtUnderKernelFirmwareAcpi)
{
    TempDir dir;
    const Bytes blob = buildAcpiFirmware(kDevices);
    const std::string path = dir.path() + "/upgrade.cpio";
    writeAcpiFirmware(path, buildTableUpgradeCpio(blob));
    // Directories first, then the tables in the blob's order: the guest
    // must see the NFIT before the SSDT that names its root device.
    EXPECT_EQ(run("cpio -it --quiet < '" + path + "'"),
              "kernel\nkernel/firmware\nkernel/firmware/acpi\n"
              "kernel/firmware/acpi/nfit.aml\nkernel/firmware/acpi/ssdt.aml\n");
    ASSERT_EQ(std::system(("cd '" + dir.path() + "' && cpio -idm --quiet < upgrade.cpio").c_str()), 0);
    EXPECT_EQ(readBytes(dir.path() + "/kernel/firmware/acpi/nfit.aml"), buildNfit(kDevices));
    EXPECT_EQ(readBytes(dir.path() + "/kernel/firmware/acpi/ssdt.aml"), buildNvdimmSsdt({0, 1}));
}

TEST(AcpiTableUpgrade, CpioIsUncompressedNewcEndingInItsTrailer)
{
    const Bytes cpio = buildTableUpgradeCpio(buildAcpiFirmware(kDevices));
    ASSERT_GT(cpio.size(), 6u);
    // The kernel only looks for tables in an uncompressed newc archive.
    EXPECT_EQ(std::string(cpio.begin(), cpio.begin() + 6), "070701");
    const std::string text(cpio.begin(), cpio.end());
    const auto trailer = text.rfind("TRAILER!!!");
    ASSERT_NE(trailer, std::string::npos);
    // No block padding after the trailer (newc pads to 4 bytes only).
    EXPECT_LT(cpio.size() - trailer, 16u);
    EXPECT_EQ(cpio.size() % 4, 0u);
}

TEST(AcpiTableUpgrade, SameTablesGiveTheSameBytes)
{
    const Bytes blob = buildAcpiFirmware(kDevices);
    EXPECT_EQ(buildTableUpgradeCpio(blob), buildTableUpgradeCpio(blob));
}

TEST(AcpiTableUpgrade, BrokenBlobIsRefused)
{
    Bytes blob = buildAcpiFirmware(kDevices);
    blob[40] ^= 0xff;
    EXPECT_THROW(buildTableUpgradeCpio(blob), xlnv::Error);
}
