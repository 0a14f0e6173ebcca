// The guest's physical address width: an NVDIMM placed beyond it is
// refused before anything is provisioned, labelled, pinned, granted or
// mapped (Xen would map it, and the guest would fault on every access).
// Simulated hosts give their guests a width (<simhost phys_bits>,
// <guest phys_bits>); live attach, --config attach, start and prepare
// all check against it.
#include <sys/stat.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "sim/sim_host_description.h"
#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

constexpr uint64_t kGiB = 1ull << 30;

struct WidthSpec {
    unsigned demo_bits = 0;                    // <guest phys_bits> of demo; 0: none
    unsigned host_bits = 0;                    // <simhost phys_bits>; 0: none
    uint64_t demo_max_kib = 2147483648ull;     // demo's <maxMemory>, 2 TiB as in sim:///default
};

// sim:///default's description with the widths and demo's maxMemory of
// `spec`, written into `dir`; returns the sim:// URI.
std::string widthHost(const std::string &dir, const WidthSpec &spec)
{
    std::string xml = defaultSimHostXml();
    auto replace = [&xml](const std::string &from, const std::string &to) {
        const size_t at = xml.find(from);
        if (at == std::string::npos)
            throw std::runtime_error("not in the default host: " + from);
        xml.replace(at, from.size(), to);
    };
    if (spec.host_bits)
        replace("<simhost name='default'>", "<simhost name='default' phys_bits='" +
                                                std::to_string(spec.host_bits) + "'>");
    if (spec.demo_bits)
        replace("<guest id='1' state='running'>",
                "<guest id='1' state='running' phys_bits='" + std::to_string(spec.demo_bits) + "'>");
    replace("<maxMemory slots='16' unit='KiB'>2147483648</maxMemory>",
            "<maxMemory slots='16' unit='KiB'>" + std::to_string(spec.demo_max_kib) + "</maxMemory>");
    const std::string path = dir + "/width-host.xml";
    FILE *f = fopen(path.c_str(), "w");
    if (!f)
        throw std::runtime_error("cannot write " + path);
    fputs(xml.c_str(), f);
    fclose(f);
    return "sim://" + path;
}

// A host on a description with `spec`; `probe` only lends its directory.
struct WidthHost {
    explicit WidthHost(const WidthSpec &spec) : host(widthHost(probe.dir(), spec)) {}
    LiveHost probe;
    LiveHost host;
};

const SimDomainStats *statsFor(const SimStats &s, const std::string &name)
{
    for (const auto &d : s.domains)
        if (d.name == name)
            return &d;
    return nullptr;
}

// Runs `op`, expecting the address-width refusal; returns its message.
template <typename Op>
std::string refusal(Op op)
{
    try {
        op();
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported) << e.message();
        return e.message();
    }
    ADD_FAILURE() << "the operation succeeded";
    return "";
}

std::string widthDomainXml(const std::string &name, uint64_t maxKib, const std::string &devices)
{
    return "<domain type='xen'><name>" + name + "</name><uuid>11111111-2222-3333-4444-5555555555" +
           std::to_string(10 + name.size()) + "</uuid>"
           "<maxMemory slots='4' unit='KiB'>" + std::to_string(maxKib) + "</maxMemory>"
           "<memory unit='KiB'>1048576</memory><currentMemory unit='KiB'>1048576</currentMemory>"
           "<vcpu>1</vcpu><os><type arch='x86_64' machine='xenfv'>hvm</type></os>"
           "<cpu><numa><cell id='0' cpus='0' memory='1048576' unit='KiB'/></numa></cpu>"
           "<devices>" + devices + "</devices></domain>";
}

bool exists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

} // namespace

TEST(GuestAddressWidth, LiveAttachBeyondTheWidthIsRefusedAndLeavesNothing)
{
    // demo: 40 bits, maxMemory 2 TiB -> the window starts at 2 TiB + 36 GiB.
    WidthHost w({.demo_bits = 40});
    const auto before = test::snapshotHost(w.host.dir());
    const SimCounters counters = w.host.conn().requireSimulated("test").stats().counters;

    const std::string msg = refusal(
        [&] { w.host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive); });
    EXPECT_EQ(msg, "unsupported configuration: NVDIMM 'nvdimm0' at guest address 0x20900000000-0x2093fffffff "
                   "is beyond the guest's 40-bit physical address space (ends at 0x10000000000): lower "
                   "<maxMemory> (or [hypervisor] default_max_memory_kib for domains without it)");

    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(w.host.dir())), "");
    const SimStats after = w.host.conn().requireSimulated("test").stats();
    EXPECT_EQ(after.counters.iomem_grant_calls, counters.iomem_grant_calls);
    EXPECT_EQ(after.counters.map_calls, counters.map_calls);
    EXPECT_EQ(statsFor(after, "demo")->mapped_bytes, 0u);
    EXPECT_EQ(w.host.driver().dumpXml("demo", false).find("model='nvdimm'"), std::string::npos);
}

