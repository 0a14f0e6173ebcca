// Data-driven: every tests/libxlxml2domconfigdata/NAME.xml is converted
// with the host described in NAME.host.json (or host.json) and compared
// with NAME.json (libxenlight JSON), NAME.cfg (xl.cfg text),
// NAME.out.xml (the XML with assigned slots/bases) and NAME.warn
// (warnings, when any) -- or with NAME.err when conversion must fail.
// VIR_TEST_REGENERATE_OUTPUT=1 rewrites the expected files.
//
// Each JSON must also load back through libxl_domain_config_from_json,
// and each .cfg through libxlutil (xl's own config parser), giving the
// same iomem ranges, memory and acpi_firmware.
#include <gtest/gtest.h>
// libxenlight's headers have no C++ linkage guards.
extern "C" {
#include <libxlutil.h>
}
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "acpi/firmware.h"
#include "acpi/ssdt.h"
#include "conf/domain_conf.h"
#include "libxl/libxl_config.h"
#include "pmem/host_fixture.h"
#include "xen/xenctrl_logger.h"
#include "util/error.h"
#include "util/log.h"
#include "../support/test_files.h"

using namespace xlnv;

namespace {

using xlnv::test::readFile;
using xlnv::test::writeFile;
using xlnv::test::TempDir;

const std::string kDataDir = std::string(PROJECT_SOURCE_DIR) + "/tests/libxlxml2domconfigdata";
const std::string kStateToken = "@STATEDIR@";

bool fileExists(const std::string &p)
{
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}

bool regenerate()
{
    const char *v = std::getenv("VIR_TEST_REGENERATE_OUTPUT");
    return v && std::string(v) == "1";
}

std::vector<std::string> discoverCases(bool errors);

std::vector<std::string> discoverAll()
{
    std::vector<std::string> names;
    if (DIR *d = ::opendir(kDataDir.c_str())) {
        while (dirent *e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.ends_with(".xml") && !n.ends_with(".out.xml"))
                names.push_back(n.substr(0, n.size() - 4));
        }
        ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Cases named error-* must fail (NAME.err); the rest must convert.
std::vector<std::string> discoverCases(bool errors)
{
    std::vector<std::string> out;
    for (const auto &n : discoverAll())
        if (n.starts_with("error-") == errors)
            out.push_back(n);
    return out;
}

std::string replaceAll(std::string s, const std::string &from, const std::string &to)
{
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

// Compare with the expected file, or rewrite it when regenerating.
void expectMatchesFile(const std::string &actual, const std::string &path)
{
    if (regenerate()) {
        writeFile(path, actual);
        return;
    }
    ASSERT_TRUE(fileExists(path)) << path << " is missing; run with VIR_TEST_REGENERATE_OUTPUT=1";
    EXPECT_EQ(actual, readFile(path)) << "differs from " << path;
}

void expectNoFile(const std::string &path)
{
    if (regenerate())
        ::unlink(path.c_str());
    else
        EXPECT_FALSE(fileExists(path)) << path << " is expected but nothing was produced";
}

// libxl_domain_config_from_json needs a libxl_ctx (its allocations and
// logger). libxl_ctx_alloc opens the hypervisor interface and xenstore,
// which this machine has not; xen_handle_stand_ins.c, linked into this
// test, stands in for those two handles only, so the context itself is
// libxenlight's own, with a logger that keeps its errors.
extern "C" int xlnv_test_open_xen_handles(void);

class RealLibxlCtx {
public:
    RealLibxlCtx()
    {
        if (libxl_ctx_alloc(&ctx_, LIBXL_VERSION, 0, logger_.get()) != 0)
            ctx_ = nullptr;
    }
    ~RealLibxlCtx()
    {
        if (ctx_)
            libxl_ctx_free(ctx_);
    }
    RealLibxlCtx(const RealLibxlCtx &) = delete;
    RealLibxlCtx &operator=(const RealLibxlCtx &) = delete;

    libxl_ctx *get() const { return ctx_; }
    const std::string &lastError() const { return logger_.lastError(); }

private:
    libxl::CapturingXenLogger logger_;
    libxl_ctx *ctx_ = nullptr;
};

struct Outcome {
    bool failed = false;
    std::string error;
    std::string json, cfg, xml, warnings;
    std::string state_dir;
};

// Route warnings into a string for the duration of one conversion.
struct WarningCapture {
    std::string text;
    WarningSink old;
    WarningCapture()
    {
        old = setWarningSink([this](const std::string &m) { text += m + "\n"; });
    }
    ~WarningCapture() { setWarningSink(old); }
};

Outcome convert(const std::string &name, const std::string &state_dir)
{
    Outcome out;
    out.state_dir = state_dir;
    WarningCapture warnings;
    try {
        std::string host = kDataDir + "/" + name + ".host.json";
        if (!fileExists(host))
            host = kDataDir + "/host.json";
        libxl::FixtureHost fixture = libxl::FixtureHost::fromFile(host);
        conf::DomainXml dom = conf::DomainXml::parseFile(kDataDir + "/" + name + ".xml",
                                                         conf::NVDIMM_INACTIVE);
        libxl::NativeOptions opts;
        opts.domain_state_dir = state_dir;
        opts.layout.namespaces = fixture.inventory().namespaces();
        libxl::DomainConfig cfg = libxl::buildNativeConfig(dom, fixture, opts);
        out.json = replaceAll(cfg.toJson(), state_dir, kStateToken);
        out.cfg = replaceAll(libxl::formatXlConfig(*cfg.get()), state_dir, kStateToken);
        out.xml = dom.format();
    } catch (const Error &e) {
        out.failed = true;
        // The fixture's own path varies with the checkout.
        out.error = replaceAll(e.message(), kDataDir + "/", "") + "\n";
    }
    out.warnings = warnings.text;
    return out;
}

class LibxlXml2DomConfig : public ::testing::TestWithParam<std::string> {
protected:
    std::string base() const { return kDataDir + "/" + GetParam(); }
    TempDir dir;
};

class LibxlXml2DomConfigError : public LibxlXml2DomConfig {};

std::string caseName(const ::testing::TestParamInfo<std::string> &info)
{
    std::string n = info.param;
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

} // namespace

TEST_P(LibxlXml2DomConfig, ConvertsAsExpected)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_FALSE(out.failed) << out.error;
    expectMatchesFile(out.json, base() + ".json");
    expectMatchesFile(out.cfg, base() + ".cfg");
    expectMatchesFile(out.xml, base() + ".out.xml");
    if (out.warnings.empty())
        expectNoFile(base() + ".warn");
    else
        expectMatchesFile(out.warnings, base() + ".warn");
}

TEST_P(LibxlXml2DomConfigError, FailsWithTheExpectedMessageAndLeavesNothing)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_TRUE(out.failed) << "conversion succeeded but an error is expected:\n" << out.cfg;
    expectMatchesFile(out.error, base() + ".err");
    EXPECT_FALSE(fileExists(dir.path() + "/" + libxl::kAcpiFirmwareName));
    EXPECT_FALSE(fileExists(dir.path() + "/" + libxl::kAcpiTableUpgradeName));
}

// HVM guests get the tables as acpi_firmware; PVH guests (libxl loads no
// tables into them) as the table-upgrade cpio for their initrd.
TEST_P(LibxlXml2DomConfig, WritesTheTablesInTheFormTheGuestKindTakes)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_FALSE(out.failed) << out.error;
    const bool pvh = out.cfg.find("type = \"pvh\"") != std::string::npos;
    const bool fw = out.cfg.find("acpi_firmware = ") != std::string::npos;
    const std::string cpio_path = dir.path() + "/" + libxl::kAcpiTableUpgradeName;
    EXPECT_EQ(fileExists(dir.path() + "/" + libxl::kAcpiFirmwareName), fw);
    EXPECT_EQ(fileExists(cpio_path), pvh && out.xml.find("model='nvdimm'") != std::string::npos);
    if (fileExists(cpio_path)) {
        std::ifstream in(cpio_path, std::ios::binary);
        std::string magic(6, '\0');
        in.read(magic.data(), 6);
        EXPECT_EQ(magic, "070701") << "an uncompressed newc cpio";
    }
}

