// The simulated Xen host: every rule it enforces, its counters, its state
// directory, and the connection URIs.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "libxl/connection.h"
#include "hypervisor/domain_xml.h"
#include "sim/sim_host_description.h"
#include "sim/sim_hypervisor.h"
#include "sim/sim_pmem_inventory.h"
#include "test_support.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::TempDir;

namespace {

constexpr uint64_t kGiBFrames = (1ULL << 30) / kPageSize;
// Host frame of the default host's devdax data (SPA 0x10000200000).
constexpr uint64_t kDevdaxMfn = 0x10000200000ULL / kPageSize;
// A guest frame well above demo's RAM (64 GiB).
constexpr uint64_t kNvdimmGfn = (64ULL << 30) / kPageSize;

class SimHostTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        conn = Connection::open("sim:///default", dir.path());
        sim = &conn->requireSimulated("test");
        ASSERT_NE(sim, nullptr);
        demo = *sim->lookupByName("demo").domid;
    }

    // Expects `fn` to throw an xlnv::Error with `code` whose message has `text`.
    template <typename Fn>
    void expectError(Fn fn, ErrorCode code, const std::string &text)
    {
        try {
            fn();
            ADD_FAILURE() << "no error; expected " << errorCodeName(code);
        } catch (const Error &e) {
            EXPECT_EQ(errorCodeName(e.code()), std::string(errorCodeName(code))) << e.message();
            EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
        }
    }

    TempDir dir;
    std::unique_ptr<Connection> conn;
    SimHypervisor *sim = nullptr;
    uint32_t demo = 0;
};

TEST_F(SimHostTest, DefaultHostRunsDemoAndDefinesDemo2ShutOff)
{
    auto all = sim->listDomains(true);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].name, "demo");
    EXPECT_EQ(all[0].state, DomainState::Running);
    EXPECT_EQ(all[0].domid, std::optional<uint32_t>(1));
    EXPECT_EQ(all[1].name, "demo2");
    EXPECT_EQ(all[1].state, DomainState::Shutoff);
    EXPECT_FALSE(all[1].domid);
    EXPECT_EQ(sim->listDomains(false).size(), 1u);
}

TEST_F(SimHostTest, DemoHas4GiBRamSplitAroundTheMmioHole)
{
    DomainInfo d = sim->lookupByName("demo");
    EXPECT_EQ(d.kind, DomainKind::Hvm);
    EXPECT_EQ(d.memory_kib, 4ULL << 20);
    ASSERT_EQ(d.ram.size(), 2u);
    EXPECT_EQ(d.ram[0], (GuestRamRange{0, 0xF0000}));
    EXPECT_EQ(d.ram[1], (GuestRamRange{0x100000, 0x10000}));
    EXPECT_EQ(d.max_memory_kib, 2ULL << 30);
    EXPECT_EQ(d.memory_slots, 16u);
    ASSERT_EQ(d.vnuma.size(), 1u);
    EXPECT_EQ(d.vnuma[0].memory_kib, 4ULL << 20);
}

TEST_F(SimHostTest, LooksUpByIdUuidAndName)
{
    EXPECT_EQ(lookupDomain(*sim, "1").name, "demo");
    EXPECT_EQ(lookupDomain(*sim, "4DEA22B3-1D52-D8F3-2516-782E98AB3FA0").name, "demo");
    EXPECT_EQ(lookupDomain(*sim, "demo2").name, "demo2");
    expectError([&] { lookupDomain(*sim, "nosuch"); }, ErrorCode::NoDomain,
                "Domain not found: no domain with matching name 'nosuch'");
    expectError([&] { sim->lookupById(7); }, ErrorCode::NoDomain, "no domain with matching id 7");
}

TEST_F(SimHostTest, InventoryShowsDevdaxAndFsdaxWithMount)
{
    auto nss = conn->inventory().namespaces();
    ASSERT_EQ(nss.size(), 2u);
    EXPECT_EQ(nss[0].mode, PmemMode::Devdax);
    EXPECT_EQ(nss[0].chardev, "dax0.0");
    EXPECT_EQ(nss[0].size, 1ULL << 40);
    EXPECT_EQ(nss[0].spa, 0x10000200000ULL);
    EXPECT_EQ(nss[1].mode, PmemMode::Fsdax);
    EXPECT_EQ(nss[1].mount, dir / "mnt/pmem1");
    EXPECT_TRUE(std::filesystem::is_directory(nss[1].mount));
    EXPECT_EQ(conn->inventory().regions().size(), 2u);
    // Backed by sparse files in the state directory.
    EXPECT_EQ(std::filesystem::file_size(dir / "pmem/namespace0.0.img"), 1ULL << 40);
}

