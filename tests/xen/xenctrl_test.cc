// The libxenctrl hypervisor against the mock libxenctrl (LD_PRELOAD):
// exact call sequences, injected failures, partial counts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "conf/domain_conf.h"
#include "libxl/connection.h"
#include "libxl/guest_layout.h"
#include "xen/xenctrl_hypervisor.h"
#include "test_support.h"
#include "util/error.h"

extern "C" void mock_xc_reset(void) __attribute__((weak));

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::TempDir;

namespace {

constexpr uint64_t kMfn = 0x100000;      // 2 MiB aligned host frame
constexpr uint64_t kGfn = 0x1000000;     // 64 GiB in the guest
constexpr const char *kHvmDefaultPolicy = "5";   // XEN_SYSCTL_cpu_policy_hvm_default

class XenctrlTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!mock_xc_reset)
            GTEST_SKIP() << "the mock libxenctrl is not preloaded (run through meson test)";
        mock_xc_reset();
        log = dir / "calls.log";
        setenv("MOCK_XC_LOG", log.c_str(), 1);
        unsetenv("MOCK_XC_FAIL");
        unsetenv("MOCK_XC_PARTIAL");
        unsetenv("MOCK_XC_DOMAINS");
        unsetenv("MOCK_XC_VNUMA");
        unsetenv("MOCK_XC_PHYS_BITS");
    }
    void TearDown() override
    {
        unsetenv("MOCK_XC_LOG");
        unsetenv("MOCK_XC_FAIL");
        unsetenv("MOCK_XC_PARTIAL");
    }

    std::unique_ptr<XenctrlHypervisor> open()
    {
        return std::make_unique<XenctrlHypervisor>(dir / "state", DomainLimitDefaults{});
    }

    // Logged calls of the mapping and permission functions, in order.
    std::vector<std::string> calls(const std::string &prefix = "xc_domain_")
    {
        std::vector<std::string> out;
        std::istringstream in(test::readFile(log));
        for (std::string line; std::getline(in, line);)
            if (line.rfind(prefix, 0) == 0 && line.rfind("xc_domain_getinfolist", 0) != 0)
                out.push_back(line);
        return out;
    }
    void clearLog() { test::writeFile(log, ""); }

    static std::string map(uint64_t gfn, uint64_t mfn, uint64_t nr, int add = 1)
    {
        std::ostringstream s;
        s << "xc_domain_memory_mapping domid=1 gfn=0x" << std::hex << gfn << " mfn=0x" << mfn
          << std::dec << " nr=" << nr << " add=" << add;
        return s.str();
    }
    static std::string perm(uint64_t mfn, uint64_t nr, int allow)
    {
        std::ostringstream s;
        s << "xc_domain_iomem_permission domid=1 mfn=0x" << std::hex << mfn << std::dec << " nr=" << nr
          << " allow=" << allow;
        return s.str();
    }

    TempDir dir;
    std::string log;
};

TEST_F(XenctrlTest, ListsDomainsWithNamesFromLibxl)
{
    setenv("MOCK_XC_DOMAINS", "1:demo:hvm:running:4096:4dea22b3-1d52-d8f3-2516-782e98ab3fa0,"
                              "7:pvhguest:pvh:paused:256:11111111-2222-3333-4444-555555555555", 1);
    setenv("MOCK_XC_VNUMA", "128,128", 1);
    auto hv = open();
    auto doms = hv->listDomains(false);
    ASSERT_EQ(doms.size(), 3u);
    EXPECT_EQ(doms[0].name, "Domain-0");
    EXPECT_EQ(doms[1].name, "demo");
    EXPECT_EQ(doms[1].uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");
    EXPECT_EQ(doms[1].kind, DomainKind::Hvm);
    EXPECT_EQ(doms[1].memory_kib, 4ULL << 20);
    EXPECT_EQ(doms[1].ram, hvmRamLayout(4ULL << 20));
    EXPECT_EQ(doms[2].kind, DomainKind::Pvh);
    EXPECT_EQ(doms[2].state, DomainState::Paused);
    EXPECT_EQ(doms[2].vnuma, (std::vector<VnumaCell>{{0, 128 * 1024}, {1, 128 * 1024}}));
    // xl-made domains have no maxMemory: the configurable defaults apply.
    EXPECT_EQ(doms[2].memory_slots, DomainLimitDefaults{}.memory_slots);
    EXPECT_EQ(hv->lookupByName("pvhguest").domid, std::optional<uint32_t>(7));
    EXPECT_EQ(hv->lookupByUuid("11111111222233334444555555555555").name, "pvhguest");
}

TEST_F(XenctrlTest, FailedInterfaceOpenIsNoConnect)
{
    setenv("MOCK_XC_FAIL", "xc_interface_open:1:ENOENT", 1);
    try {
        open();
        ADD_FAILURE() << "opened";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::NoConnect);
        EXPECT_EQ(e.message(), "failed to connect to the hypervisor: cannot connect to Xen: No such file or directory");
    }
}

