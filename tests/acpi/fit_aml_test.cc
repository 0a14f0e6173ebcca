// The hotplug SSDT run by ACPICA's userspace interpreter (`acpiexec`,
// Debian acpica-tools): our _FIT against a FIT page that a test table
// writes through the SSDT's own fields, our GED's _CRS and _EVT. One
// acpiexec run evaluates a sequence of test methods, so the last good
// copy _FIT keeps carries from one step to the next, as in a guest.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "acpi/firmware.h"
#include "acpi/fit_page.h"
#include "acpi/nfit.h"
#include "acpi/ssdt.h"
#include "acpi/table.h"
#include "util/error.h"

#include "acpi_test_support.h"

using namespace xlnv::acpi;
using xlnv::acpi::test::haveAcpiexec;
using xlnv::acpi::test::haveIasl;
using xlnv::acpi::test::readText;
using xlnv::acpi::test::TempDir;
using xlnv::acpi::test::writeBytes;

namespace {

constexpr uint64_t kPage = 0x9FFFFF000ull;   // any address: acpiexec backs it with memory
constexpr unsigned kMatch = 0x600D;

NfitDevice device(unsigned slot, uint64_t spa, uint64_t size, bool ro = false)
{
    NfitDevice d;
    d.slot = slot;
    d.spa = spa;
    d.size = size;
    d.readonly = ro;
    return d;
}

std::string aslBuffer(const Bytes &b)
{
    if (b.empty())
        return "Buffer (Zero) {}";
    std::string s = "Buffer () {";
    for (size_t i = 0; i < b.size(); i++)
        s += (i ? ", " : "") + std::to_string(b[i]);
    return s + "}";
}

// One test method: write the page (generation, length, bytes), evaluate
// _FIT, return kMatch when it equals `expect`, else the size it returned.
std::string step(const std::string &name, uint32_t gen, uint32_t len, const Bytes &data, const Bytes &expect)
{
    return "Method (\\" + name + ") {\n"
           "  \\_SB.NVDR.FGEN = " + std::to_string(gen) + "\n"
           "  \\_SB.NVDR.FLEN = " + std::to_string(len) + "\n"
           "  \\_SB.NVDR.FDAT = " + aslBuffer(data) + "\n"
           "  Local0 = \\_SB.NVDR._FIT ()\n"
           "  If (Local0 == " + aslBuffer(expect) + ") { Return (" + std::to_string(kMatch) + ") }\n"
           "  Return (SizeOf (Local0))\n}\n";
}

struct AcpiexecRun {
    int status = -1;
    std::string out;
    double seconds = 0;
};

class FitAml : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!haveIasl() || !haveAcpiexec())
            GTEST_SKIP() << "iasl/acpiexec (Debian acpica-tools) are not installed";
    }

    // Our SSDT plus a test table (ASL `tests`), then `commands`.
    AcpiexecRun run(const Bytes &ssdt, const std::string &tests, const std::string &commands)
    {
        writeBytes(dir.path() + "/ssdt.aml", ssdt);
        std::FILE *f = std::fopen((dir.path() + "/t.asl").c_str(), "w");
        std::fprintf(f, "DefinitionBlock (\"\", \"SSDT\", 2, \"XLNVDM\", \"TEST\", 1)\n{\n"
                        "External (\\_SB.NVDR._FIT, MethodObj)\nExternal (\\_SB.NVDR.FGEN, FieldUnitObj)\n"
                        "External (\\_SB.NVDR.FLEN, FieldUnitObj)\nExternal (\\_SB.NVDR.FDAT, FieldUnitObj)\n"
                        "%s}\n", tests.c_str());
        std::fclose(f);
        AcpiexecRun r;
        const std::string iasl = "cd '" + dir.path() + "' && iasl t.asl > iasl.log 2>&1";
        if (std::system(iasl.c_str()) != 0) {
            r.out = readText(dir.path() + "/iasl.log");
            return r;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const std::string cmd = "cd '" + dir.path() + "' && timeout 60 acpiexec -b '" + commands +
                                "' ssdt.aml t.aml > run.log 2>&1";
        r.status = std::system(cmd.c_str());
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        r.out = readText(dir.path() + "/run.log");
        return r;
    }

    // The integer \NAME returned, or -1.
    static long long result(const std::string &out, const std::string &name)
    {
        std::smatch m;
        const std::regex re("Evaluation of \\\\" + name + " returned object[^\\n]*\\n\\s*\\[Integer\\] = ([0-9A-F]+)");
        if (!std::regex_search(out, m, re))
            return -1;
        return std::stoll(m[1].str(), nullptr, 16);
    }

    TempDir dir;
};

const std::vector<NfitDevice> kBoot = {device(0, 0x980000000ull, 1ull << 30)};
const std::vector<NfitDevice> kTwo = {device(0, 0x980000000ull, 1ull << 30),
                                      device(1, 0x9C0000000ull, 512ull << 20, true)};
