// pmem-list / pmem-extents / pmem-provision as a user runs them, with a
// fixture inventory (LIBXL_NVDIMM_PMEM_FIXTURE): output, exit status,
// "error: " messages, nothing left behind.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "pmem_test_util.h"
#include "../support/test_files.h"

using namespace xlnv::test;

namespace {

struct CliRun {
    int status = -1;
    std::string out;
    std::string err;
};

CliRun runCli(const std::string &args, ScratchDir &dir)
{
    CliRun r;
    const char *src = std::getenv("abs_srcdir");
    std::string cmd = "LIBXL_NVDIMM_PMEM_FIXTURE='" + std::string(src ? src : ".") +
                      "/pmem/data/pmem-fixture.json' '" + std::getenv("VIRT_XEN_NVDIMM") + "' " +
                      args + " >'" + dir.file("out") + "' 2>'" + dir.file("err") + "'";
    int st = std::system(cmd.c_str());
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = xlnv::test::readFile(dir.file("out"));
    r.err = xlnv::test::readFile(dir.file("err"));
    return r;
}

class PmemCli : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!std::getenv("VIRT_XEN_NVDIMM"))
            GTEST_SKIP() << "VIRT_XEN_NVDIMM is not set (run through meson test)";
    }
    ScratchDir dir;
};

} // namespace

TEST_F(PmemCli, ListJsonGivesEveryNamespaceWithItsFacts)
{
    CliRun r = runCli("pmem-list --json", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_EQ(j.size(), 2u);
    EXPECT_EQ(j[0]["dev"], "namespace0.0");
    EXPECT_EQ(j[0]["mount"], "/mnt/pmem0");
    EXPECT_EQ(j[1]["chardev"], "dax1.0");
    EXPECT_EQ(j[1]["spa"], 0x141000000ull);
}

TEST_F(PmemCli, ListTableShowsOneRowPerNamespace)
{
    CliRun r = runCli("pmem-list", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("namespace0.0"), std::string::npos);
    EXPECT_NE(r.out.find("0x141000000"), std::string::npos);
    EXPECT_NE(r.out.find("dax1.0"), std::string::npos);
}

TEST_F(PmemCli, ExtentsOutsideTheRootsFailsWithAnErrorLineAndExit1)
{
    CliRun r = runCli("pmem-extents " + dir.path() + "/x.img --json", dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("error: access denied: backing '", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("outside the configured persistent memory roots"), std::string::npos) << r.err;
}

TEST_F(PmemCli, ProvisionRejectsAMalformedSize)
{
    CliRun r = runCli("pmem-provision " + dir.path() + "/x.img --size 4Q", dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: invalid argument: --size '4Q' has an unknown unit 'Q' (use K, M, G or T)\n");
}

TEST_F(PmemCli, ProvisionRefusedLeavesNoFileBehind)
{
    CliRun r = runCli("pmem-provision " + dir.path() + "/new.img --size 4M --pmem-root " + dir.path(), dir);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("not a persistent memory namespace"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/new.img"));
}

// Golden output (VIR_TEST_REGENERATE_OUTPUT=1 rewrites it): numbers as
// JSON numbers, ndctl's key names, no key without a value ("name": "").
TEST_F(PmemCli, ListJsonMatchesTheGoldenFile)
{
    CliRun r = runCli("pmem-list --json", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string golden = std::string(std::getenv("abs_srcdir")) + "/pmem/data/pmem-list.json";
    if (std::getenv("VIR_TEST_REGENERATE_OUTPUT"))
        xlnv::test::writeFile(golden, r.out);
    EXPECT_EQ(r.out, xlnv::test::readFile(golden));
    for (const auto &ns : nlohmann::json::parse(r.out))
        for (const auto &[key, value] : ns.items())
            EXPECT_FALSE(value.is_string() && value.get<std::string>().empty()) << key;
}

// The table prints sizes for people (like ndctl -u) and addresses in hex.
TEST_F(PmemCli, ListTablePrintsHumanSizesAndHexAddresses)
{
    CliRun r = runCli("pmem-list", dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(" namespace1.0   devdax  1008.00 MiB    0x141000000    2 MiB      1     dax1.0"),
              std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("1056964608"), std::string::npos) << r.out;   // 0x3f000000 in bytes
}
