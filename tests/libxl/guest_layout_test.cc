// Guest physical layout rules, one behaviour per test. The host is a
// small JSON fixture (the same format the CLI and data tests use).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "conf/domain_conf.h"
#include "libxl/libxl_config.h"
#include "libxl/guest_layout.h"
#include "pmem/host_fixture.h"
#include "util/error.h"
#include "util/log.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

const char *kHost = R"({
  "regions": [ { "dev": "region0", "spa": "0x2000000000", "size": "0x200000000", "align": "0x1000000", "numa_node": 0 } ],
  "namespaces": [
    { "dev": "namespace0.0", "region": "region0", "mode": "devdax", "size": "0x40000000",
      "spa": "0x2000000000", "align": "0x200000", "numa_node": 0, "chardev": "dax0.0" },
    { "dev": "namespace0.1", "region": "region0", "mode": "devdax", "size": "0x40000000",
      "spa": "0x2040000000", "align": "0x200000", "numa_node": 0, "chardev": "dax0.1" },
    { "dev": "namespace0.2", "region": "region0", "mode": "devdax", "size": "0x3ff00000",
      "spa": "0x2080001000", "align": "0x1000", "numa_node": 0, "chardev": "dax0.2" },
    { "dev": "namespace0.3", "region": "region0", "mode": "devdax", "size": "0x3ff00000",
      "spa": "0x20c0001000", "align": "0x1000", "numa_node": 0, "chardev": "dax0.3" }
  ],
  "backings": [
    { "path": "/dev/dax0.0", "kind": "devdax", "namespace": "namespace0.0" },
    { "path": "/dev/dax0.1", "kind": "devdax", "namespace": "namespace0.1" },
    { "path": "/dev/dax0.2", "kind": "devdax", "namespace": "namespace0.2" },
    { "path": "/dev/dax0.3", "kind": "devdax", "namespace": "namespace0.3" },
    { "path": "/f", "kind": "file", "namespace": "namespace0.1",
      "extents": [ { "offset": 0, "spa": "0x2050000000", "length": "0x200000" },
                   { "offset": "0x200000", "spa": "0x2040000000", "length": "0x1000000" } ] }
  ]
})";

std::string nvdimm(const std::string &path, const std::string &size_kib,
                   const std::string &extra_target = "", const std::string &address = "")
{
    return "<memory model='nvdimm'><source><path>" + path + "</path></source><target><size unit='KiB'>" +
           size_kib + "</size>" + extra_target + "</target>" + address + "</memory>";
}

std::string domain(const std::string &devices, const std::string &maxmem_kib = "16777216",
                   const std::string &os = "hvm")
{
    return "<domain type='xen'><name>t</name><maxMemory slots='4' unit='KiB'>" + maxmem_kib +
           "</maxMemory><memory unit='KiB'>4194304</memory><vcpu>1</vcpu><os><type>" + os +
           "</type></os><devices>" + devices + "</devices></domain>";
}

struct Fixture {
    FixtureHost host = FixtureHost::fromString(kHost, "test-host");
    LayoutOptions options()
    {
        LayoutOptions o;
        o.namespaces = host.inventory().namespaces();
        return o;
    }
};

struct Warnings {
    std::vector<std::string> list;
    WarningSink old;
    Warnings() { old = setWarningSink([this](const std::string &m) { list.push_back(m); }); }
    ~Warnings() { setWarningSink(old); }
};

} // namespace

TEST(GuestLayout, WindowStartsAboveMaxMemoryPlusBarReserve)
{
    auto dom = conf::DomainXml::parseString(domain(""), conf::NVDIMM_INACTIVE);
    // 4 GiB hole + 16 GiB maxMemory + 32 GiB BAR reserve = 52 GiB.
    EXPECT_EQ(nvdimmWindowBase(dom), 52ull << 30);
}

TEST(GuestLayout, WindowIsGiBAligned)
{
    auto dom = conf::DomainXml::parseString(domain("", "16777217"), conf::NVDIMM_INACTIVE);
    EXPECT_EQ(nvdimmWindowBase(dom), 53ull << 30);
}

TEST(GuestLayout, GuestSizeIsTargetMinusLabelAlignedDownTo2MiB)
{
    conf::NvdimmDef def;
    def.path = "/x";
    def.size_kib = 1048576 + 128;
    def.label_size_kib = 128;
    EXPECT_EQ(nvdimmGuestSize(def), 1ull << 30);
    def.size_kib = 1048576 + 2047;
    def.label_size_kib = 0;
    EXPECT_EQ(nvdimmGuestSize(def), 1ull << 30);
}