TEST_F(XenctrlTest, FailedLibxlContextClosesXenctrlAndIsNoConnect)
{
    setenv("MOCK_XC_FAIL", "libxl_ctx_alloc:1:EIO", 1);
    EXPECT_THROW(open(), Error);
    EXPECT_NE(test::readFile(log).find("xc_interface_close"), std::string::npos);
}

TEST_F(XenctrlTest, PermissionComesBeforeAlignedMappingIn128MiBCalls)
{
    auto hv = open();
    clearLog();
    hv->grantIomem(1, kMfn, 0x40000);          // 1 GiB
    hv->mapMemory(1, kGfn, kMfn, 0x40000);
    std::vector<std::string> expected{perm(kMfn, 0x40000, 1)};
    for (uint64_t i = 0; i < 8; ++i)
        expected.push_back(map(kGfn + i * 0x8000, kMfn + i * 0x8000, 0x8000));
    EXPECT_EQ(calls(), expected);
    EXPECT_EQ(hv->mappings(1), (std::vector<MemoryMapping>{{kGfn, kMfn, 0x40000}}));
    EXPECT_EQ(hv->iomemPermissions(1), (std::vector<IomemPermission>{{kMfn, 0x40000}}));
}

TEST_F(XenctrlTest, UnalignedMappingGoes64FramesPerCall)
{
    auto hv = open();
    clearLog();
    hv->mapMemory(1, kGfn, kMfn + 1, 200);
    EXPECT_EQ(calls(), (std::vector<std::string>{map(kGfn, kMfn + 1, 64), map(kGfn + 64, kMfn + 65, 64),
                                                 map(kGfn + 128, kMfn + 129, 64),
                                                 map(kGfn + 192, kMfn + 193, 8)}));
}

TEST_F(XenctrlTest, UnmapWalksBatchesInReverseThenRevokes)
{
    auto hv = open();
    hv->grantIomem(1, kMfn, 0x10000);
    hv->mapMemory(1, kGfn, kMfn, 0x10000);     // 256 MiB: two calls
    clearLog();
    hv->unmapMemory(1, kGfn, kMfn, 0x10000);
    hv->revokeIomem(1, kMfn, 0x10000);
    EXPECT_EQ(calls(), (std::vector<std::string>{map(kGfn + 0x8000, kMfn + 0x8000, 0x8000, 0),
                                                 map(kGfn, kMfn, 0x8000, 0), perm(kMfn, 0x10000, 0)}));
    EXPECT_TRUE(hv->mappings(1).empty());
    EXPECT_TRUE(hv->iomemPermissions(1).empty());
}

TEST_F(XenctrlTest, InterruptedCallIsRetried)
{
    auto hv = open();
    setenv("MOCK_XC_FAIL", "xc_domain_memory_mapping:2:EINTR", 1);
    clearLog();
    hv->mapMemory(1, kGfn, kMfn, 0x10000);
    EXPECT_EQ(calls(), (std::vector<std::string>{map(kGfn, kMfn, 0x8000), map(kGfn + 0x8000, kMfn + 0x8000, 0x8000),
                                                 map(kGfn + 0x8000, kMfn + 0x8000, 0x8000)}));
    EXPECT_EQ(hv->mappings(1).size(), 1u);
}

TEST_F(XenctrlTest, PartialCountContinuesAfterTheFramesDone)
{
    auto hv = open();
    setenv("MOCK_XC_PARTIAL", "1:100", 1);
    clearLog();
    hv->mapMemory(1, kGfn, kMfn, 0x8000);
    EXPECT_EQ(calls(), (std::vector<std::string>{map(kGfn, kMfn, 0x8000), map(kGfn + 100, kMfn + 100, 0x8000 - 100)}));
}