TEST_P(LibxlXml2DomConfig, JsonLoadsBackThroughLibxenlight)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_FALSE(out.failed) << out.error;
    RealLibxlCtx ctx;
    ASSERT_NE(ctx.get(), nullptr) << ctx.lastError();
    libxl::DomainConfig back = libxl::DomainConfig::fromJson(ctx.get(), out.json);
    EXPECT_EQ(back.toJson(), out.json);
}

TEST_P(LibxlXml2DomConfig, XlConfigParsesWithLibxlutil)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_FALSE(out.failed) << out.error;
    RealLibxlCtx ctx;
    ASSERT_NE(ctx.get(), nullptr) << ctx.lastError();
    libxl::DomainConfig cfg = libxl::DomainConfig::fromJson(ctx.get(), out.json);
    const libxl_domain_build_info &b = cfg.get()->b_info;

    XLU_Config *xlu = xlu_cfg_init(stderr, GetParam().c_str());
    ASSERT_NE(xlu, nullptr);
    std::unique_ptr<XLU_Config, decltype(&xlu_cfg_destroy)> guard(xlu, xlu_cfg_destroy);
    ASSERT_EQ(xlu_cfg_readdata(xlu, out.cfg.c_str(), static_cast<int>(out.cfg.size())), 0) << out.cfg;

    const char *name = nullptr;
    ASSERT_EQ(xlu_cfg_get_string(xlu, "name", &name, 0), 0);
    EXPECT_STREQ(name, cfg.get()->c_info.name);
    long memory = 0, maxmem = 0;
    ASSERT_EQ(xlu_cfg_get_long(xlu, "memory", &memory, 0), 0);
    ASSERT_EQ(xlu_cfg_get_long(xlu, "maxmem", &maxmem, 0), 0);
    EXPECT_EQ(static_cast<uint64_t>(memory) * 1024, b.target_memkb);
    EXPECT_EQ(static_cast<uint64_t>(maxmem) * 1024, b.max_memkb);

    XLU_ConfigList *iomem = nullptr;
    int entries = 0;
    if (b.num_iomem == 0) {
        EXPECT_NE(xlu_cfg_get_list(xlu, "iomem", &iomem, &entries, 1), 0);
    } else {
        ASSERT_EQ(xlu_cfg_get_list(xlu, "iomem", &iomem, &entries, 0), 0);
        ASSERT_EQ(entries, b.num_iomem);
        for (int i = 0; i < entries; i++) {
            // xl's own parse of an iomem entry: hex "START,NR@GFN".
            uint64_t start = 0, nr = 0, gfn = 0;
            int used = 0;
            const char *item = xlu_cfg_get_listitem(iomem, i);
            ASSERT_EQ(std::sscanf(item, "%" SCNx64 ",%" SCNx64 "@%" SCNx64 "%n",
                                  &start, &nr, &gfn, &used), 3) << item;
            EXPECT_EQ(static_cast<size_t>(used), std::strlen(item)) << item;
            EXPECT_EQ(start, b.iomem[i].start) << item;
            EXPECT_EQ(nr, b.iomem[i].number) << item;
            EXPECT_EQ(gfn, b.iomem[i].gfn) << item;
        }
    }
    const char *fw = nullptr;
    if (b.type == LIBXL_DOMAIN_TYPE_HVM && b.u.hvm.acpi_firmware) {
        ASSERT_EQ(xlu_cfg_get_string(xlu, "acpi_firmware", &fw, 0), 0);
        EXPECT_STREQ(fw, b.u.hvm.acpi_firmware);
    } else {
        EXPECT_NE(xlu_cfg_get_string(xlu, "acpi_firmware", &fw, 1), 0);
    }
}