const std::vector<NfitDevice> kThree = {device(0, 0x980000000ull, 1ull << 30),
                                        device(1, 0x9C0000000ull, 512ull << 20, true),
                                        device(2, 0x9E0000000ull, 256ull << 20)};

Bytes hotplugSsdt(const std::vector<NfitDevice> &boot, unsigned slots = 4, unsigned irq = kDefaultHotplugIrq)
{
    NvdimmHotplug hp;
    hp.fit_page = kPage;
    hp.irq = irq;
    hp.slots = slots;
    hp.boot_fit = buildFit(boot);
    return buildNvdimmSsdt({}, hp);
}

} // namespace

// The sequence a guest lives through: boot (no page yet), an attach, a
// write in progress, garbage, a shrink, a page that reads all ones, a
// second attach. _FIT returns exactly the page's bytes when they are
// good and the last good copy otherwise.
TEST_F(FitAml, FitFollowsThePageAndFallsBackToTheLastGoodCopy)
{
    const Bytes boot = buildFit(kBoot), two = buildFit(kTwo), three = buildFit(kThree);
    std::string tests;
    tests += "Method (\\T0) { If (\\_SB.NVDR._FIT () == " + aslBuffer(boot) + ") { Return (" +
             std::to_string(kMatch) + ") } Return (0) }\n";
    tests += step("T1", 2, static_cast<uint32_t>(two.size()), two, two);          // attach: taken
    tests += step("T2", 3, static_cast<uint32_t>(three.size()), three, two);      // odd: last good
    tests += step("T3", 4, kFitPageCapacity + 1, three, two);                     // corrupt length
    tests += step("T4", 6, static_cast<uint32_t>(boot.size()), boot, two);        // shrinks: refused
    tests += step("T5", 0xFFFFFFFF, 0xFFFFFFFF, Bytes(kFitPageCapacity, 0xFF), two);   // all ones
    tests += step("T6", 8, static_cast<uint32_t>(three.size()), three, three);    // next attach
    const AcpiexecRun r = run(hotplugSsdt(kBoot), tests,
                      "evaluate \\T0; evaluate \\T1; evaluate \\T2; evaluate \\T3; evaluate \\T4; "
                      "evaluate \\T5; evaluate \\T6");
    ASSERT_EQ(r.status, 0) << r.out;
    // T0 runs on a page acpiexec fills with zeros: generation 0, length 0,
    // shorter than the boot FIT, so the boot FIT.
    for (const char *t : {"T0", "T1", "T2", "T3", "T4", "T5", "T6"})
        EXPECT_EQ(result(r.out, t), kMatch) << t << "\n" << r.out;
    EXPECT_EQ(r.out.find("AE_AML_LOOP_TIMEOUT"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("Exception"), std::string::npos) << r.out;
}

// A write that never finishes: _FIT gives up after its bounded re-reads
// and returns the boot FIT (no loop timeout, no hang).
TEST_F(FitAml, OddGenerationForeverTerminatesWithTheBootFit)
{
    const Bytes boot = buildFit(kBoot), two = buildFit(kTwo);
    const AcpiexecRun r = run(hotplugSsdt(kBoot), step("T1", 1, static_cast<uint32_t>(two.size()), two, boot),
                      "evaluate \\T1");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(result(r.out, "T1"), kMatch) << r.out;
    EXPECT_LT(r.seconds, 20) << r.out;
}

// Zero NVDIMMs at boot: the boot FIT is empty, the first attach's FIT is
// taken whole.
TEST_F(FitAml, ZeroNvdimmsAtBootThenTheFirst)
{
    const Bytes one = buildFit(kBoot);
    std::string tests = "Method (\\T0) { Return (SizeOf (\\_SB.NVDR._FIT ())) }\n";
    tests += step("T1", 2, static_cast<uint32_t>(one.size()), one, one);
    const AcpiexecRun r = run(hotplugSsdt({}), tests, "evaluate \\T0; evaluate \\T1");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(result(r.out, "T0"), 0) << r.out;
    EXPECT_EQ(result(r.out, "T1"), kMatch) << r.out;
}

// The largest FIT a page holds is taken whole.
TEST_F(FitAml, FullPageIsReturnedExactly)
{
    std::vector<NfitDevice> many;
    for (unsigned i = 0; i < kFitPageMaxNvdimms; i++)
        many.push_back(device(i, 0x980000000ull + (uint64_t)i * (1ull << 30), 1ull << 30));
    const Bytes fit = buildFit(many);
    ASSERT_LE(fit.size(), kFitPageCapacity);
    const AcpiexecRun r = run(hotplugSsdt(kBoot, 32), step("T1", 2, static_cast<uint32_t>(fit.size()), fit, fit),
                      "evaluate \\T1");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(result(r.out, "T1"), kMatch) << r.out;
}

// _EVT of the Generic Event Device notifies \_SB.NVDR with 0x80, and its
// _CRS is one exclusive, edge, active-high interrupt on the configured IRQ.
TEST_F(FitAml, GedNotifiesNvdrAndClaimsTheIrq)
{
    const AcpiexecRun r = run(hotplugSsdt(kBoot, 4, 11), "", "evaluate \\_SB.NVGE._EVT 11; evaluate \\_SB.NVGE._CRS");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(Received a Device Notify on \[NVDR\][^\n]*Value 0x80)")))
        << r.out;
    EXPECT_NE(r.out.find("0000: 89 06 00 03 01 0B 00 00 00 79 00"), std::string::npos) << r.out;
}

// Every slot has its NVxx child with _ADR = handle, boot devices or not.
TEST_F(FitAml, EverySlotHasAChild)
{
    std::string tests;
    for (unsigned s : {0u, 1u, 7u})
        tests += "Method (\\A" + std::to_string(s) + ") { Return (\\_SB.NVDR.NV0" + std::to_string(s) +
                 "._ADR) }\nExternal (\\_SB.NVDR.NV0" + std::to_string(s) + "._ADR, IntObj)\n";
    const AcpiexecRun r = run(hotplugSsdt(kBoot, 8), tests, "evaluate \\A0; evaluate \\A1; evaluate \\A7");
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(result(r.out, "A0"), 1) << r.out;
    EXPECT_EQ(result(r.out, "A1"), 2) << r.out;
    EXPECT_EQ(result(r.out, "A7"), 8) << r.out;
}

// The numbers the docs quote.
TEST(FitPage, SizesAndCapacity)
{
    EXPECT_EQ(buildFit(kBoot).size(), kFitBytesPerNvdimm);
    EXPECT_EQ(kFitBytesPerNvdimm, 184u);
    EXPECT_EQ(kFitPageMaxNvdimms, 22u);
    std::vector<NfitDevice> too;
    for (unsigned i = 0; i <= kFitPageMaxNvdimms; i++)
        too.push_back(device(i, (uint64_t)(i + 1) << 30, 1ull << 30));
    EXPECT_THROW(buildFitPage(2, buildFit(too)), xlnv::Error);
}

TEST(FitPage, LayoutAndReadRule)
{
    const Bytes two = buildFit(kTwo), boot = buildFit(kBoot);
    const Bytes page = buildFitPage(4, two);
    ASSERT_EQ(page.size(), kFitPageSize);
    EXPECT_EQ(page[0], 4);
    EXPECT_EQ(page[4] | (page[5] << 8), (int)two.size());
    EXPECT_EQ(Bytes(page.begin() + 8, page.begin() + 8 + two.size()), two);
    EXPECT_EQ(readFitPage(page, boot), two);
    EXPECT_EQ(readFitPage(buildFitPage(5, two), boot), boot);            // odd
    EXPECT_EQ(readFitPage(Bytes(kFitPageSize, 0xFF), boot), boot);       // absent
    EXPECT_EQ(readFitPage(buildFitPage(6, boot), two), two);             // shrinks
}

TEST(FitPage, ParseFitRoundTrips)
{
    const auto devs = parseFit(buildFit(kTwo));
    ASSERT_EQ(devs.size(), 2u);
    EXPECT_EQ(devs[1].slot, 1u);
    EXPECT_EQ(devs[1].spa, 0x9C0000000ull);
    EXPECT_EQ(devs[1].size, 512ull << 20);
    EXPECT_TRUE(devs[1].readonly);
    EXPECT_FALSE(devs[0].readonly);
    Bytes bad = buildFit(kTwo);
    bad[2] = 200;   // first structure claims more than there is
    bad.resize(150);
    EXPECT_THROW(parseFit(bad), xlnv::Error);
}

// Without a static NFIT (zero devices), the blob is the SSDT alone.
TEST(FitPage, FirmwareWithoutDevicesIsSsdtOnly)
{
    NvdimmHotplug hp;
    hp.fit_page = kPage;
    hp.slots = 2;
    const auto tables = splitAcpiTables(buildAcpiFirmware({}, hp));
    ASSERT_EQ(tables.size(), 1u);
    EXPECT_EQ(std::string(tables[0].begin(), tables[0].begin() + 4), "SSDT");
    EXPECT_EQ(splitAcpiTables(buildAcpiFirmware(kBoot, hp)).size(), 2u);
}

TEST(FitPage, HotplugSsdtParsesBack)
{
    const auto hp = parseHotplugSsdt(hotplugSsdt(kBoot, 5, 11));
    ASSERT_TRUE(hp);
    EXPECT_EQ(hp->fit_page, kPage);
    EXPECT_EQ(hp->irq, 11u);
    EXPECT_EQ(hp->slots, 5u);
    EXPECT_FALSE(parseHotplugSsdt(buildNvdimmSsdt({0, 1})));
}
