// virt-xen-nvdimm on sim:///default, end to end: the real binary, a fresh
// simulated host per test, and the simulated hypervisor's counters as the
// judge of what was mapped.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cli_support.h"

using namespace xlnv::test;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

// Expected mapping work for one 2 MiB aligned range of `bytes`: 2 MiB
// entries, 64 to a call.
uint64_t superpageEntries(uint64_t bytes) { return bytes / (2 * kMiB); }
uint64_t mappingCalls(uint64_t bytes) { return (superpageEntries(bytes) + 63) / 64; }

std::string dumpxml(const SimHostDir &host, const std::string &domain, bool inactive = false)
{
    std::vector<std::string> args = {"dumpxml", domain};
    if (inactive)
        args.push_back("--inactive");
    const CliResult r = host.cli(args);
    EXPECT_EQ(r.status, 0) << r.err;
    return r.out;
}

void expectAttached(const CliResult &r)
{
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Device attached successfully\n");
    EXPECT_EQ(r.err, "");
}

void expectDetached(const CliResult &r)
{
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Device detached successfully\n");
    EXPECT_EQ(r.err, "");
}

void expectNothingMappedFor(const nlohmann::json &stats, const std::string &domain)
{
    ASSERT_TRUE(stats["domains"].contains(domain)) << stats.dump(2);
    const auto &d = stats["domains"][domain];
    EXPECT_EQ(d["mapped_bytes"], 0) << stats.dump(2);
    EXPECT_TRUE(d["iomem_ranges"].empty()) << stats.dump(2);
    EXPECT_TRUE(d["mappings"].empty()) << stats.dump(2);
}

TEST(CliAttach, LiveDevdaxShowsAliasAndAddressInLiveXmlOnly)
{
    SimHostDir host;
    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo")).empty());
    const auto dev = host.file("dev.xml", nvdimmXml({}));

    expectAttached(host.cli({"attach-device", "demo", dev, "--live"}));

    const auto live = nvdimmElements(dumpxml(host, "demo"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<path>/dev/dax0.0</path>")) << live[0];
    EXPECT_TRUE(contains(live[0], "<alias name='nvdimm0'/>")) << live[0];
    EXPECT_TRUE(contains(live[0], "<address type='dimm' slot='0' base='0x")) << live[0];
    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo", true)).empty())
        << "--live must not touch the persistent definition";
}

TEST(CliAttach, OneGiBAlignedDevdaxTakesEightCallsOf64SuperpageEntries)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 1024}));
    expectAttached(host.cli({"attach-device", "demo", dev, "--live"}));

    const auto st = host.stats();
    EXPECT_EQ(st["map_calls"], 8);   // 1 GiB / (64 x 2 MiB)
    EXPECT_EQ(st["entries_2m"], 512);
    EXPECT_EQ(st["entries_4k"], 0);
    EXPECT_EQ(st["domains"]["demo"]["mapped_bytes"], kGiB);
    EXPECT_EQ(st["domains"]["demo"]["iomem_ranges"].size(), 1u) << st.dump(2);
    EXPECT_EQ(st["domains"]["demo"]["iomem_ranges"][0]["nr"], kGiB / 4096);
}

TEST(CliAttach, ConfigOnlyChangesThePersistentDefinition)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 512}));
    expectAttached(host.cli({"attach-device", "demo", dev, "--config"}));

    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo")).empty());
    const auto config = nvdimmElements(dumpxml(host, "demo", true));
    ASSERT_EQ(config.size(), 1u);
    EXPECT_TRUE(contains(config[0], "<address type='dimm' slot='0'")) << config[0];
    const auto st = host.stats();
    EXPECT_EQ(st["map_calls"], 0);
    expectNothingMappedFor(st, "demo");
}

TEST(CliAttach, PersistentOnRunningDomainChangesLiveAndConfig)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    expectAttached(host.cli({"attach-device", "demo", dev, "--persistent"}));
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo")).size(), 1u);
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo", true)).size(), 1u);
    EXPECT_EQ(host.stats()["domains"]["demo"]["mapped_bytes"], 256 * kMiB);
}

TEST(CliAttach, PersistentOnShutOffDomainIsConfigOnly)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    expectAttached(host.cli({"attach-device", "demo2", dev, "--persistent"}));
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo2", true)).size(), 1u);
    EXPECT_EQ(host.stats()["map_calls"], 0);
}