TEST_F(SimHostTest, Aligned1GiBMapsIn8CallsOf64SuperpageEntries)
{
    sim->grantIomem(demo, kDevdaxMfn, kGiBFrames);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, kGiBFrames);
    SimStats st = sim->stats();
    EXPECT_EQ(st.counters.map_calls, 8u);
    EXPECT_EQ(st.counters.entries_2m, 512u);
    EXPECT_EQ(st.counters.entries_4k, 0u);
    EXPECT_EQ(sim->mappings(demo), (std::vector<MemoryMapping>{{kNvdimmGfn, kDevdaxMfn, kGiBFrames}}));
}

TEST_F(SimHostTest, Unaligned1GiBMapsIn4096CallsOf64PageEntries)
{
    // Host frames one page off a 2 MiB boundary: never both aligned.
    sim->grantIomem(demo, kDevdaxMfn + 1, kGiBFrames);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn + 1, kGiBFrames);
    SimStats st = sim->stats();
    EXPECT_EQ(st.counters.map_calls, 4096u);
    EXPECT_EQ(st.counters.entries_4k, 262144u);
    EXPECT_EQ(st.counters.entries_2m, 0u);
}

TEST_F(SimHostTest, OneMappingCallMakesAtMost64Entries)
{
    sim->grantIomem(demo, kDevdaxMfn + 1, 1000);
    EXPECT_EQ(sim->mappingCall(demo, kNvdimmGfn, kDevdaxMfn + 1, 1000, true), 64u);
    // Aligned: 64 entries of 2 MiB.
    sim->grantIomem(demo, kDevdaxMfn + 0x100000, 0x100000);
    EXPECT_EQ(sim->mappingCall(demo, kNvdimmGfn + 0x100000, kDevdaxMfn + 0x100000, 0x100000, true),
              64u * 512u);
    EXPECT_EQ(sim->stats().counters.map_calls, 2u);
}

TEST_F(SimHostTest, MixedAlignmentUses4KiBUntilBothAligned)
{
    // gfn and mfn both 10 frames below a 2 MiB boundary: 10 small entries,
    // then superpages.
    sim->grantIomem(demo, kDevdaxMfn + 502, 10 + 1024);
    sim->mapMemory(demo, kNvdimmGfn + 502, kDevdaxMfn + 502, 10 + 1024);
    SimStats st = sim->stats();
    EXPECT_EQ(st.counters.map_calls, 1u);
    EXPECT_EQ(st.counters.entries_4k, 10u);
    EXPECT_EQ(st.counters.entries_2m, 2u);
}

TEST_F(SimHostTest, RefusesMappingWithoutIomemPermission)
{
    expectError([&] { sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512); }, ErrorCode::AccessDenied,
                "access denied: domain 'demo' has no iomem permission for host frames 0x10000200-0x100003ff");
    EXPECT_TRUE(sim->mappings(demo).empty());
}

TEST_F(SimHostTest, RefusesPermissionOnlyPartlyCoveringTheRange)
{
    sim->grantIomem(demo, kDevdaxMfn, 256);
    expectError([&] { sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512); }, ErrorCode::AccessDenied,
                "no iomem permission");
}

TEST_F(SimHostTest, RefusesMappingOnBehalfOfTheGuest)
{
    sim->grantIomem(demo, kDevdaxMfn, 512);
    expectError([&] { sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512, Caller::Guest); },
                ErrorCode::AccessDenied,
                "only the toolstack may change iomem permissions or memory mappings; "
                "refused a request from the guest of domain 1");
    EXPECT_EQ(sim->stats().counters.map_calls, 0u);
}

TEST_F(SimHostTest, RefusesMappingOnBehalfOfTheDeviceModel)
{
    sim->grantIomem(demo, kDevdaxMfn, 512);
    expectError([&] { sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512, Caller::DeviceModel); },
                ErrorCode::AccessDenied, "refused a request from the device model of domain 1");
}