TEST_F(XenctrlTest, FailedBatchUndoesEarlierBatchesInReverse)
{
    auto hv = open();
    setenv("MOCK_XC_FAIL", "xc_domain_memory_mapping:3:EIO", 1);
    clearLog();
    try {
        hv->mapMemory(1, kGfn, kMfn, 0x18000);  // three calls
        ADD_FAILURE() << "mapped";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationFailed);
        EXPECT_NE(e.message().find("cannot map host frames 0x110000-0x117fff at guest frames 0x1010000-0x1017fff "
                                   "of domain 1: Input/output error"), std::string::npos) << e.message();
    }
    EXPECT_EQ(calls(), (std::vector<std::string>{map(kGfn, kMfn, 0x8000), map(kGfn + 0x8000, kMfn + 0x8000, 0x8000),
                                                 map(kGfn + 0x10000, kMfn + 0x10000, 0x8000),
                                                 map(kGfn + 0x8000, kMfn + 0x8000, 0x8000, 0),
                                                 map(kGfn, kMfn, 0x8000, 0)}));
    EXPECT_TRUE(hv->mappings(1).empty());
}

TEST_F(XenctrlTest, FailedUnmapStillRemovesTheRestAndReportsTheFirstError)
{
    auto hv = open();
    hv->mapMemory(1, kGfn, kMfn, 0x10000);
    setenv("MOCK_XC_FAIL", "xc_domain_memory_mapping:3:EPERM", 1);   // the first unmap call
    clearLog();
    EXPECT_THROW(hv->unmapMemory(1, kGfn, kMfn, 0x10000), Error);
    EXPECT_EQ(calls().size(), 2u);
    // The batch Xen refused stays on record; the other one is gone.
    EXPECT_EQ(hv->mappings(1), (std::vector<MemoryMapping>{{kGfn + 0x8000, kMfn + 0x8000, 0x8000}}));
}

TEST_F(XenctrlTest, RefusedPermissionIsOperationFailedAndRecordsNothing)
{
    auto hv = open();
    setenv("MOCK_XC_FAIL", "xc_domain_iomem_permission:1:EPERM", 1);
    try {
        hv->grantIomem(1, kMfn, 16);
        ADD_FAILURE() << "granted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationFailed);
        EXPECT_NE(e.message().find("Operation not permitted"), std::string::npos) << e.message();
    }
    EXPECT_TRUE(hv->iomemPermissions(1).empty());
}

TEST_F(XenctrlTest, GuestCallerMakesNoHypercall)
{
    auto hv = open();
    clearLog();
    EXPECT_THROW(hv->mapMemory(1, kGfn, kMfn, 512, Caller::Guest), Error);
    EXPECT_THROW(hv->grantIomem(1, kMfn, 512, Caller::DeviceModel), Error);
    EXPECT_TRUE(calls().empty());
}

TEST_F(XenctrlTest, LedgerIgnoresARecordOfAReusedDomid)
{
    auto hv = open();
    hv->grantIomem(1, kMfn, 16);
    // Domain 1 is now another guest (another uuid).
    setenv("MOCK_XC_DOMAINS", "1:other:hvm:running:1024:99999999-2222-3333-4444-555555555555", 1);
    EXPECT_TRUE(hv->iomemPermissions(1).empty());
}

TEST_F(XenctrlTest, ConnectionOnXenRefusesSimStats)
{
    auto conn = Connection::open("xen:///system", dir / "state");
    EXPECT_STREQ(conn->hypervisor().driverName(), "xen");
    try {
        conn->requireSimulated("sim-stats");
        ADD_FAILURE() << "accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationUnsupported);
        EXPECT_EQ(e.message(), "Operation not supported: 'sim-stats' works only on a simulated host (sim://), "
                               "not on xen:///system");
    }
}

TEST_F(XenctrlTest, CliListAndSimStatsOnXen)
{
    const char *mock = std::getenv("MOCK_XENCTRL_LIB");
    if (!mock)
        GTEST_SKIP() << "MOCK_XENCTRL_LIB not set";
    const std::string env = "LD_PRELOAD='" + std::string(mock) + "' MOCK_XC_LOG=";
    auto r = test::runCli("-c xen:///system --state-dir '" + dir / "state" + "' list", env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              " Id   Name       State\n"
              "--------------------------\n"
              " 0    Domain-0   running\n"
              " 1    demo       running\n"
              "\n");
    r = test::runCli("-c xen:///system --state-dir '" + dir / "state" + "' sim-stats", env);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: Operation not supported: 'sim-stats' works only on a simulated host (sim://), "
                     "not on xen:///system\n");
}

} // namespace