TEST(GuestLayout, RejectsGuestAreaBelow2MiB)
{
    conf::NvdimmDef def;
    def.path = "/x";
    def.size_kib = 4096;
    def.label_size_kib = 2048 + 128;
    EXPECT_THROW(nvdimmGuestSize(def), Error);
}

TEST(GuestLayout, PlacesFirstDeviceAtWindowBaseAndWritesItBack)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.0", "1048576")), conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    ASSERT_EQ(layout.devices.size(), 1u);
    EXPECT_EQ(layout.devices[0].base, 52ull << 30);
    EXPECT_EQ(layout.devices[0].slot, 0u);
    const auto &addr = dom.nvdimms()[0].address;
    EXPECT_TRUE(addr.present);
    EXPECT_EQ(addr.slot, 0u);
    EXPECT_EQ(addr.base, 52ull << 30);
}

TEST(GuestLayout, AlignedHostRangeKeepsFramesCongruentMod512)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.0", "1048576")), conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    ASSERT_EQ(layout.devices[0].ranges.size(), 1u);
    const IomemRange &r = layout.devices[0].ranges[0];
    EXPECT_EQ(r.mfn, 0x2000000000ull / 4096);
    EXPECT_EQ(r.nr, (1ull << 30) / 4096);
    EXPECT_EQ(r.gfn % 512, r.mfn % 512);
    EXPECT_TRUE(r.superpage);
}

TEST(GuestLayout, SplitsAtExtentsAndStopsAtGuestSize)
{
    Fixture f;
    // /f has 2 MiB + 16 MiB; the device shows 8 MiB.
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/f", "8192")), conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    const auto &ranges = layout.devices[0].ranges;
    ASSERT_EQ(ranges.size(), 2u);
    const uint64_t gfn0 = (52ull << 30) / 4096;
    EXPECT_EQ(ranges[0], (IomemRange{0x2050000000ull / 4096, 512, gfn0, true}));
    EXPECT_EQ(ranges[1], (IomemRange{0x2040000000ull / 4096, 1536, gfn0 + 512, true}));
}

TEST(GuestLayout, FourKiBHostRangesAreMappedAndWarnedOnce)
{
    Fixture f;
    Warnings w;
    auto dom = conf::DomainXml::parseString(
        domain(nvdimm("/dev/dax0.2", "524288") + nvdimm("/dev/dax0.3", "524288")), conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    ASSERT_EQ(layout.devices.size(), 2u);
    for (const auto &d : layout.devices) {
        ASSERT_EQ(d.ranges.size(), 1u);
        EXPECT_FALSE(d.ranges[0].superpage);
        EXPECT_EQ(d.ranges[0].nr, (512ull << 20) / 4096);
        EXPECT_EQ(d.base % (2ull << 20), 0u);
    }
    ASSERT_EQ(w.list.size(), 1u);
    EXPECT_NE(w.list[0].find("4 KiB entries"), std::string::npos) << w.list[0];
}

TEST(GuestLayout, SamePlacementEveryTime)
{
    Fixture f;
    const std::string xml = domain(nvdimm("/dev/dax0.1", "65536") + nvdimm("/dev/dax0.0", "1048576"));
    auto a = conf::DomainXml::parseString(xml, conf::NVDIMM_INACTIVE);
    auto b = conf::DomainXml::parseString(xml, conf::NVDIMM_INACTIVE);
    planGuestLayout(a, f.host, f.options());
    planGuestLayout(b, f.host, f.options());
    EXPECT_EQ(a.format(), b.format());
}

TEST(GuestLayout, ExplicitAddressesSurviveASecondRun)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.1", "65536") + nvdimm("/dev/dax0.0", "1048576")),
                                            conf::NVDIMM_INACTIVE);
    GuestLayout first = planGuestLayout(dom, f.host, f.options());
    auto again = conf::DomainXml::parseString(dom.format(), conf::NVDIMM_INACTIVE);
    GuestLayout second = planGuestLayout(again, f.host, f.options());
    ASSERT_EQ(first.devices.size(), second.devices.size());
    for (size_t i = 0; i < first.devices.size(); i++) {
        EXPECT_EQ(first.devices[i].base, second.devices[i].base);
        EXPECT_EQ(first.devices[i].slot, second.devices[i].slot);
    }
}

