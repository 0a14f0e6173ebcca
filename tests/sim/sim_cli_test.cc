// virt-xen-nvdimm list / sim-stats on the simulated host.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "libxl/connection.h"
#include "sim/sim_hypervisor.h"
#include "test_support.h"

using namespace xlnv;
using xlnv::test::runCli;
using xlnv::test::TempDir;

namespace {

// Compares with tests/sim/data/NAME (VIR_TEST_REGENERATE_OUTPUT=1 rewrites
// it); the state directory reads as @STATE@.
void expectGolden(const std::string &name, std::string out, const TempDir &dir)
{
    for (size_t at; (at = out.find(dir.path())) != std::string::npos;)
        out.replace(at, dir.path().size(), "@STATE@");
    const std::string golden = std::string(std::getenv("abs_srcdir")) + "/sim/data/" + name;
    if (std::getenv("VIR_TEST_REGENERATE_OUTPUT"))
        test::writeFile(golden, out);
    EXPECT_EQ(out, test::readFile(golden)) << name;
}

std::string stateArg(const TempDir &dir)
{
    return "-c sim:///default --state-dir '" + dir.path() + "'";
}

TEST(CliList, PrintsRunningDomainsInVirshFormat)
{
    TempDir dir;
    auto r = runCli(stateArg(dir) + " list");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              " Id   Name   State\n"
              "----------------------\n"
              " 1    demo   running\n"
              "\n");
    EXPECT_EQ(r.err, "");
}

TEST(CliList, AllAddsShutOffDomainsWithDashId)
{
    TempDir dir;
    auto r = runCli(stateArg(dir) + " list --all");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              " Id   Name    State\n"
              "------------------------\n"
              " 1    demo    running\n"
              " -    demo2   shut off\n"
              "\n");
}

TEST(CliList, StateDirFromEnvironment)
{
    TempDir dir;
    {
        auto c = libxl::Connection::open("sim:///default", dir.path());
        c->requireSimulated("test").startDomain("demo2", true);
    }
    auto r = runCli("-c sim:///default list", "LIBXL_NVDIMM_STATE_DIR='" + dir.path() + "'");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find(" 2    demo2   paused\n"), std::string::npos) << r.out;
}

TEST(CliList, UnknownUriIsOneCleanError)
{
    TempDir dir;
    auto r = runCli("-c bogus:///x --state-dir '" + dir.path() + "' list");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: failed to connect to the hypervisor: no connection driver available for bogus:///x\n");
}

TEST(CliSimStats, JsonCountsCallsEntriesAndPerDomainMappings)
{
    TempDir dir;
    {
        auto c = libxl::Connection::open("sim:///default", dir.path());
        auto &hv = c->hypervisor();
        const uint64_t mfn = 0x10000200000ULL / 4096;
        hv.grantIomem(1, mfn, 262144);
        hv.mapMemory(1, 0x1000000, mfn, 262144);
    }
    auto r = runCli(stateArg(dir) + " sim-stats --json");
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["map_calls"], 8);
    EXPECT_EQ(j["entries_2m"], 512);
    EXPECT_EQ(j["entries_4k"], 0);
    EXPECT_EQ(j["domains"]["demo"]["mapped_bytes"], 1ULL << 30);
    ASSERT_EQ(j["domains"]["demo"]["iomem_ranges"].size(), 1u);
    EXPECT_EQ(j["domains"]["demo"]["iomem_ranges"][0]["mfn"], 0x10000200u);
    EXPECT_EQ(j["domains"]["demo"]["iomem_ranges"][0]["nr"], 262144);
    // One convention in every --json output: frame numbers, addresses and
    // sizes are JSON numbers, keys without a value are left out.
    expectGolden("sim-stats.json", r.out, dir);
}

// ARGS (after the connection; @STATE@ for the state directory) on a fresh
// simulated host, compared with tests/sim/data/NAME.
void expectJsonCommand(const std::string &args, const std::string &name)
{
    TempDir dir;
    std::string line = args;
    for (size_t at; (at = line.find("@STATE@")) != std::string::npos;)
        line.replace(at, 7, dir.path());
    auto r = runCli(stateArg(dir) + " " + line);
    ASSERT_EQ(r.status, 0) << r.err;
    expectGolden(name, r.out, dir);
}

TEST(CliJson, PmemCommandsFollowTheConvention)
{
    expectJsonCommand("pmem-extents /dev/dax0.0 --size 4M --json", "pmem-extents-devdax.json");
    expectJsonCommand("pmem-provision @STATE@/mnt/pmem1/a.img --size 5M --json", "pmem-provision-file.json");
    expectJsonCommand("pmem-list --json", "pmem-list.json");
}

TEST(CliSimStats, TextOutputNamesCallsAndDomains)
{
    TempDir dir;
    auto r = runCli(stateArg(dir) + " sim-stats");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("Mapping calls:       0\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Domain 'demo' (id 1): 0 bytes mapped\n"), std::string::npos) << r.out;
}

} // namespace
