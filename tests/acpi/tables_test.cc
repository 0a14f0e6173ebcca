// NFIT and SSDT checked by an independent decoder: ACPICA's `iasl -d`
// disassembles our tables, and every field it prints is compared with
// what we meant. iasl also recompiles the SSDT to prove our AML is what
// its ASL says.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "acpi/firmware.h"
#include "acpi/nfit.h"
#include "acpi/ssdt.h"
#include "acpi/table.h"
#include "util/error.h"

#include "acpi_test_support.h"

using namespace xlnv::acpi;
using xlnv::acpi::test::haveIasl;
using xlnv::acpi::test::readBytes;
using xlnv::acpi::test::readText;
using xlnv::acpi::test::TempDir;
using xlnv::acpi::test::writeBytes;

namespace {


struct IaslRun {
    int status = -1;
    std::string log;   // iasl's own stdout+stderr
    std::string dsl;   // the disassembly
};

// Run `iasl -d` on one table written under `dir` as NAME.dat.
IaslRun disassemble(const std::string &dir, const std::string &name, const Bytes &table)
{
    writeBytes(dir + "/" + name + ".dat", table);
    IaslRun run;
    std::string cmd = "cd '" + dir + "' && iasl -d " + name + ".dat > " + name + ".log 2>&1";
    run.status = std::system(cmd.c_str());
    run.log = xlnv::test::readFile(dir + "/" + name + ".log");
    run.dsl = xlnv::test::readFile(dir + "/" + name + ".dsl");
    return run;
}

// iasl recompiles its own disassembly (DIR/ssdt.dsl) of `ssdt`: the AML
// after the header must be ours (iasl writes its own compiler ID).
void expectRecompilesToTheSameAml(const std::string &dir, const Bytes &ssdt)
{
    std::string cmd = "cd '" + dir + "' && iasl -p again ssdt.dsl > again.log 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << readText(dir + "/again.log");
    Bytes again = readBytes(dir + "/again.aml");
    ASSERT_GE(again.size(), kTableHeaderSize);
    EXPECT_EQ(Bytes(again.begin() + kTableHeaderSize, again.end()),
              Bytes(ssdt.begin() + kTableHeaderSize, ssdt.end()));
}

// A data table disassembly as one field map per structure: index 0 is the
// table header, then one per "Subtable Type" line.
std::vector<std::map<std::string, std::string>> parseDataTable(const std::string &dsl)
{
    std::vector<std::map<std::string, std::string>> out(1);
    static const std::regex field(R"(^\[[0-9A-F]+h [0-9]+ +[0-9]+\] +(.*?) : (.*?)\s*$)");
    static const std::regex flag(R"(^ {10,}(\S.*?) : ([01])\s*$)");
    std::istringstream in(dsl);
    std::string line;
    std::smatch m;
    while (std::getline(in, line)) {
        if (std::regex_match(line, m, field)) {
            std::string name = m[1].str();
            std::string value = m[2].str();
            if (name == "Subtable Type")
                out.emplace_back();
            out.back()[name] = value;
        } else if (std::regex_match(line, m, flag)) {
            out.back()["flag:" + m[1].str()] = m[2].str();
        }
    }
    return out;
}

bool mentionsProblems(const std::string &log)
{
    static const std::regex bad(R"((^|\s)(Error|Warning|Remark)\s)", std::regex::icase);
    return std::regex_search(log, bad);
}

std::vector<NfitDevice> sampleDevices()
{
    return {
        {0, 0x40000000, 0x8000000, std::nullopt, false},
        {3, 0x1000200000ULL, 0x40000000, 1u, true},
    };
}

class IaslTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!haveIasl())
            GTEST_SKIP() << "iasl (Debian acpica-tools) is not installed";
    }
    TempDir dir;
};

} // namespace

TEST_F(IaslTest, NfitDisassemblesWithoutComplaint)
{
    IaslRun run = disassemble(dir.path(), "nfit", buildNfit(sampleDevices()));
    EXPECT_EQ(run.status, 0) << run.log;
    EXPECT_FALSE(mentionsProblems(run.log)) << run.log;
    EXPECT_FALSE(mentionsProblems(run.dsl)) << run.dsl;
    EXPECT_NE(run.dsl.find("ACPI Data Table [NFIT]"), std::string::npos);
}