TEST(GuestLayout, WindowOverrideAllowsLowBases)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(
        domain(nvdimm("/dev/dax0.1", "65536", "", "<address type='dimm' slot='1' base='0x48000000'/>")),
        conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    o.window_base = 0x40000000;
    GuestLayout layout = planGuestLayout(dom, f.host, o);
    EXPECT_EQ(layout.devices[0].base, 0x48000000u);
    EXPECT_EQ(layout.devices[0].slot, 1u);
}

TEST(GuestLayout, PvhGetsMappingWithoutAcpiAndAWarningNamingTheRange)
{
    Fixture f;
    Warnings w;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.1", "65536"), "16777216", "xenpvh"),
                                            conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    EXPECT_FALSE(layout.acpiTables());
    ASSERT_EQ(w.list.size(), 1u);
    EXPECT_NE(w.list[0].find("0xd00000000-0xd03ffffff"), std::string::npos) << w.list[0];
}

TEST(DomainConfigBuild, FailureLeavesDocumentAndStateDirUntouched)
{
    Fixture f;
    char tmpl[] = "/tmp/xlnv-layout-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    const std::string xml = domain(nvdimm("/dev/dax0.1", "65536") + nvdimm("/nonexistent", "65536"));
    auto dom = conf::DomainXml::parseString(xml, conf::NVDIMM_INACTIVE);
    const std::string before = dom.format();
    NativeOptions opts;
    opts.domain_state_dir = dir + "/domains/t";
    opts.layout = f.options();
    EXPECT_THROW(buildNativeConfig(dom, f.host, opts), Error);
    EXPECT_EQ(dom.format(), before);
    struct stat st;
    EXPECT_NE(::stat(opts.domain_state_dir.c_str(), &st), 0);
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(DomainConfigBuild, HvmConfigCarriesIomemAndAcpiFirmware)
{
    Fixture f;
    char tmpl[] = "/tmp/xlnv-layout-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.1", "65536")), conf::NVDIMM_INACTIVE);
    NativeOptions opts;
    opts.domain_state_dir = dir + "/domains/t";
    opts.layout = f.options();
    DomainConfig cfg = buildNativeConfig(dom, f.host, opts);
    const auto &b = cfg.get()->b_info;
    ASSERT_EQ(b.num_iomem, 1);
    EXPECT_EQ(b.iomem[0].start, 0x2040000000ull / 4096);
    EXPECT_EQ(b.iomem[0].number, 16384u);
    EXPECT_EQ(b.iomem[0].gfn, (52ull << 30) / 4096);
    ASSERT_NE(b.u.hvm.acpi_firmware, nullptr);
    EXPECT_EQ(std::string(b.u.hvm.acpi_firmware), opts.domain_state_dir + "/nvdimm-acpi.bin");
    struct stat st;
    EXPECT_EQ(::stat(b.u.hvm.acpi_firmware, &st), 0);
    // 40-byte NFIT header + 184 per device, then a 36-byte SSDT header + AML.
    EXPECT_GT(st.st_size, 224);
    // Guest RAM excludes the NVDIMM: 4 GiB <memory> - 64 MiB.
    EXPECT_EQ(b.max_memkb, 4194304u - 65536u);
    std::system(("rm -rf '" + dir + "'").c_str());
}

namespace {

// planGuestLayout refuses `dom` as unsupported, with exactly `message`.
void expectRefusedBeyondWidth(conf::DomainXml &dom, Fixture &f, const LayoutOptions &o,
                              const std::string &message)
{
    try {
        planGuestLayout(dom, f.host, o);
        FAIL() << "placed beyond the width";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_EQ(e.message(), message);
    }
}

} // namespace

TEST(GuestLayout, DeviceBeyondTheGuestsAddressWidthIsRefusedBeforeItsBackingIsResolved)
{
    Fixture f;
    // Window at 52 GiB; a 35-bit guest ends at 32 GiB. The backing does not
    // exist: the width check has to come first to be the error reported.
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/nonexistent", "1048576")), conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    o.phys_addr_bits = 35;
    expectRefusedBeyondWidth(dom, f, o,
                             "unsupported configuration: NVDIMM 'nvdimm0' at guest address 0xd00000000-0xd3fffffff is "
                             "beyond the guest's 35-bit physical address space (ends at 0x800000000): lower <maxMemory> "
                             "(or [hypervisor] default_max_memory_kib for domains without it)");
    EXPECT_FALSE(dom.nvdimms()[0].address.present);
}

TEST(GuestLayout, DeviceBelowTheGuestsAddressWidthIsPlaced)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.0", "1048576")), conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    o.phys_addr_bits = 36;   // ends at 64 GiB; the device takes 52-53 GiB
    GuestLayout layout = planGuestLayout(dom, f.host, o);
    ASSERT_EQ(layout.devices.size(), 1u);
    EXPECT_EQ(layout.devices[0].base, 52ull << 30);
}