TEST(CliAttach, NoFlagOnRunningDomainIsLive)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    expectAttached(host.cli({"attach-device", "demo", dev}));
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo")).size(), 1u);
    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo", true)).empty());
}

TEST(CliAttach, NoFlagOnShutOffDomainIsConfig)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    expectAttached(host.cli({"attach-device", "demo2", dev, "--current"}));
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo2", true)).size(), 1u);
    EXPECT_EQ(host.stats()["map_calls"], 0);
}

TEST(CliAttach, FsdaxFileOnTheSimMountIsCreatedAndMapped)
{
    SimHostDir host;
    const std::string mount = host.fsdaxMount();
    ASSERT_TRUE(std::filesystem::is_directory(mount)) << mount;
    const std::string img = mount + "/guest-a.img";
    const auto dev = host.file("dev.xml", nvdimmXml({.path = img, .size_mib = 64}));

    expectAttached(host.cli({"attach-device", "demo", dev, "--live"}));

    EXPECT_TRUE(std::filesystem::exists(img));
    EXPECT_GE(std::filesystem::file_size(img), 64 * kMiB);
    const auto st = host.stats();
    EXPECT_EQ(st["domains"]["demo"]["mapped_bytes"], 64 * kMiB);
    EXPECT_EQ(st["entries_2m"], superpageEntries(64 * kMiB));
    EXPECT_EQ(st["map_calls"], mappingCalls(64 * kMiB));
    EXPECT_EQ(st["entries_4k"], 0);
    const auto live = nvdimmElements(dumpxml(host, "demo"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<path>" + img + "</path>")) << live[0];

    expectDetached(host.cli({"detach-device-alias", "demo", "nvdimm0", "--live"}));
    expectNothingMappedFor(host.stats(), "demo");
    EXPECT_TRUE(std::filesystem::exists(img)) << "detach must keep the user's backing file";
}

TEST(CliAttach, TwoDevicesGetDistinctSlotsAliasesAndRanges)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/second.img";
    const auto a = host.file("a.xml", nvdimmXml({.size_mib = 1024}));
    const auto b = host.file("b.xml", nvdimmXml({.path = img, .size_mib = 128}));
    expectAttached(host.cli({"attach-device", "demo", a, "--live"}));
    expectAttached(host.cli({"attach-device", "demo", b, "--live"}));

    const auto live = nvdimmElements(dumpxml(host, "demo"));
    ASSERT_EQ(live.size(), 2u);
    const std::string both = live[0] + live[1];
    EXPECT_TRUE(contains(both, "<alias name='nvdimm0'/>")) << both;
    EXPECT_TRUE(contains(both, "<alias name='nvdimm1'/>")) << both;
    EXPECT_TRUE(contains(both, "slot='0'")) << both;
    EXPECT_TRUE(contains(both, "slot='1'")) << both;

    const auto st = host.stats();
    EXPECT_EQ(st["domains"]["demo"]["mapped_bytes"], kGiB + 128 * kMiB);
    EXPECT_EQ(st["map_calls"], mappingCalls(kGiB) + mappingCalls(128 * kMiB));
    // No guest frame is mapped twice.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto &m : st["domains"]["demo"]["mappings"]) {
        const uint64_t gfn = m["gfn"].get<uint64_t>();
        ranges.emplace_back(gfn, gfn + m["nr"].get<uint64_t>());
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
        EXPECT_LE(ranges[i - 1].second, ranges[i].first);
}

TEST(CliAttach, ReadonlyDeviceStaysReadonlyInLiveXml)
{
    SimHostDir host;
    // Xen cannot enforce it: only with the advisory opt-in (docs/formatdomain-nvdimm.rst).
    host.setConfig("[hypervisor]\neject_timeout_ms=2000\nadvisory_readonly=true\n");
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256, .readonly = true}));
    expectAttached(host.cli({"attach-device", "demo", dev, "--live"}));
    const auto live = nvdimmElements(dumpxml(host, "demo"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<readonly/>")) << live[0];
    EXPECT_EQ(host.stats()["domains"]["demo"]["mapped_bytes"], 256 * kMiB);
}

TEST(CliDetach, ByFileUnmapsRevokesAndDropsTheDevice)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 1024}));
    expectAttached(host.cli({"attach-device", "demo", dev, "--live"}));
    expectDetached(host.cli({"detach-device", "demo", dev, "--live"}));

    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo")).empty());
    const auto st = host.stats();
    expectNothingMappedFor(st, "demo");
    EXPECT_EQ(st["unmap_calls"], 8);
    EXPECT_EQ(st["unmap_entries_2m"], 512);
    EXPECT_EQ(st["iomem_revoke_calls"], st["iomem_grant_calls"]);
}