TEST_P(LibxlXml2DomConfig, AcpiFirmwareDescribesEveryMappedDevice)
{
    Outcome out = convert(GetParam(), dir.path());
    ASSERT_FALSE(out.failed) << out.error;
    RealLibxlCtx ctx;
    ASSERT_NE(ctx.get(), nullptr) << ctx.lastError();
    libxl::DomainConfig cfg = libxl::DomainConfig::fromJson(ctx.get(), out.json);
    const libxl_domain_build_info &b = cfg.get()->b_info;
    const std::string blob_path = dir.path() + "/" + libxl::kAcpiFirmwareName;
    if (b.type != LIBXL_DOMAIN_TYPE_HVM) {
        EXPECT_FALSE(fileExists(blob_path));
        return;
    }
    if (b.num_iomem == 0) {
        // No NVDIMM at boot: the hotplug SSDT alone, when the domain has
        // <maxMemory slots> (it may get one while it runs).
        ASSERT_EQ(fileExists(blob_path), b.u.hvm.acpi_firmware != nullptr);
        if (!fileExists(blob_path))
            return;
        std::string text = readFile(blob_path);
        const auto tables = acpi::splitAcpiTables(acpi::Bytes(text.begin(), text.end()));
        ASSERT_EQ(tables.size(), 1u);
        EXPECT_EQ(std::string(tables[0].begin(), tables[0].begin() + 4), "SSDT");
        EXPECT_TRUE(acpi::parseHotplugSsdt(tables[0]).has_value());
        return;
    }
    std::string text = readFile(blob_path);
    acpi::Bytes blob(text.begin(), text.end());
    auto tables = acpi::splitAcpiTables(blob);
    ASSERT_EQ(tables.size(), 2u);
    // Every iomem range's guest frames lie inside one SPA range of the NFIT.
    const acpi::Bytes &nfit = tables[0];
    struct Spa { uint64_t base, len; };
    std::vector<Spa> spas;
    auto u16 = [&](size_t o) { return nfit[o] | (nfit[o + 1] << 8); };
    auto u64 = [&](size_t o) { uint64_t v = 0; for (int i = 7; i >= 0; i--) v = (v << 8) | nfit[o + i]; return v; };
    for (size_t o = 40; o + 4 <= nfit.size(); o += u16(o + 2))
        if (u16(o) == 0)
            spas.push_back({u64(o + 32), u64(o + 40)});
    for (int i = 0; i < b.num_iomem; i++) {
        const uint64_t g0 = b.iomem[i].gfn * 4096, g1 = g0 + b.iomem[i].number * 4096;
        bool inside = std::any_of(spas.begin(), spas.end(),
                                  [&](const Spa &s) { return g0 >= s.base && g1 <= s.base + s.len; });
        EXPECT_TRUE(inside) << "iomem " << i;
    }
    // And every SPA range is fully backed: the ranges add up.
    uint64_t mapped = 0, described = 0;
    for (int i = 0; i < b.num_iomem; i++)
        mapped += b.iomem[i].number * 4096;
    for (const auto &s : spas)
        described += s.len;
    EXPECT_EQ(mapped, described);
}