TEST_F(SimHostTest, RefusesPermissionRequestedByTheGuest)
{
    expectError([&] { sim->grantIomem(demo, kDevdaxMfn, 512, Caller::Guest); }, ErrorCode::AccessDenied,
                "refused a request from the guest");
    EXPECT_TRUE(sim->iomemPermissions(demo).empty());
}

TEST_F(SimHostTest, RefusesHostFramesOutsidePersistentMemory)
{
    expectError([&] { sim->grantIomem(demo, 0x1000, 16); }, ErrorCode::InvalidArg,
                "invalid argument: host frames 0x1000-0x100f are not in a persistent memory namespace of this host");
}

TEST_F(SimHostTest, RefusesRangeStraddlingANamespaceEnd)
{
    const uint64_t lastMfn = kDevdaxMfn + (1ULL << 40) / kPageSize - 1;
    expectError([&] { sim->grantIomem(demo, lastMfn, 2); }, ErrorCode::InvalidArg,
                "not in a persistent memory namespace");
}

TEST_F(SimHostTest, RefusesOverlapWithGuestRam)
{
    sim->grantIomem(demo, kDevdaxMfn, 512);
    // Guest frame 0x100000 is demo's high RAM.
    expectError([&] { sim->mapMemory(demo, 0x100000, kDevdaxMfn, 512); }, ErrorCode::OperationInvalid,
                "Requested operation is not valid: guest frames 0x100000-0x1001ff overlap the RAM of domain 'demo'");
    EXPECT_TRUE(sim->mappings(demo).empty());
}

TEST_F(SimHostTest, RefusesOverlapWithAnExistingMapping)
{
    sim->grantIomem(demo, kDevdaxMfn, 2048);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    expectError([&] { sim->mapMemory(demo, kNvdimmGfn + 256, kDevdaxMfn + 1024, 512); },
                ErrorCode::OperationInvalid, "overlap its existing mapping of guest frames");
}

TEST_F(SimHostTest, RefusesHostFramesAlreadyMappedIntoAnotherDomain)
{
    const uint32_t demo2 = sim->startDomain("demo2");
    EXPECT_EQ(demo2, 2u);
    sim->grantIomem(demo, kDevdaxMfn, 512);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    sim->grantIomem(demo2, kDevdaxMfn, 512);
    expectError([&] { sim->mapMemory(demo2, kNvdimmGfn, kDevdaxMfn, 512); }, ErrorCode::OperationInvalid,
                "host frames 0x10000200-0x100003ff are already mapped into domain 'demo'");
    EXPECT_TRUE(sim->mappings(demo2).empty());
}

TEST_F(SimHostTest, RefusesMappingIntoAShutOffDomain)
{
    expectError([&] { sim->grantIomem(2, kDevdaxMfn, 512); }, ErrorCode::NoDomain,
                "no domain with matching id 2");
}

TEST_F(SimHostTest, RefusesMappingIntoAPvDomain)
{
    TempDir other;
    const std::string hostXml = std::string(R"(<simhost>
  <pmem><region dev='region0' spa='0x100000000' size='1GiB'>
    <namespace dev='namespace0.0' mode='devdax' chardev='dax0.0' size='1GiB'/></region></pmem>
  <guests><guest id='3' state='running'><domain type='xen'><name>pvguest</name>
    <memory unit='MiB'>512</memory><os><type>xen</type></os></domain></guest></guests>
</simhost>)");
    test::writeFile(other / "host.xml", hostXml);
    auto c = Connection::open("sim://" + other / "host.xml", other / "state");
    c->hypervisor().grantIomem(3, 0x100000, 512);
    expectError([&] { c->hypervisor().mapMemory(3, 0x100000, 0x100000, 512); },
                ErrorCode::OperationUnsupported,
                "memory mapping needs an HVM or PVH domain; domain 'pvguest' is PV");
}

TEST_F(SimHostTest, RefusesRevokingPermissionWhileMapped)
{
    sim->grantIomem(demo, kDevdaxMfn, 512);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    expectError([&] { sim->revokeIomem(demo, kDevdaxMfn, 512); }, ErrorCode::OperationInvalid,
                "host frames 0x10000200-0x100003ff are still mapped into domain 'demo'; unmap them first");
    EXPECT_EQ(sim->iomemPermissions(demo).size(), 1u);
}