TEST(GuestAddressWidth, RefusedAttachCreatesNoBackingFile)
{
    WidthHost w({.demo_bits = 40});
    const std::string file = w.host.mount() + "/new.img";
    const auto before = test::snapshotHost(w.host.dir());
    const std::string msg =
        refusal([&] { w.host.driver().attachDevice("demo", test::fileXml(file, 64), kAffectLive); });
    EXPECT_NE(msg.find("40-bit physical address space"), std::string::npos) << msg;
    EXPECT_FALSE(exists(file));
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(w.host.dir())), "");
}

TEST(GuestAddressWidth, SmallerMaxMemoryMovesTheWindowBelowTheWidth)
{
    // maxMemory 16 GiB: the window starts at 4 + 16 + 32 GiB = 52 GiB.
    WidthHost w({.demo_bits = 40, .demo_max_kib = 16 * 1024 * 1024});
    EXPECT_EQ(w.host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive), "nvdimm0");
    const std::string live = w.host.driver().dumpXml("demo", false);
    EXPECT_NE(live.find("base='0xd00000000'"), std::string::npos) << live;
    EXPECT_EQ(statsFor(w.host.conn().requireSimulated("test").stats(), "demo")->mapped_bytes, kGiB);
}

TEST(GuestAddressWidth, DeviceEndingExactlyAtTheLimitIsAttached)
{
    // 36 bits = 64 GiB; maxMemory 16 GiB puts the window at 52 GiB, and
    // 12 GiB end exactly at the limit.
    WidthHost w({.demo_bits = 36, .demo_max_kib = 16 * 1024 * 1024});
    EXPECT_EQ(w.host.driver().attachDevice("demo", test::devdaxXml("12", "GiB"), kAffectLive), "nvdimm0");
    const SimStats stats = w.host.conn().requireSimulated("test").stats();
    const auto &maps = statsFor(stats, "demo")->mappings;
    ASSERT_EQ(maps.size(), 1u);
    EXPECT_EQ((maps[0].gfn + maps[0].nr) * 4096, 64 * kGiB);
}

TEST(GuestAddressWidth, DeviceOneSuperpagePastTheLimitIsRefused)
{
    // maxMemory 17 GiB: window at 53 GiB; 11 GiB + 2 MiB end 2 MiB past 64 GiB.
    WidthHost w({.demo_bits = 36, .demo_max_kib = 17 * 1024 * 1024});
    const auto before = test::snapshotHost(w.host.dir());
    const std::string msg =
        refusal([&] { w.host.driver().attachDevice("demo", test::devdaxXml("11266", "MiB"), kAffectLive); });
    EXPECT_NE(msg.find("NVDIMM 'nvdimm0' at guest address 0xd40000000-0x10001fffff is beyond the guest's "
                       "36-bit physical address space (ends at 0x1000000000)"),
              std::string::npos)
        << msg;
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(w.host.dir())), "");
}

TEST(GuestAddressWidth, ExplicitBaseBeyondTheWidthAsksForALowerBase)
{
    WidthHost w({.demo_bits = 40, .demo_max_kib = 16 * 1024 * 1024});
    const std::string dev = "<memory model='nvdimm'><source><path>/dev/dax0.0</path></source>"
                            "<target><size unit='GiB'>1</size></target>"
                            "<address type='dimm' slot='3' base='0x10000000000'/></memory>";
    const std::string msg = refusal([&] { w.host.driver().attachDevice("demo", dev, kAffectLive); });
    EXPECT_NE(msg.find("NVDIMM 'nvdimm3' at guest address 0x10000000000-0x1003fffffff"), std::string::npos) << msg;
    EXPECT_NE(msg.find("give it a lower <address base>"), std::string::npos) << msg;
}

TEST(GuestAddressWidth, HostWideWidthAppliesToGuestsWithoutTheirOwn)
{
    WidthHost w({.host_bits = 40});
    const std::string msg = refusal(
        [&] { w.host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive); });
    EXPECT_NE(msg.find("40-bit physical address space"), std::string::npos) << msg;
}

TEST(GuestAddressWidth, GuestWidthOverridesTheHostWide)
{
    WidthHost w({.demo_bits = 46, .host_bits = 40});
    EXPECT_EQ(w.host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive), "nvdimm0");
}

TEST(GuestAddressWidth, ConfigAttachIsCheckedAgainstTheWidthTheDomainGets)
{
    // demo2 (shut off, maxMemory 1 TiB) gets the host's 40 bits when started.
    WidthHost w({.host_bits = 40});
    const std::string before = w.host.driver().dumpXml("demo2", true);
    const std::string msg = refusal(
        [&] { w.host.driver().attachDevice("demo2", test::devdaxXml("1", "GiB"), kAffectConfig); });
    EXPECT_NE(msg.find("at guest address 0x10900000000-"), std::string::npos) << msg;
    EXPECT_EQ(w.host.driver().dumpXml("demo2", true), before);
}