TEST(CliDetach, ByAliasLeavesTheOtherDevice)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/keep.img";
    const auto a = host.file("a.xml", nvdimmXml({.size_mib = 512}));
    const auto b = host.file("b.xml", nvdimmXml({.path = img, .size_mib = 64}));
    expectAttached(host.cli({"attach-device", "demo", a}));
    expectAttached(host.cli({"attach-device", "demo", b}));
    expectDetached(host.cli({"detach-device-alias", "demo", "nvdimm0"}));

    const auto live = nvdimmElements(dumpxml(host, "demo"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<alias name='nvdimm1'/>")) << live[0];
    EXPECT_EQ(host.stats()["domains"]["demo"]["mapped_bytes"], 64 * kMiB);
}

TEST(CliDetach, ConfigRemovesFromThePersistentDefinition)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    expectAttached(host.cli({"attach-device", "demo2", dev, "--config"}));
    expectDetached(host.cli({"detach-device", "demo2", dev, "--config"}));
    EXPECT_TRUE(nvdimmElements(dumpxml(host, "demo2", true)).empty());
}

TEST(CliLifecycle, StartMapsConfiguredNvdimmsAndDestroyReleasesThem)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 1024}));
    expectAttached(host.cli({"attach-device", "demo2", dev, "--config"}));

    CliResult r = host.cli({"start", "demo2"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo2' started\n");
    auto st = host.stats();
    ASSERT_TRUE(st["domains"].contains("demo2")) << st.dump(2);
    EXPECT_EQ(st["domains"]["demo2"]["mapped_bytes"], kGiB);
    EXPECT_EQ(st["map_calls"], 8);
    const auto live = nvdimmElements(dumpxml(host, "demo2"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<alias name='nvdimm0'/>")) << live[0];

    r = host.cli({"destroy", "demo2"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo2' destroyed\n");
    st = host.stats();
    EXPECT_FALSE(st["domains"].contains("demo2") &&
                 st["domains"]["demo2"]["mapped_bytes"] != 0) << st.dump(2);
    r = host.cli({"list", "--all"});
    EXPECT_TRUE(contains(r.out, "demo2   shut off")) << r.out;
}

// As libvirt does: the slot and base start assigns go into the live XML
// (and the status), never into the persistent definition, which keeps
// what the user wrote; the same definition gets them again on every start.
TEST(CliLifecycle, StartAssignsAddressesInTheLiveXmlOnly)
{
    SimHostDir host;
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 64}));
    expectAttached(host.cli({"attach-device", "demo2", dev, "--config"}));
    std::string def = dumpxml(host, "demo2", true);
    const size_t at = def.find("<address type='dimm'");
    ASSERT_NE(at, std::string::npos) << def;   // attach --config assigned it
    def.erase(def.rfind('\n', at) + 1, def.find('\n', at) - def.rfind('\n', at));
    ASSERT_EQ(host.cli({"define", host.file("demo2.xml", def)}).status, 0);
    ASSERT_FALSE(contains(dumpxml(host, "demo2", true), "<address type='dimm'"));

    ASSERT_EQ(host.cli({"start", "demo2"}).status, 0);
    const auto live = nvdimmElements(dumpxml(host, "demo2"));
    ASSERT_EQ(live.size(), 1u);
    EXPECT_TRUE(contains(live[0], "<address type='dimm' slot='0' base='0x")) << live[0];
    EXPECT_FALSE(contains(dumpxml(host, "demo2", true), "<address type='dimm'"));

    ASSERT_EQ(host.cli({"destroy", "demo2"}).status, 0);
    ASSERT_EQ(host.cli({"start", "demo2"}).status, 0);
    EXPECT_EQ(nvdimmElements(dumpxml(host, "demo2")), live);
}

TEST(CliLifecycle, StartPausedShowsPausedInList)
{
    SimHostDir host;
    CliResult r = host.cli({"start", "demo2", "--paused"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo2' started\n");
    r = host.cli({"list"});
    EXPECT_TRUE(contains(r.out, "demo2   paused")) << r.out;
}

TEST(CliLifecycle, DefineAndUndefineUseVirshWords)
{
    SimHostDir host;
    std::string xml = dumpxml(host, "demo2", true);
    const size_t n = xml.find("<name>demo2</name>");
    ASSERT_NE(n, std::string::npos) << xml;
    xml.replace(n, 18, "<name>demo3</name>");
    const size_t u = xml.find("<uuid>");
    ASSERT_NE(u, std::string::npos);
    xml.replace(u + 6, 36, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    const auto file = host.file("demo3.xml", xml);

    CliResult r = host.cli({"define", file});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo3' defined from " + file + "\n");
    EXPECT_TRUE(contains(host.cli({"list", "--all"}).out, "demo3")) << "defined domain not listed";

    r = host.cli({"undefine", "demo3"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo3' has been undefined\n");
    EXPECT_FALSE(contains(host.cli({"list", "--all"}).out, "demo3"));
}

TEST(CliLifecycle, PrepareAndReleasePrintOneLinePerDevice)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/prep.img";
    expectAttached(host.cli({"attach-device", "demo2", host.file("a.xml", nvdimmXml({.size_mib = 256})), "--config"}));
    expectAttached(host.cli({"attach-device", "demo2",
                             host.file("b.xml", nvdimmXml({.path = img, .size_mib = 64})), "--config"}));
    CliResult r = host.cli({"prepare", "demo2"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "/dev/dax0.0 (devdax), slot 0")) << r.out;
    EXPECT_TRUE(contains(r.out, img + " (file), slot 1")) << r.out;
    EXPECT_TRUE(contains(r.out, "Domain 'demo2' prepared with 2 NVDIMM(s)\n")) << r.out;
    EXPECT_TRUE(std::filesystem::exists(img));

    r = host.cli({"release", "demo2"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "nvdimm0: /dev/dax0.0 released\nnvdimm1: " + img + " released\nDomain 'demo2' released\n");
    // Released: the backing can go to another domain now.
    expectAttached(host.cli({"attach-device", "demo", host.file("c.xml", nvdimmXml({.size_mib = 256})), "--live"}));
}

TEST(CliList, NameListsOneDomainNameALine)
{
    SimHostDir host;
    const CliResult r = host.cli({"list", "--all", "--name"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "demo\ndemo2\n\n");
}

TEST(CliPmemList, ConnectionShowsTheSimulatedNamespaces)
{
    SimHostDir host;
    const CliResult r = host.cli({"pmem-list", "--json"}, {{"LIBXL_NVDIMM_PMEM_FIXTURE", ""}});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto all = nlohmann::json::parse(r.out);
    bool devdax = false, fsdax = false;
    for (const auto &ns : all) {
        if (ns.value("chardev", "") == "dax0.0" && ns.value("mode", "") == "devdax")
            devdax = true;
        if (ns.value("mode", "") == "fsdax") {
            fsdax = true;
            EXPECT_EQ(ns.value("mount", ""), host.stateDir() + "/mnt/pmem1") << ns.dump();
        }
    }
    EXPECT_TRUE(devdax) << r.out;
    EXPECT_TRUE(fsdax) << r.out;
}

TEST(CliPmemList, ExtentsOfTheSimDevdaxStartAtItsDataSpa)
{
    SimHostDir host;
    const CliResult r = host.cli({"pmem-extents", "/dev/dax0.0", "--size", "1G", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["size"], kGiB);
    ASSERT_EQ(j["extents"].size(), 1u) << r.out;
    EXPECT_EQ(j["extents"][0]["spa"], 0x10000200000ull);
    EXPECT_EQ(j["extents"][0]["length"], kGiB);
    EXPECT_EQ(j["superpage"], true);
}

TEST(CliPmemList, ProvisionCreatesAFileOnTheSimMountThatAttachReuses)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/provisioned.img";
    CliResult r = host.cli({"pmem-provision", img, "--size", "64M", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["created"], true);
    EXPECT_EQ(j["size"], 64 * kMiB);
    EXPECT_EQ(std::filesystem::file_size(img), 64 * kMiB);
    r = host.cli({"pmem-provision", img, "--size", "64M", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["created"], false);
    expectAttached(host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({.path = img, .size_mib = 64}))}));
    EXPECT_EQ(host.stats()["domains"]["demo"]["mapped_bytes"], 64 * kMiB);
}

} // namespace