TEST_F(SimHostTest, RefusesUnmappingWhatIsNotMapped)
{
    expectError([&] { sim->unmapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512); }, ErrorCode::OperationInvalid,
                "guest frames 0x1000000-0x10001ff of domain 'demo' are not mapped to host frames");
    EXPECT_EQ(sim->stats().counters.unmap_calls, 0u);
}

TEST_F(SimHostTest, FailedMapUndoesItsEarlierCalls)
{
    sim->grantIomem(demo, kDevdaxMfn, 4 * kGiBFrames);
    // Something already sits 512 MiB into the target window.
    sim->mapMemory(demo, kNvdimmGfn + kGiBFrames / 2, kDevdaxMfn + 2 * kGiBFrames, 512);
    const SimCounters before = sim->stats().counters;
    EXPECT_THROW(sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, kGiBFrames), Error);
    EXPECT_EQ(sim->mappings(demo),
              (std::vector<MemoryMapping>{{kNvdimmGfn + kGiBFrames / 2, kDevdaxMfn + 2 * kGiBFrames, 512}}));
    const SimCounters after = sim->stats().counters;
    // Four calls mapped 512 MiB before the refusal, then four unmapped it.
    EXPECT_EQ(after.map_calls - before.map_calls, 4u);
    EXPECT_EQ(after.unmap_calls - before.unmap_calls, 4u);
}

TEST_F(SimHostTest, UnmapThenRevokeLeavesNothing)
{
    sim->grantIomem(demo, kDevdaxMfn, kGiBFrames);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, kGiBFrames);
    sim->unmapMemory(demo, kNvdimmGfn, kDevdaxMfn, kGiBFrames);
    sim->revokeIomem(demo, kDevdaxMfn, kGiBFrames);
    SimStats st = sim->stats();
    EXPECT_EQ(st.counters.unmap_calls, 8u);
    EXPECT_EQ(st.counters.unmap_entries_2m, 512u);
    EXPECT_TRUE(sim->mappings(demo).empty());
    EXPECT_TRUE(sim->iomemPermissions(demo).empty());
}

TEST_F(SimHostTest, PartialUnmapSplitsTheMapping)
{
    sim->grantIomem(demo, kDevdaxMfn, 1536);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 1536);
    sim->unmapMemory(demo, kNvdimmGfn + 512, kDevdaxMfn + 512, 512);
    EXPECT_EQ(sim->mappings(demo), (std::vector<MemoryMapping>{{kNvdimmGfn, kDevdaxMfn, 512},
                                                              {kNvdimmGfn + 1024, kDevdaxMfn + 1024, 512}}));
}

TEST_F(SimHostTest, StatePersistsAcrossConnections)
{
    sim->grantIomem(demo, kDevdaxMfn, 512);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    conn.reset();
    auto again = Connection::open("sim:///default", dir.path());
    EXPECT_EQ(again->hypervisor().mappings(1), (std::vector<MemoryMapping>{{kNvdimmGfn, kDevdaxMfn, 512}}));
    EXPECT_EQ(again->requireSimulated("test").stats().counters.map_calls, 1u);
}

TEST_F(SimHostTest, EachSessionSeesWhatAnotherConnectionChanged)
{
    // Two hosts over one directory, as two processes: each keeps the state
    // it last read or wrote, and must notice the other's writes.
    auto other = Connection::open("sim:///default", dir.path());
    Hypervisor &hv2 = other->hypervisor();
    EXPECT_TRUE(sim->mappings(demo).empty());
    hv2.grantIomem(demo, kDevdaxMfn, 512);
    hv2.mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    EXPECT_EQ(sim->mappings(demo), (std::vector<MemoryMapping>{{kNvdimmGfn, kDevdaxMfn, 512}}));
    sim->unmapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    EXPECT_TRUE(hv2.mappings(demo).empty());
    EXPECT_EQ(hv2.iomemPermissions(demo), (std::vector<IomemPermission>{{kDevdaxMfn, 512}}));
    sim->revokeIomem(demo, kDevdaxMfn, 512);
    EXPECT_TRUE(hv2.iomemPermissions(demo).empty());
    // Nothing is left of the domain's ledger record, in the file either.
    EXPECT_NE(xlnv::test::readFile(dir.path() + "/host.json").find("\"ledger\": {}"), std::string::npos);
    EXPECT_EQ(other->requireSimulated("test").stats().counters.map_calls, 1u);
    EXPECT_EQ(sim->stats().counters.unmap_calls, 1u);
}