TEST(LibxlCtxForJson, IsLibxenlightsOwnAndClosesBothXenHandles)
{
    {
        RealLibxlCtx ctx;
        ASSERT_NE(ctx.get(), nullptr) << ctx.lastError();
        EXPECT_EQ(xlnv_test_open_xen_handles(), 2);
    }
    EXPECT_EQ(xlnv_test_open_xen_handles(), 0);
}

// With a real context an error path is safe to take: libxenlight refuses
// the JSON, logs why through our logger, and we raise one clear error.
TEST(LibxlCtxForJson, MalformedJsonIsRefusedWithLibxenlightsReason)
{
    RealLibxlCtx ctx;
    ASSERT_NE(ctx.get(), nullptr) << ctx.lastError();
    try {
        libxl::DomainConfig::fromJson(ctx.get(), "{\"c_info\": {\"type\": ");
        FAIL() << "truncated JSON was accepted";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.message()).find("JSON"), std::string::npos) << e.message();
    }
    EXPECT_NE(ctx.lastError().find("libxl_domain_config"), std::string::npos) << ctx.lastError();
}

TEST(LibxlXml2DomConfigData, HasAtLeastFifteenPassingAndFiveErrorCases)
{
    EXPECT_GE(discoverCases(false).size(), 15u);
    EXPECT_GE(discoverCases(true).size(), 5u);
}

INSTANTIATE_TEST_SUITE_P(Data, LibxlXml2DomConfig, ::testing::ValuesIn(discoverCases(false)), caseName);
INSTANTIATE_TEST_SUITE_P(Data, LibxlXml2DomConfigError, ::testing::ValuesIn(discoverCases(true)), caseName);