TEST_F(IaslTest, NfitHeaderFields)
{
    Bytes nfit = buildNfit(sampleDevices());
    auto t = parseDataTable(disassemble(dir.path(), "nfit", nfit).dsl);
    ASSERT_EQ(t.size(), 7u);
    const auto &h = t[0];
    EXPECT_EQ(h.at("Signature"), "\"NFIT\"    [NVDIMM Firmware Interface Table]");
    // 36 header + 4 reserved + 2 x (56 + 48 + 80)
    EXPECT_EQ(h.at("Table Length"), "00000198");
    EXPECT_EQ(nfit.size(), 0x198u);
    EXPECT_EQ(h.at("Revision"), "01");
    EXPECT_EQ(h.at("Oem ID"), "\"XLNVDM\"");
    EXPECT_EQ(h.at("Oem Table ID"), "\"XENNVDIM\"");
    EXPECT_EQ(h.at("Oem Revision"), "00000001");
    EXPECT_EQ(h.at("Asl Compiler ID"), "\"XLNV\"");
    EXPECT_EQ(h.at("Asl Compiler Revision"), "00000001");
    EXPECT_EQ(h.at("Reserved"), "00000000");
    char sum[3];
    std::snprintf(sum, sizeof sum, "%02X", nfit[9]);
    EXPECT_EQ(h.at("Checksum"), sum);
    EXPECT_EQ(tableByteSum(nfit), 0);
}

TEST_F(IaslTest, NfitSpaRangeFields)
{
    auto t = parseDataTable(disassemble(dir.path(), "nfit", buildNfit(sampleDevices())).dsl);
    ASSERT_EQ(t.size(), 7u);
    const auto &a = t[1];
    EXPECT_EQ(a.at("Subtable Type"), "0000 [System Physical Address Range]");
    EXPECT_EQ(a.at("Length"), "0038");
    EXPECT_EQ(a.at("Range Index"), "0002");
    EXPECT_EQ(a.at("Flags (decoded below)"), "0000");
    EXPECT_EQ(a.at("flag:Proximity Domain Valid"), "0");
    EXPECT_EQ(a.at("flag:Add/Online Operation Only"), "0");
    EXPECT_EQ(a.at("Reserved"), "00000000");
    EXPECT_EQ(a.at("Proximity Domain"), "00000000");
    EXPECT_EQ(a.at("Region Type GUID"), "66F0D379-B4F3-4074-AC43-0D3318B78CDB");
    EXPECT_EQ(a.at("Address Range Base"), "0000000040000000");
    EXPECT_EQ(a.at("Address Range Length"), "0000000008000000");
    EXPECT_EQ(a.at("Memory Map Attribute"), "0000000000008008");

    const auto &b = t[4];
    EXPECT_EQ(b.at("Subtable Type"), "0000 [System Physical Address Range]");
    EXPECT_EQ(b.at("Range Index"), "0008");
    EXPECT_EQ(b.at("Flags (decoded below)"), "0002");
    EXPECT_EQ(b.at("flag:Proximity Domain Valid"), "1");
    EXPECT_EQ(b.at("Proximity Domain"), "00000001");
    EXPECT_EQ(b.at("Address Range Base"), "0000001000200000");
    EXPECT_EQ(b.at("Address Range Length"), "0000000040000000");
}

TEST_F(IaslTest, NfitMemoryDeviceMapFields)
{
    auto t = parseDataTable(disassemble(dir.path(), "nfit", buildNfit(sampleDevices())).dsl);
    ASSERT_EQ(t.size(), 7u);
    const auto &m = t[2];
    EXPECT_EQ(m.at("Subtable Type"), "0001 [Memory Range Map]");
    EXPECT_EQ(m.at("Length"), "0030");
    EXPECT_EQ(m.at("Device Handle"), "00000001");
    EXPECT_EQ(m.at("Physical Id"), "0001");
    EXPECT_EQ(m.at("Region Id"), "0000");
    EXPECT_EQ(m.at("Range Index"), "0002");
    EXPECT_EQ(m.at("Control Region Index"), "0003");
    EXPECT_EQ(m.at("Region Size"), "0000000008000000");
    EXPECT_EQ(m.at("Region Offset"), "0000000000000000");
    EXPECT_EQ(m.at("Address Region Base"), "0000000000000000");
    EXPECT_EQ(m.at("Interleave Index"), "0000");
    EXPECT_EQ(m.at("Interleave Ways"), "0001");
    EXPECT_EQ(m.at("Flags"), "0000");
    EXPECT_EQ(m.at("flag:Device not armed"), "0");
    EXPECT_EQ(m.at("Reserved"), "0000");

    const auto &r = t[5];
    EXPECT_EQ(r.at("Device Handle"), "00000004");
    EXPECT_EQ(r.at("Range Index"), "0008");
    EXPECT_EQ(r.at("Control Region Index"), "0009");
    EXPECT_EQ(r.at("Region Size"), "0000000040000000");
}