// The guest's physical address width comes from Xen's CPU policy (CPUID
// leaf 0x80000008, EAX[7:0]): the domain's own when it runs, the default
// HVM policy for a domain not created yet (PVH guests are HVM containers).
TEST_F(XenctrlTest, PhysAddrBitsOfARunningDomainComeFromItsCpuPolicy)
{
    setenv("MOCK_XC_PHYS_BITS", "39", 1);
    auto hv = open();
    const DomainInfo demo = hv->lookupByName("demo");
    clearLog();
    EXPECT_EQ(hv->physAddrBits(demo), 39u);
    EXPECT_EQ(calls("xc_cpu_policy_get_"),
              (std::vector<std::string>{"xc_cpu_policy_get_domain domid=1"}));
    // The policy object is freed again.
    EXPECT_NE(test::readFile(log).find("xc_cpu_policy_destroy"), std::string::npos);
    unsetenv("MOCK_XC_PHYS_BITS");
}

TEST_F(XenctrlTest, PhysAddrBitsOfANewDomainComeFromTheDefaultHvmPolicy)
{
    setenv("MOCK_XC_PHYS_BITS", "46", 1);
    auto hv = open();
    clearLog();
    EXPECT_EQ(hv->defaultPhysAddrBits(DomainKind::Pvh), 46u);
    EXPECT_EQ(hv->defaultPhysAddrBits(DomainKind::Hvm), 46u);
    const std::string idx = kHvmDefaultPolicy;
    EXPECT_EQ(calls("xc_cpu_policy_get_"),
              (std::vector<std::string>{"xc_cpu_policy_get_system idx=" + idx,
                                        "xc_cpu_policy_get_system idx=" + idx}));
    // A PV guest has no guest physical address space of this kind.
    clearLog();
    EXPECT_EQ(hv->defaultPhysAddrBits(DomainKind::Pv), 0u);
    EXPECT_TRUE(calls("xc_cpu_policy_").empty());
    unsetenv("MOCK_XC_PHYS_BITS");
}

TEST_F(XenctrlTest, FailedPolicyQueryMeansUnknownWidthNotAnError)
{
    setenv("MOCK_XC_FAIL", "xc_cpu_policy_get_domain:1:EPERM,xc_cpu_policy_get_system:1:EIO", 1);
    auto hv = open();
    const DomainInfo demo = hv->lookupByName("demo");
    EXPECT_EQ(hv->physAddrBits(demo), 0u);
    EXPECT_EQ(hv->defaultPhysAddrBits(DomainKind::Hvm), 0u);
    // The next query works again.
    EXPECT_EQ(hv->physAddrBits(demo), 40u);
}

// What the layout uses: the running domain's width for a known name, the
// default policy's for a domain Xen does not know yet.
TEST_F(XenctrlTest, LayoutWidthIsTheRunningDomainsElseTheDefault)
{
    auto hv = open();
    conf::DomainXml known = conf::DomainXml::parseString(
        "<domain type='xen'><name>demo</name><memory unit='KiB'>1048576</memory>"
        "<os><type>hvm</type></os></domain>", 0);
    conf::DomainXml fresh = conf::DomainXml::parseString(
        "<domain type='xen'><name>fresh</name><memory unit='KiB'>1048576</memory>"
        "<os><type>xenpvh</type></os></domain>", 0);
    setenv("MOCK_XC_PHYS_BITS", "40", 1);
    clearLog();
    EXPECT_EQ(guestPhysAddrBits(*hv, known), 40u);
    EXPECT_EQ(guestPhysAddrBits(*hv, fresh), 40u);
    EXPECT_EQ(calls("xc_cpu_policy_get_"),
              (std::vector<std::string>{"xc_cpu_policy_get_domain domid=1",
                                        "xc_cpu_policy_get_system idx=" +
                                            std::string(kHvmDefaultPolicy)}));
    unsetenv("MOCK_XC_PHYS_BITS");
}