TEST_F(SimHostTest, ANameThatCannotBeADefinitionIsNoDomain)
{
    for (const std::string name : {"", ".demo", "a/b", "../demo", "demo.xml"})
        expectError([&] { sim->lookupByName(name); }, ErrorCode::NoDomain, "no domain with matching name");
    // A running domain without a persistent definition is found by name.
    ASSERT_EQ(unlink((dir.path() + "/definitions/demo.xml").c_str()), 0);
    EXPECT_EQ(sim->lookupByName("demo").domid, std::optional<uint32_t>(demo));
    EXPECT_EQ(sim->lookupById(demo).name, "demo");
}

TEST_F(SimHostTest, DeletingTheStateDirectoryResetsTheHost)
{
    sim->startDomain("demo2");
    sim->grantIomem(demo, kDevdaxMfn, 512);
    sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512);
    conn.reset();
    std::filesystem::remove_all(dir.path());
    auto fresh = Connection::open("sim:///default", dir.path());
    EXPECT_TRUE(fresh->hypervisor().mappings(1).empty());
    EXPECT_EQ(fresh->hypervisor().listDomains(false).size(), 1u);
    EXPECT_EQ(fresh->requireSimulated("test").stats().counters.map_calls, 0u);
}

TEST_F(SimHostTest, StartAndDestroyTearDownMappings)
{
    const uint32_t id = sim->startDomain("demo2");
    EXPECT_EQ(sim->lookupByName("demo2").state, DomainState::Running);
    sim->grantIomem(id, kDevdaxMfn, 512);
    sim->mapMemory(id, kNvdimmGfn, kDevdaxMfn, 512);
    sim->destroyDomain(id);
    EXPECT_EQ(sim->lookupByName("demo2").state, DomainState::Shutoff);
    EXPECT_EQ(sim->stats().domains.size(), 1u);
    // The frames are free for another domain again.
    sim->grantIomem(demo, kDevdaxMfn, 512);
    EXPECT_NO_THROW(sim->mapMemory(demo, kNvdimmGfn, kDevdaxMfn, 512));
    // A restarted domain gets a new id.
    EXPECT_EQ(sim->startDomain("demo2"), id + 1);
}