TEST_F(IaslTest, NfitReadonlySetsNotArmed)
{
    auto t = parseDataTable(disassemble(dir.path(), "nfit", buildNfit(sampleDevices())).dsl);
    ASSERT_EQ(t.size(), 7u);
    EXPECT_EQ(t[5].at("Flags"), "0008");
    EXPECT_EQ(t[5].at("flag:Device not armed"), "1");
    EXPECT_EQ(t[5].at("flag:Save to device failed"), "0");
    EXPECT_EQ(t[5].at("flag:Mapping failed"), "0");
}

TEST_F(IaslTest, NfitControlRegionFields)
{
    auto t = parseDataTable(disassemble(dir.path(), "nfit", buildNfit(sampleDevices())).dsl);
    ASSERT_EQ(t.size(), 7u);
    for (int i : {3, 6}) {
        const auto &c = t[i];
        EXPECT_EQ(c.at("Subtable Type"), "0004 [NVDIMM Control Region]");
        EXPECT_EQ(c.at("Length"), "0050");
        EXPECT_EQ(c.at("Vendor Id"), "8086");
        EXPECT_EQ(c.at("Device Id"), "0001");
        EXPECT_EQ(c.at("Revision Id"), "0001");
        EXPECT_EQ(c.at("Subsystem Vendor Id"), "0000");
        EXPECT_EQ(c.at("Subsystem Device Id"), "0000");
        EXPECT_EQ(c.at("Subsystem Revision Id"), "0000");
        EXPECT_EQ(c.at("Valid Fields"), "00");
        EXPECT_EQ(c.at("Manufacturing Location"), "00");
        EXPECT_EQ(c.at("Manufacturing Date"), "0000");
        EXPECT_EQ(c.at("Reserved"), "0000");
        EXPECT_EQ(c.at("Code"), "0301");
        EXPECT_EQ(c.at("Window Count"), "0000");
        for (const char *f : {"Window Size", "Command Offset", "Command Size",
                              "Status Offset", "Status Size"})
            EXPECT_EQ(c.at(f), "0000000000000000") << f;
        EXPECT_EQ(c.at("Flags"), "0000");
        EXPECT_EQ(c.at("Reserved1"), "000000000000");
    }
    EXPECT_EQ(t[3].at("Region Index"), "0003");
    EXPECT_EQ(t[3].at("Serial Number"), "00123456");
    EXPECT_EQ(t[6].at("Region Index"), "0009");
    EXPECT_EQ(t[6].at("Serial Number"), "00123459");
}

TEST_F(IaslTest, EmptyNfitHasOnlyHeader)
{
    Bytes nfit = buildNfit({});
    EXPECT_EQ(nfit.size(), 40u);
    IaslRun run = disassemble(dir.path(), "nfit", nfit);
    EXPECT_EQ(run.status, 0) << run.log;
    EXPECT_EQ(parseDataTable(run.dsl).size(), 1u);
}

TEST_F(IaslTest, SsdtDisassemblesWithoutComplaint)
{
    IaslRun run = disassemble(dir.path(), "ssdt", buildNvdimmSsdt({0, 3}));
    EXPECT_EQ(run.status, 0) << run.log;
    EXPECT_FALSE(mentionsProblems(run.log)) << run.log;
    EXPECT_NE(run.dsl.find("DefinitionBlock (\"\", \"SSDT\", 2, \"XLNVDM\", \"XENNVDIM\", 0x00000001)"),
              std::string::npos) << run.dsl;
}