TEST(GuestAddressWidth, StartBeyondTheWidthIsRefusedBeforeAnythingIsMade)
{
    WidthHost w({.host_bits = 40});
    LiveHost &host = w.host;
    const std::string file = host.mount() + "/wide.img";
    host.driver().define(widthDomainXml("wide", 2147483648ull, test::fileXml(file, 64)));
    const auto before = test::snapshotHost(host.dir());
    const std::string msg = refusal([&] { host.driver().start("wide"); });
    EXPECT_NE(msg.find("beyond the guest's 40-bit physical address space"), std::string::npos) << msg;
    EXPECT_FALSE(exists(file));
    EXPECT_EQ(host.conn().hypervisor().lookupByName("wide").state, DomainState::Shutoff);
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(host.dir())), "");
}

TEST(GuestAddressWidth, PrepareOfANewDomainUsesTheHostsWidth)
{
    WidthHost w({.host_bits = 40});
    LiveHost &host = w.host;
    const auto before = test::snapshotHost(host.dir());
    const std::string msg = refusal([&] {
        host.driver().prepare(widthDomainXml("fresh", 2147483648ull, test::devdaxXml("1", "GiB")));
    });
    EXPECT_NE(msg.find("NVDIMM 'nvdimm0' at guest address 0x20900000000-"), std::string::npos) << msg;
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(host.dir())), "");

    // With a small maxMemory the same device fits.
    const PreparedDomain p =
        host.driver().prepare(widthDomainXml("fresh", 16 * 1024 * 1024, test::devdaxXml("1", "GiB")));
    ASSERT_EQ(p.layout.devices.size(), 1u);
    EXPECT_EQ(p.layout.devices[0].base, 52 * kGiB);
    host.driver().release("fresh");
}

TEST(GuestAddressWidth, SimulatedGuestRefusesAMappingBeyondItsWidth)
{
    // The sim's own rule, below the engine: Xen would map, the guest could not use it.
    WidthHost w({.demo_bits = 40});
    SimHypervisor &sim = w.host.conn().requireSimulated("test");
    const uint32_t domid = *sim.lookupByName("demo").domid;
    const uint64_t mfn = 0x10000200000ull / 4096;
    const uint64_t limit = (1ull << 40) / 4096;
    sim.grantIomem(domid, mfn, 1024);
    try {
        // One call of two 2 MiB entries, the second one past the limit.
        sim.mapMemory(domid, limit - 512, mfn, 1024);
        FAIL() << "mapped beyond the width";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_EQ(e.message(), "unsupported configuration: guest frames 0xffffe00-0x100001ff are beyond the "
                               "40-bit physical address space of domain 'demo'");
    }
    EXPECT_TRUE(sim.mappings(domid).empty());
    // Right below the limit is fine.
    sim.mapMemory(domid, limit - 512, mfn, 512);
    EXPECT_EQ(sim.mappings(domid).size(), 1u);
    sim.unmapMemory(domid, limit - 512, mfn, 512);
    sim.revokeIomem(domid, mfn, 1024);
}

TEST(GuestAddressWidth, DescriptionGivesEachGuestItsWidth)
{
    WidthHost w({.demo_bits = 40, .host_bits = 44});
    EXPECT_EQ(w.host.conn().hypervisor().lookupByName("demo").phys_addr_bits, 40u);
    EXPECT_EQ(w.host.conn().hypervisor().lookupByName("demo2").phys_addr_bits, 44u);
    EXPECT_EQ(w.host.conn().hypervisor().defaultPhysAddrBits(DomainKind::Hvm), 44u);
    LiveHost plain;
    EXPECT_EQ(plain.conn().hypervisor().lookupByName("demo").phys_addr_bits, kSimDefaultPhysBits);
}

TEST(GuestAddressWidth, DescriptionRefusesAnImpossibleWidth)
{
    for (const char *bad : {"31", "53", "forty", ""}) {
        std::string xml = defaultSimHostXml();
        const std::string from = "<guest id='1' state='running'>";
        xml.replace(xml.find(from), from.size(), "<guest id='1' state='running' phys_bits='" + std::string(bad) + "'>");
        try {
            parseSimHostDescription(xml, "test");
            ADD_FAILURE() << "phys_bits='" << bad << "' accepted";
        } catch (const Error &e) {
            EXPECT_EQ(e.code(), ErrorCode::XmlError);
            EXPECT_EQ(e.message(), "XML error: invalid value '" + std::string(bad) +
                                       "' for attribute 'phys_bits' of <guest> in simulated host 'test', "
                                       "expected 32 to 52");
        }
    }
}