TEST_F(SimHostTest, ConcurrentProcessesSerialize)
{
    // Two processes map 40 ranges each; lost updates would drop some.
    constexpr int kRanges = 40;
    pid_t kids[2];
    for (int k = 0; k < 2; ++k) {
        kids[k] = fork();
        ASSERT_GE(kids[k], 0);
        if (kids[k] == 0) {
            int rc = 0;
            try {
                auto c = Connection::open("sim:///default", dir.path());
                for (int i = 0; i < kRanges; ++i) {
                    const uint64_t off = (static_cast<uint64_t>(k) * kRanges + i) * 512;
                    c->hypervisor().grantIomem(1, kDevdaxMfn + off, 512);
                    c->hypervisor().mapMemory(1, kNvdimmGfn + off * 2, kDevdaxMfn + off, 512);
                }
            } catch (...) {
                rc = 1;
            }
            _exit(rc);
        }
    }
    for (pid_t kid : kids) {
        int status = 0;
        waitpid(kid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    SimStats st = sim->stats();
    EXPECT_EQ(st.counters.map_calls, 2u * kRanges);
    EXPECT_EQ(st.counters.iomem_grant_calls, 2u * kRanges);
    ASSERT_EQ(st.domains.size(), 1u);
    EXPECT_EQ(st.domains[0].mapped_bytes, 2ULL * kRanges * 512 * kPageSize);
}

TEST_F(SimHostTest, DefinitionsStoreDefinesAndUndefines)
{
    auto xml = *conn->definitions().get("demo2");
    const std::string copy = std::string(xml).replace(xml.find("<name>demo2</name>"), 18, "<name>demo3</name>");
    conn->definitions().define("demo3", copy);
    EXPECT_EQ(sim->listDomains(true).size(), 3u);
    EXPECT_EQ(sim->lookupByName("demo3").state, DomainState::Shutoff);
    conn->definitions().undefine("demo3");
    expectError([&] { conn->definitions().undefine("demo3"); }, ErrorCode::NoDomain,
                "no domain with matching name 'demo3'");
    expectError([&] { conn->definitions().define("other", copy); }, ErrorCode::InvalidArg,
                "domain definition names 'demo3', expected 'other'");
}

TEST_F(SimHostTest, DevdaxBackingResolvesToTheWholeNamespace)
{
    ResolvedBacking b = conn->simulatedInventory()->resolveBacking("/dev/dax0.0");
    EXPECT_EQ(b.kind, BackingKind::Devdax);
    ASSERT_EQ(b.extents.size(), 1u);
    EXPECT_EQ(b.extents[0].spa, 0x10000200000ULL);
    EXPECT_EQ(b.size, 1ULL << 40);
    EXPECT_TRUE(b.superpage);
}

TEST_F(SimHostTest, FsdaxFilesGetDeterministicFirstFitExtents)
{
    const std::string mnt = dir / "mnt/pmem1";
    auto makeFile = [&](const std::string &name, uint64_t size) {
        std::filesystem::resize_file((test::writeFile(mnt + "/" + name, ""), mnt + "/" + name), size);
        return mnt + "/" + name;
    };
    const uint64_t nsSpa = 0x30000200000ULL;
    const std::string a = makeFile("a.img", 3 << 20);      // 3 MiB -> 4 MiB
    const std::string b = makeFile("b.img", 2 << 20);
    auto inv = conn->simulatedInventory();
    EXPECT_EQ(inv->resolveBacking(a).extents[0].spa, nsSpa + (2 << 20));   // after the reserved unit
    EXPECT_EQ(inv->resolveBacking(a).extents[0].length, 4u << 20);
    EXPECT_EQ(inv->resolveBacking(b).extents[0].spa, nsSpa + (6 << 20));
    // Removing a frees its place for the next file that fits.
    std::filesystem::remove(a);
    const std::string c = makeFile("c.img", 1 << 20);
    EXPECT_EQ(inv->resolveBacking(c).extents[0].spa, nsSpa + (2 << 20));
    // Like the real host: only beneath a DAX mount.
    expectError([&] { inv->resolveBacking(dir / "host.json"); }, ErrorCode::AccessDenied,
                "is outside the configured persistent memory roots");
}

TEST(SimConnection, RejectsUnknownUris)
{
    TempDir dir;
    auto expectNoConnect = [&](const std::string &uri, const std::string &text) {
        try {
            Connection::open(uri, dir.path());
            ADD_FAILURE() << uri << " opened";
        } catch (const Error &e) {
            EXPECT_EQ(e.code(), ErrorCode::NoConnect) << e.message();
            EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
        }
    };
    expectNoConnect("qemu:///system", "failed to connect to the hypervisor: no connection driver available for qemu:///system");
    expectNoConnect("xen:///session", "unexpected Xen URI path '/session', try xen:///system");
    expectNoConnect("sim:///other", "unexpected simulated host URI path '/other'");
    expectNoConnect("sim:///nonexistent/host.xml", "cannot read simulated host description '/nonexistent/host.xml'");
}

TEST(SimConnection, StateDirectoryOfAnotherHostIsRefused)
{
    TempDir dir;
    test::writeFile(dir / "host.xml", R"(<simhost><pmem/><guests/></simhost>)");
    Connection::open("sim:///default", dir / "state");
    try {
        Connection::open("sim://" + dir / "host.xml", dir / "state");
        ADD_FAILURE() << "opened";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("holds the simulated host 'sim:///default'"), std::string::npos) << e.message();
    }
}

TEST(SimConnection, XenSystemFailsCleanlyWithoutXen)
{
    if (access("/dev/xen/privcmd", F_OK) == 0 || access("/proc/xen/privcmd", F_OK) == 0)
        GTEST_SKIP() << "this machine runs Xen; the no-Xen error cannot be observed";
    TempDir dir;
    try {
        Connection::open("xen:///system", dir.path());
        ADD_FAILURE() << "xen:///system opened without Xen";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::NoConnect);
        EXPECT_EQ(e.message().rfind("failed to connect to the hypervisor: cannot connect to Xen: ", 0), 0u)
            << e.message();
        EXPECT_EQ(e.message().find('\n'), std::string::npos) << e.message();
    }
}