TEST(GuestLayout, ExplicitBaseBeyondTheWidthNamesTheAliasAndAsksForALowerBase)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(
        domain("<memory model='nvdimm'><source><path>/dev/dax0.0</path></source><target><size unit='KiB'>"
               "1048576</size></target><alias name='ua-big'/>"
               "<address type='dimm' slot='2' base='0x1000000000'/></memory>"),
        conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    o.phys_addr_bits = 36;
    expectRefusedBeyondWidth(dom, f, o,
                             "unsupported configuration: NVDIMM 'ua-big' at guest address 0x1000000000-0x103fffffff is "
                             "beyond the guest's 36-bit physical address space (ends at 0x1000000000): give it a lower "
                             "<address base>, or none to have it placed");
}

TEST(DomainConfigBuild, DeviceBeyondTheGuestsAddressWidthWritesNothing)
{
    Fixture f;
    char tmpl[] = "/tmp/xlnv-layout-XXXXXX";
    std::string dir = ::mkdtemp(tmpl);
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.1", "65536")), conf::NVDIMM_INACTIVE);
    const std::string before = dom.format();
    NativeOptions opts;
    opts.domain_state_dir = dir + "/domains/t";
    opts.layout = f.options();
    opts.layout.phys_addr_bits = 35;
    EXPECT_THROW(buildNativeConfig(dom, f.host, opts), Error);
    EXPECT_EQ(dom.format(), before);
    struct stat st;
    EXPECT_NE(::stat(opts.domain_state_dir.c_str(), &st), 0);
    std::system(("rm -rf '" + dir + "'").c_str());
}

// What the guest already has beyond the XML (an xl-created domain's boot
// NVDIMM): its slot, guest range and host frames are not handed out.
TEST(GuestLayout, OccupiedSlotRangeAndHostFramesAreSkipped)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.1", "65536")), conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    const uint64_t window = nvdimmWindowBase(dom);
    o.occupied.push_back({0, window, 1ull << 30, 0x2000000000ull / 4096, (1ull << 30) / 4096});
    GuestLayout layout = planGuestLayout(dom, f.host, o);
    ASSERT_EQ(layout.devices.size(), 1u);
    EXPECT_EQ(layout.devices[0].slot, 1u);
    EXPECT_EQ(layout.devices[0].base, window + (1ull << 30));
}

TEST(GuestLayout, ExplicitSlotOfAnOccupiedNvdimmIsRefused)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(
        domain(nvdimm("/dev/dax0.1", "65536", "", "<address type='dimm' slot='0'/>")), conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    o.occupied.push_back({0, nvdimmWindowBase(dom), 1ull << 30, 0, 0});
    try {
        planGuestLayout(dom, f.host, o);
        FAIL() << "slot 0 handed out twice";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("the NVDIMM the guest has in slot 0"), std::string::npos) << e.what();
    }
}

TEST(GuestLayout, HostFramesTheGuestHasAreRefused)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(nvdimm("/dev/dax0.0", "65536")), conf::NVDIMM_INACTIVE);
    LayoutOptions o = f.options();
    // dax0.0 is what the guest already has through an iomem range.
    o.occupied.push_back({OccupiedNvdimm::kNoSlot, 60ull << 30, 1ull << 30, 0x2000000000ull / 4096, 16});
    EXPECT_THROW(planGuestLayout(dom, f.host, o), Error);
}

// An HVM domain with slots gets the hotplug tables, even without NVDIMMs.
TEST(GuestLayout, SlotsWithoutDevicesStillGetHotplugTables)
{
    Fixture f;
    auto dom = conf::DomainXml::parseString(domain(""), conf::NVDIMM_INACTIVE);
    GuestLayout layout = planGuestLayout(dom, f.host, f.options());
    EXPECT_TRUE(layout.acpiTables());
    EXPECT_TRUE(layout.hotplug());
    EXPECT_EQ(layout.memory_slots, 4u);
    EXPECT_EQ(layout.window_base, 52ull << 30);
    const acpi::Bytes blob = buildLayoutFirmware(layout);
    ASSERT_FALSE(blob.empty());
    EXPECT_EQ(std::string(blob.begin(), blob.begin() + 4), "SSDT");
    auto pvh = conf::DomainXml::parseString(domain("", "16777216", "xenpvh"), conf::NVDIMM_INACTIVE);
    EXPECT_FALSE(planGuestLayout(pvh, f.host, f.options()).acpiTables());
}