TEST_F(IaslTest, SsdtDeclaresNvdimmRootWithOneChildPerDevice)
{
    IaslRun run = disassemble(dir.path(), "ssdt", buildNvdimmSsdt({0, 3, 17}));
    // Keep only the ASL statements, whitespace and comments dropped.
    std::string asl;
    std::istringstream in(run.dsl.substr(run.dsl.find("DefinitionBlock")));
    std::string line;
    while (std::getline(in, line)) {
        line = std::regex_replace(line, std::regex(R"(\s*//.*$|\s*/\*.*?\*/)"), "");
        line = std::regex_replace(line, std::regex(R"(^\s+|\s+$)"), "");
        if (!line.empty())
            asl += line + "\n";
    }
    const std::string expected =
        "DefinitionBlock (\"\", \"SSDT\", 2, \"XLNVDM\", \"XENNVDIM\", 0x00000001)\n{\n"
        "Device (\\_SB.NVDR)\n{\n"
        "Name (_HID, \"ACPI0012\")\n"
        "Device (NV00)\n{\nName (_ADR, One)\n}\n"
        "Device (NV03)\n{\nName (_ADR, 0x04)\n}\n"
        "Device (NV11)\n{\nName (_ADR, 0x12)\n}\n"
        "}\n}\n";
    EXPECT_EQ(asl, expected);
}

TEST_F(IaslTest, SsdtRecompilesToTheSameAml)
{
    Bytes ssdt = buildNvdimmSsdt({0, 1, 2});
    IaslRun run = disassemble(dir.path(), "ssdt", ssdt);
    ASSERT_EQ(run.status, 0) << run.log;
    expectRecompilesToTheSameAml(dir.path(), ssdt);
}

TEST(AcpiFirmware, BlobIsNfitThenSsdt)
{
    Bytes blob = buildAcpiFirmware(sampleDevices());
    auto tables = splitAcpiTables(blob);
    ASSERT_EQ(tables.size(), 2u);
    EXPECT_EQ(tables[0], buildNfit(sampleDevices()));
    EXPECT_EQ(tables[1], buildNvdimmSsdt({0, 3}));
    EXPECT_EQ(std::string(tables[1].begin(), tables[1].begin() + 4), "SSDT");
}

TEST(AcpiFirmware, SplitRejectsBadChecksum)
{
    Bytes blob = buildAcpiFirmware(sampleDevices());
    blob[50] ^= 0x01;
    EXPECT_THROW(splitAcpiTables(blob), xlnv::Error);
}

TEST(AcpiFirmware, SplitRejectsTruncatedTable)
{
    Bytes blob = buildAcpiFirmware(sampleDevices());
    blob.resize(blob.size() - 1);
    EXPECT_THROW(splitAcpiTables(blob), xlnv::Error);
}

TEST(AcpiFirmware, WritesBlobAndLeavesNoTempFile)
{
    TempDir dir;
    Bytes blob = buildAcpiFirmware(sampleDevices());
    std::string path = dir.path() + "/acpi.bin";
    writeAcpiFirmware(path, blob);
    EXPECT_EQ(readBytes(path), blob);
    struct stat st;
    EXPECT_NE(::stat((path + ".tmp").c_str(), &st), 0);
}

TEST(AcpiFirmware, WriteIntoMissingDirectoryFailsWithoutLeftovers)
{
    EXPECT_THROW(writeAcpiFirmware("/nonexistent-dir-xlnv/acpi.bin", {1, 2}), xlnv::Error);
}

TEST(Ssdt, RejectsSlotsThatCannotBeNamed)
{
    EXPECT_EQ(ssdtChildName(0xAB), "NVAB");
    EXPECT_THROW(ssdtChildName(256), xlnv::Error);
}

// The hotplug SSDT (_FIT, FIT page fields, GED) disassembles cleanly and
// iasl's recompilation of its own disassembly gives our AML back.
TEST_F(IaslTest, HotplugSsdtRecompilesToTheSameAml)
{
    NvdimmHotplug hp;
    hp.fit_page = 0x9FFFFF000ull;
    hp.slots = 3;
    hp.boot_fit = buildFit(sampleDevices());
    Bytes ssdt = buildNvdimmSsdt({}, hp);
    IaslRun run = disassemble(dir.path(), "ssdt", ssdt);
    ASSERT_EQ(run.status, 0) << run.log;
    EXPECT_FALSE(mentionsProblems(run.log)) << run.log;
    for (const char *want : {"OperationRegion (FITR, SystemMemory, 0x00000009FFFFF000, 0x1000)",
                             "Method (_FIT, 0, Serialized)", "CopyObject (Local3, FITB)",
                             "Name (_HID, \"ACPI0013\"", "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )",
                             "Notify (\\_SB.NVDR, 0x80)", "Device (NV02)"})
        EXPECT_NE(run.dsl.find(want), std::string::npos) << want << "\n" << run.dsl;
    expectRecompilesToTheSameAml(dir.path(), ssdt);
}