TEST(SimHostDescription, RejectsNamespaceOutsideItsRegion)
{
    try {
        parseSimHostDescription(R"(<simhost><pmem><region dev='region0' spa='0x100000000' size='1GiB'>
            <namespace dev='namespace0.0' mode='devdax' chardev='dax0.0' offset='2MiB' size='1GiB'/>
            </region></pmem></simhost>)", "t.xml");
        ADD_FAILURE() << "accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_NE(e.message().find("inside region 'region0'"), std::string::npos) << e.message();
    }
}

TEST(SimHostDescription, RejectsOverlappingNamespaces)
{
    EXPECT_THROW(parseSimHostDescription(R"(<simhost><pmem>
        <region dev='r0' spa='0x100000000' size='1GiB'><namespace dev='n0' mode='devdax' chardev='dax0.0' size='1GiB'/></region>
        <region dev='r1' spa='0x120000000' size='1GiB'><namespace dev='n1' mode='devdax' chardev='dax1.0' size='1GiB'/></region>
        </pmem></simhost>)", "t.xml"), Error);
}

TEST(SimHostDescription, ExplicitRamLayoutOverridesTheDefault)
{
    TempDir dir;
    test::writeFile(dir / "host.xml", R"(<simhost><pmem/><guests>
      <guest id='5' state='paused'><ram gfn='0x0' frames='0x100'/><ram gfn='0x200' frames='0x100'/>
        <domain type='xen'><name>g</name><memory unit='MiB'>2</memory><os><type>xenpvh</type></os></domain>
      </guest></guests></simhost>)");
    auto c = Connection::open("sim://" + dir / "host.xml", dir / "state");
    DomainInfo d = c->hypervisor().lookupById(5);
    EXPECT_EQ(d.state, DomainState::Paused);
    EXPECT_EQ(d.kind, DomainKind::Pvh);
    EXPECT_EQ(d.ram, (std::vector<GuestRamRange>{{0, 0x100}, {0x200, 0x100}}));
    // Without maxMemory the configurable defaults apply.
    EXPECT_EQ(d.memory_slots, DomainLimitDefaults{}.memory_slots);
}

TEST(DefinitionSummary, ScalesLibvirtUnits)
{
    EXPECT_EQ(scaleToKiB("2", "TiB", "maxMemory"), 2ULL << 30);
    EXPECT_EQ(scaleToKiB("1", "b", "memory"), 1u);
    EXPECT_EQ(scaleToKiB("1000", "KB", "memory"), 977u);
    EXPECT_THROW(scaleToKiB("1", "parsecs", "memory"), Error);
}

TEST(BatchPlan, FollowsXensEntryRules)
{
    EXPECT_EQ(planMappingBatch(0, 0, 1ULL << 20).frames, 64u * 512u);
    EXPECT_EQ(planMappingBatch(0, 1, 1ULL << 20).frames, 64u);
    EXPECT_EQ(planMappingBatch(0, 0, 100).entries_4k, 64u);
    EXPECT_EQ(planMappingBatch(0, 0, 600).entries_2m, 1u);
    EXPECT_EQ(planMappingBatch(0, 0, 600).entries_4k, 63u);
}

} // namespace

TEST(MinimalDefinition, ReadsBackWhatItWrote)
{
    DomainInfo info;
    info.name = "xl-made";
    info.uuid = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0";
    info.kind = DomainKind::Pvh;
    info.memory_kib = 2097152;
    info.max_memory_kib = 8388608;
    info.memory_slots = 4;
    info.vnuma = {{0, 1048576}, {1, 1048576}};
    const DefinitionSummary s = summarizeDefinition(minimalDefinition(info));
    EXPECT_EQ(s.name, info.name);
    EXPECT_EQ(s.uuid, info.uuid);
    EXPECT_EQ(s.kind, DomainKind::Pvh);
    EXPECT_EQ(s.memory_kib, info.memory_kib);
    EXPECT_EQ(s.max_memory_kib, info.max_memory_kib);
    EXPECT_EQ(s.memory_slots, 4u);
    EXPECT_EQ(s.vnuma, info.vnuma);
}
