// libvirt on real Xen (issue 13): one boot of the Xen test bed whose dom0
// runs libvirtd from Debian's libvirt 9.0 with our patch series
// (scripts/build-libvirt, cached) and is driven by Debian's unmodified
// virsh (package libvirt-clients). The dom0 side is
// tests/xen/scenarios/libvirt.sh; here the harness is set up and every
// RESULT line, the guest's log and the NVDIMM backing bytes are checked.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "xenbed_client.h"

namespace fs = std::filesystem;
using namespace xlnv::testbed;

namespace {

// The NVDIMMs' region size (their addresses: xenbed_client.h).
constexpr std::uint64_t kRegionBytes = 256ull << 20;
// The boot NVDIMM (devdax on NVDIMM 0) and the one attached live (NVDIMM 1).
constexpr std::uint64_t kBootBytes = 64ull << 20;
constexpr std::uint64_t kHotBytes = 32ull << 20;
constexpr std::uint64_t kMarkOffset = 0x123450;
constexpr unsigned kGuestMemoryMiB = 160;
constexpr char kOwnerBefore[] = "4242:4343";

const char kDebianVirsh[] = "/usr/bin/virsh";
const char kDebianLibDir[] = "/usr/lib/x86_64-linux-gnu";

std::string env(const char *name)
{
    const char *v = std::getenv(name);
    return v ? v : "";
}

std::string slurp(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string sha256(const std::string &path)
{
    char tmpl[] = "/tmp/xlnv-sha-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0)
        return "";
    close(fd);
    runProgram({"sha256sum", fs::canonical(path).string()}, tmpl);
    std::string out = slurp(tmpl);
    fs::remove(tmpl);
    return out.substr(0, out.find(' '));
}

unsigned bootTimeout(unsigned fallback)
{
    if (const char *s = std::getenv("XLNV_XEN_BOOT_TIMEOUT"))
        return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
    return fallback;
}

// "nvdimm0@0@0x40000000 nvdimm1@1@0x44000000" (scenario's nvdimm_ids).
struct Dimm {
    std::string alias;
    std::string slot;
    std::optional<std::uint64_t> base;
};

std::vector<Dimm> parseDimms(const std::string &text)
{
    std::vector<Dimm> out;
    std::istringstream in(text);
    for (std::string w; in >> w;) {
        const auto a = w.find('@'), b = w.find('@', a + 1);
        if (a == std::string::npos || b == std::string::npos)
            continue;
        out.push_back({w.substr(0, a), w.substr(a + 1, b - a - 1), parseNumber(w.substr(b + 1))});
    }
    return out;
}

// xl.cfg "MFN,NR@GFN" (hex without 0x), the first range.
struct Range {
    std::uint64_t mfn = 0, nr = 0, gfn = 0;
};

std::optional<Range> firstIomem(const std::string &text)
{
    Range r;
    unsigned long long mfn = 0, nr = 0, gfn = 0;
    if (std::sscanf(text.c_str(), " %llx,%llx@%llx", &mfn, &nr, &gfn) != 3)
        return std::nullopt;
    r.mfn = mfn, r.nr = nr, r.gfn = gfn;
    return r;
}

// The dom0 folder of the install tree that holds libxl-nvdimm.so.0.
std::optional<std::string> ourLibDir(const std::string &tree)
{
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(tree, ec); it != fs::end(it); it.increment(ec))
        if (it->path().filename() == "libxl-nvdimm.so.0")
            return "/" + fs::relative(it->path().parent_path(), tree).string();
    return std::nullopt;
}

// What of the install tree dom0 gets: libvirtd, its libraries (each
// SONAME link with the file it names), the libxl driver module alone (a
// daemon loads every module it finds), the CPU map, the config files
// libvirtd and the libxl driver read, and our library.
std::vector<std::string> treePaths(const std::string &tree, const std::string &ourlibdir)
{
    const std::string lib = "usr/lib/x86_64-linux-gnu/";
    std::vector<std::string> paths = {"usr/sbin/libvirtd",
                                      lib + "libvirt/connection-driver/libvirt_driver_libxl.so",
                                      "usr/share/libvirt/cpu_map", "etc/libvirt/libvirtd.conf",
                                      "etc/libvirt/libxl.conf", "etc/libvirt/libvirt.conf"};
    for (const std::string &soname : {lib + "libvirt.so.0", lib + "libvirt-lxc.so.0",
                                     lib + "libvirt-qemu.so.0",
                                     ourlibdir.substr(1) + "/libxl-nvdimm.so.0"}) {
        paths.push_back(soname);
        const fs::path p = fs::path(tree) / soname;
        std::error_code ec;
        if (fs::is_symlink(p, ec))
            paths.push_back((fs::path(soname).parent_path() / fs::read_symlink(p, ec)).string());
    }
    return paths;
}

class XenLibvirtBoot : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        setup_error_ = new std::string;
        boot_ = new std::unique_ptr<XenBoot>;
        if (!fs::exists(kDebianVirsh)) {
            *setup_error_ = std::string(kDebianVirsh) +
                            " is missing: Debian's libvirt-clients (scripts/setup installs it)";
            return;
        }
        // The patched libvirt, built (or taken from the cache) the way the
        // libvirt-series test does.
        char tmpl[] = "/tmp/xlnv-libvirt-tree-XXXXXX";
        if (!mkdtemp(tmpl)) {
            *setup_error_ = "mkdtemp failed";
            return;
        }
        tree_ = new std::string(tmpl);
        const std::string log = *tree_ + ".log";
        const std::string script = env("BUILD_LIBVIRT").empty()
                                       ? sourceDir() + "/scripts/build-libvirt"
                                       : env("BUILD_LIBVIRT");
        const int rc = runProgram({script, *tree_ + "/dest"}, log);
        std::cout << "[ libvirt ] scripts/build-libvirt (exit " << rc << "):\n" << slurp(log);
        if (rc != 0) {
            *setup_error_ = "scripts/build-libvirt failed:\n" + slurp(log);
            return;
        }
        const std::string dest = *tree_ + "/dest";
        const auto libdir = ourLibDir(dest);
        if (!libdir) {
            *setup_error_ = "no libxl-nvdimm.so.0 in " + dest;
            return;
        }
        for (int attempt = 1; attempt <= 2; ++attempt) {
            auto b = std::make_unique<XenBoot>();
            b->prepare({{kRegionBytes, {}}, {kRegionBytes, {}}});
            b->setHvm(true);
            b->addTree(dest, treePaths(dest, *libdir));
            // Debian's client: its binary at its path, its libvirt
            // libraries beside (the daemon's libvirt.so.0 has the path).
            b->addBinary(kDebianVirsh, kDebianVirsh);
            for (const char *lib : {"libvirt.so.0", "libvirt-lxc.so.0", "libvirt-qemu.so.0"})
                b->addHostFile(std::string(kDebianLibDir) + "/" + lib,
                               std::string("/usr/lib/debian-libvirt0/") + lib);
            b->setParams({
                {"NVDIMM0_SPA", hex(kNvdimm0Spa)},
                {"NVDIMM1_SPA", hex(kNvdimm1Spa)},
                {"BOOT_KIB", std::to_string(kBootBytes >> 10)},
                {"HOT_KIB", std::to_string(kHotBytes >> 10)},
                {"MARK_OFF", hex(kMarkOffset)},
                {"GUEST_MEMORY_MIB", std::to_string(kGuestMemoryMiB)},
                {"GUEST_TIMEOUT", "900"},
                {"LIBXL_NVDIMM_LIBDIR", *libdir},
            });
            b->run("libvirt", bootTimeout(1800));
            // Nested emulation loses a guest now and then (see
            // xen_smoke_test.cc): boot once more when the guest never got
            // as far as its marker, and show the first boot's failure.
            const bool guest_ready = b->result("dom0", "guest.ready").value_or("") == "1";
            *boot_ = std::move(b);
            if ((*boot_)->ok() && guest_ready)
                break;
            if (attempt == 1)
                std::cout << "[ retry   ] boot incomplete (guest ready: " << guest_ready
                          << "); booting once more\n" << (*boot_)->failure() << std::endl;
        }
    }

    static void TearDownTestSuite()
    {
        delete boot_;
        boot_ = nullptr;
        if (tree_ && env("XLNV_KEEP_BED") != "1") {
            std::error_code ec;
            fs::remove_all(*tree_, ec);
            fs::remove(*tree_ + ".log", ec);
        }
        delete tree_;
        tree_ = nullptr;
        delete setup_error_;
        setup_error_ = nullptr;
    }

    void SetUp() override
    {
        ASSERT_TRUE(setup_error_->empty()) << *setup_error_;
        ASSERT_TRUE(*boot_) << "no boot";
    }

    static XenBoot &boot() { return **boot_; }
    static std::string need(const std::string &key)
    {
        auto v = boot().result("dom0", key);
        return v ? *v : "<missing RESULT dom0:" + key + ">";
    }
    static std::string guest(const std::string &key)
    {
        auto v = boot().result("lv1", key);
        return v ? *v : "<missing RESULT lv1:" + key + ">";
    }
    static std::string marker()
    {
        char buf[64];
        std::snprintf(buf, sizeof buf, "XLNV-lv1-0x%08x", boot().nonce());
        return buf;
    }

    static std::unique_ptr<XenBoot> *boot_;
    static std::string *tree_;
    static std::string *setup_error_;
};

std::unique_ptr<XenBoot> *XenLibvirtBoot::boot_ = nullptr;
std::string *XenLibvirtBoot::tree_ = nullptr;
std::string *XenLibvirtBoot::setup_error_ = nullptr;

TEST_F(XenLibvirtBoot, BootsXenAndRunsTheDom0ScriptToTheEnd)
{
    EXPECT_TRUE(boot().ok()) << boot().failure();
    std::cout << "[ timings ] " << boot().report().value("timings", nlohmann::json()).dump()
              << "\n[ sizes   ] " << boot().report().value("sizes", nlohmann::json()).dump()
              << "\nRESULT bed.seconds="
              << boot().report()["timings"].value("total", 0.0)
              << "\nRESULT libvirtd.ready_seconds=" << need("libvirtd.ready_seconds")
              << "\nRESULT virsh.start_seconds=" << need("start.seconds")
              << "\nRESULT virsh.attach_seconds=" << need("attach.seconds")
              << "\nRESULT virsh.destroy_seconds=" << need("destroy.seconds")
              << "\nRESULT libvirtd.restart_ready_seconds=" << need("restart.ready_seconds")
              << "\nRESULT guest.ready_seconds=" << need("guest.ready_seconds")
              << "\nRESULT scenario.seconds=" << need("scenario.seconds") << std::endl;
}

// The client is Debian's own: the same bytes as the host's package, and
// it loads Debian's libvirt0, not the daemon's patched libvirt.so.0.
TEST_F(XenLibvirtBoot, VirshIsDebiansUnmodifiedClientWithItsOwnLibrary)
{
    EXPECT_EQ(need("virsh.sha256"), sha256(kDebianVirsh));
    EXPECT_EQ(need("virsh.libvirt0_sha256"), sha256(std::string(kDebianLibDir) + "/libvirt.so.0"));
    EXPECT_EQ(need("virsh.libvirt0_loaded"), "/usr/lib/debian-libvirt0/libvirt.so.0");
    EXPECT_EQ(need("libvirtd.libvirt_loaded"), "/usr/lib/x86_64-linux-gnu/libvirt.so.0.9000.0");
}

// No systemd, dbus or polkit; on the nested CPU libvirt finds no CPU
// model for the host, which patch 0001 makes a warning.
TEST_F(XenLibvirtBoot, PatchedLibvirtdStartsByHandAndVirshConnects)
{
    EXPECT_EQ(need("libvirtd.ready"), "1") << boot().log("dom0");
    EXPECT_EQ(need("libvirtd.uri"), "xen:///system");
    EXPECT_EQ(need("version.rc"), "0") << need("version.out");
    EXPECT_NE(need("version.out").find("Running hypervisor: Xen 4.17"), std::string::npos)
        << need("version.out");
    std::cout << "[ cpu     ] 'Cannot find suitable CPU model' warnings: "
              << need("libvirtd.cpu_model_warning") << std::endl;
}

TEST_F(XenLibvirtBoot, DefineAcceptsMaxMemoryAndAnNvdimm)
{
    EXPECT_EQ(need("define.rc"), "0") << need("define.out");
    EXPECT_NE(need("define.out").find("Domain 'lv1' defined"), std::string::npos)
        << need("define.out");
}

// domxml-to-native prints the iomem range over the devdax namespace and
// the ACPI blob, and (a dry run) records nothing.
TEST_F(XenLibvirtBoot, DomxmlToNativePrintsIomemAndAcpiFirmwareWithoutSideEffects)
{
    ASSERT_EQ(need("native.rc"), "0") << need("native.out");
    const auto r = firstIomem(need("native.iomem"));
    ASSERT_TRUE(r) << need("native.out");
    EXPECT_EQ(r->nr * kPage, kBootBytes);
    const auto dax = parseNumber(need("boot.dax_resource"));
    ASSERT_TRUE(dax);
    EXPECT_EQ(r->mfn * kPage, *dax);
    EXPECT_NE(need("native.acpi_firmware"), "");
    // RAM only, as a start gives the guest (patch 0012): "maxmem:memory".
    EXPECT_EQ(need("native.ram"),
              std::to_string(kGuestMemoryMiB) + ":" + std::to_string(kGuestMemoryMiB));
    EXPECT_EQ(need("native.state_dir_after"), "") << "a dry run records no domain";
}

TEST_F(XenLibvirtBoot, StartRunsTheDomainAndLabelsTheBackingForTheDeviceModel)
{
    ASSERT_EQ(need("start.rc"), "0") << need("start.out") << "\n" << boot().log("dom0");
    EXPECT_NE(need("start.domid"), "");
    EXPECT_EQ(need("boot.owner_before"), kOwnerBefore);
    EXPECT_EQ(need("start.owner_boot"), "0:0") << "the device model runs as root here";
}

// Patch 0003: NVDIMMs are not RAM; the live <memory> keeps RAM + NVDIMM.
TEST_F(XenLibvirtBoot, DumpxmlShowsAliasAndDimmAddressAndKeepsTheMemorySize)
{
    const auto dimms = parseDimms(need("dumpxml.nvdimms"));
    ASSERT_EQ(dimms.size(), 1u) << need("dumpxml.nvdimms");
    EXPECT_EQ(dimms[0].alias, "nvdimm0");
    EXPECT_EQ(dimms[0].slot, "0");
    ASSERT_TRUE(dimms[0].base);
    EXPECT_EQ(*dimms[0].base % (2ull << 20), 0u);
    EXPECT_EQ(need("dumpxml.memory"), std::to_string((kGuestMemoryMiB << 10) + (kBootBytes >> 10)));
}

TEST_F(XenLibvirtBoot, GuestSeesPmem0OfTheRightSizeAtTheDimmAddress)
{
    ASSERT_EQ(need("guest.ready"), "1") << boot().log("lv1");
    const auto dimms = parseDimms(need("dumpxml.nvdimms"));
    ASSERT_FALSE(dimms.empty() || !dimms[0].base);
    EXPECT_EQ(guest("guest.pmem"), "pmem0:" + std::to_string(kBootBytes)) << boot().log("lv1");
    EXPECT_EQ(guest("guest.regions"),
              "region0:" + hex(*dimms[0].base) + ":" + std::to_string(kBootBytes))
        << boot().log("lv1");
}

// What Xen mapped (its own log) at the dimm address, and the guest's
// marker in the outer backing at that host frame + the marker's offset.
TEST_F(XenLibvirtBoot, GuestMarkerLandsInTheBackingWhereXenMappedTheNvdimm)
{
    ASSERT_EQ(guest("pmem0.marker.readback"), marker()) << boot().log("lv1");
    const std::string line = need("boot.xen_map_at_base");
    const auto mfn = xenLogField(line, "mfn");
    const auto dimms = parseDimms(need("dumpxml.nvdimms"));
    ASSERT_TRUE(mfn && !dimms.empty() && dimms[0].base) << line;
    EXPECT_EQ(xenLogField(line, "gfn"), *dimms[0].base / kPage) << line;
    const auto dax = parseNumber(need("boot.dax_resource"));
    ASSERT_TRUE(dax);
    EXPECT_EQ(*mfn * kPage, *dax) << "the NVDIMM starts where the devdax namespace does";
    const std::uint64_t spa = *mfn * kPage + kMarkOffset;
    EXPECT_EQ(boot().readBacking(0, spa - kNvdimm0Spa, marker().size()), marker())
        << "marker expected at SPA " << hex(spa);
}

TEST_F(XenLibvirtBoot, LiveAttachMapsASecondNvdimmAndVirshEventSeesDeviceAdded)
{
    ASSERT_EQ(need("attach.rc"), "0") << need("attach.out") << "\n" << boot().log("dom0");
    const auto dimms = parseDimms(need("attached.nvdimms"));
    ASSERT_EQ(dimms.size(), 2u) << need("attached.nvdimms");
    EXPECT_EQ(dimms[0].alias, "nvdimm0");
    EXPECT_EQ(dimms[1].alias, "nvdimm1");
    EXPECT_EQ(dimms[1].slot, "1");
    ASSERT_TRUE(dimms[0].base && dimms[1].base);
    EXPECT_GE(*dimms[1].base, *dimms[0].base + kBootBytes) << "no overlap with the boot NVDIMM";
    // Xen mapped the namespace of NVDIMM 1 at the new address.
    const std::string line = need("hot.xen_map_at_base");
    EXPECT_EQ(xenLogField(line, "gfn"), *dimms[1].base / kPage) << line;
    const auto dax = parseNumber(need("hot.dax_resource"));
    ASSERT_TRUE(dax);
    EXPECT_EQ(xenLogField(line, "mfn"), *dax / kPage) << line;
    EXPECT_EQ(need("attach.owner_hot"), "0:0");
    // libvirt's own event queue, seen by an unmodified client.
    EXPECT_NE(boot().log("dom0").find("event 'device-added' for domain 'lv1': nvdimm1"),
              std::string::npos) << boot().log("dom0");
}

// The hot-add mechanism (issue 14) through libvirt: the running guest
// gets region1 and /dev/pmem1 of the attached size at its DIMM address.
TEST_F(XenLibvirtBoot, LiveAttachedNvdimmShowsUpInTheGuestAsPmem1)
{
    const auto dimms = parseDimms(need("attached.nvdimms"));
    ASSERT_EQ(dimms.size(), 2u);
    ASSERT_TRUE(dimms[1].base);
    EXPECT_EQ(guest("hot.pmem"), "pmem0:" + std::to_string(kBootBytes) +
                                     ",pmem1:" + std::to_string(kHotBytes))
        << boot().log("lv1");
    EXPECT_NE(guest("hot.regions").find("region1:" + hex(*dimms[1].base) + ":" +
                                        std::to_string(kHotBytes)),
              std::string::npos) << guest("hot.regions");
}

// The boot NVDIMM is still intact after the attach (the attach took the
// next slot and address, it did not replace slot 0's mapping).
TEST_F(XenLibvirtBoot, LiveAttachLeavesTheBootNvdimmAlone)
{
    const auto before = parseDimms(need("dumpxml.nvdimms"));
    const auto after = parseDimms(need("attached.nvdimms"));
    ASSERT_FALSE(before.empty() || after.empty());
    EXPECT_EQ(after[0].base, before[0].base);
    EXPECT_EQ(boot().readBacking(0, *parseNumber(need("boot.dax_resource")) - kNvdimm0Spa +
                                        kMarkOffset, marker().size()),
              marker());
}

TEST_F(XenLibvirtBoot, WhatLibxlCannotDoWithIomemDomainsIsRefusedUpFront)
{
    EXPECT_EQ(need("save.rc"), "1");
    EXPECT_NE(need("save.out").find("NVDIMM"), std::string::npos) << need("save.out");
    EXPECT_EQ(need("save.file"), "none");
    EXPECT_EQ(need("setmaxmem.rc"), "1");
    EXPECT_NE(need("setmaxmem.out").find("changing the maximum memory is not supported"),
              std::string::npos) << need("setmaxmem.out");
}

// virsh and Nova cannot ask the guest first: --live unmaps at once
// (patch 0007, docs/libvirt-libxl-driver.rst), queues DEVICE_REMOVED and
// gives the backing its owner back.
TEST_F(XenLibvirtBoot, LiveDetachUnmapsAtOnceAndVirshEventSeesDeviceRemoved)
{
    ASSERT_EQ(need("detach_live.rc"), "0") << need("detach_live.out");
    const auto attached = parseDimms(need("attached.nvdimms"));
    const auto after = parseDimms(need("detach_live.nvdimms"));
    ASSERT_EQ(attached.size(), 2u);
    ASSERT_EQ(after.size(), 1u) << need("detach_live.nvdimms");
    EXPECT_EQ(after[0].alias, "nvdimm0");
    EXPECT_EQ(after[0].base, attached[0].base);
    const std::string line = need("detach_live.xen_unmap");
    EXPECT_EQ(xenLogField(line, "gfn"), attached[1].base.value_or(1) / kPage) << line;
    EXPECT_EQ(need("detach_live.owner_hot"), kOwnerBefore);
    EXPECT_NE(boot().log("dom0").find("event 'device-removed' for domain 'lv1': nvdimm1"),
              std::string::npos) << boot().log("dom0");
}

TEST_F(XenLibvirtBoot, DetachConfigChangesOnlyThePersistentDefinition)
{
    EXPECT_EQ(need("detach_config.rc"), "0") << need("detach_config.out");
    EXPECT_EQ(need("detach_config.inactive_nvdimms"), "0");
    EXPECT_EQ(need("detach_config.live_nvdimms"), need("detach_live.nvdimms"));
}

TEST_F(XenLibvirtBoot, LibvirtdRestartReconnectsTheDomainWithItsNvdimms)
{
    EXPECT_EQ(need("restart.stopped"), "yes");
    EXPECT_EQ(need("restart.ready"), "1");
    EXPECT_NE(need("restart_list.out").find("lv1"), std::string::npos) << need("restart_list.out");
    EXPECT_EQ(need("restart.domstate"), "running");
    EXPECT_EQ(need("restart.nvdimms"), need("detach_live.nvdimms"));
    EXPECT_NE(need("restart.nvdimms"), "");
}

// Destroy: the domain is gone from Xen (its p2m with the iomem ranges is
// torn down with it; Xen logs memory_map:remove only for the live detach's
// explicit unmapping), the backings have their owners back, the library
// keeps no record.
TEST_F(XenLibvirtBoot, DestroyEndsTheDomainAndRestoresTheBackings)
{
    ASSERT_EQ(need("destroy.rc"), "0") << need("destroy.out");
    EXPECT_EQ(need("destroy.xl"), "gone");
    const std::string calls = need("destroyed.xen_map_calls");
    std::cout << "[ xen     ] memory_map add:remove for the domain: " << calls << std::endl;
    const auto colon = calls.find(':');
    ASSERT_NE(colon, std::string::npos) << calls;
    EXPECT_GE(std::stoul(calls.substr(0, colon)), 2u) << "boot + live attach: " << calls;
    EXPECT_GE(std::stoul(calls.substr(colon + 1)), 1u) << "live detach: " << calls;
    EXPECT_EQ(need("destroy.owner_boot"), kOwnerBefore);
    EXPECT_EQ(need("destroy.owner_hot"), kOwnerBefore);
    EXPECT_EQ(need("destroy.state_dir"), "");
}

TEST_F(XenLibvirtBoot, UndefineRemovesTheDomain)
{
    EXPECT_EQ(need("undefine.rc"), "0") << need("undefine.out");
    EXPECT_EQ(need("after_list.out").find("lv1"), std::string::npos) << need("after_list.out");
}

// The XML virt-install's --memdev nvdimm writes (NUMA node, label area,
// sizes in KiB without units): defined, shown back, converted.
TEST_F(XenLibvirtBoot, VirtInstallShapeDefinesAndConverts)
{
    EXPECT_EQ(need("vi_define.rc"), "0") << need("vi_define.out");
    const std::string nv = need("vi_define.nvdimm");
    EXPECT_NE(nv.find("<node>1</node>"), std::string::npos) << nv;
    EXPECT_NE(nv.find("<label><sizeunit='KiB'>2048</size></label>"), std::string::npos) << nv;
    EXPECT_EQ(need("vi_native.rc"), "0") << need("vi_native.out");
    EXPECT_TRUE(firstIomem(need("vi_native.iomem"))) << need("vi_native.out");
    EXPECT_EQ(need("vi_undefine.rc"), "0") << need("vi_undefine.out");
}

// Nova's LibvirtConfigGuestVPMEM (access='shared', alignsize, pmem).
TEST_F(XenLibvirtBoot, NovaVpmemShapeDefines)
{
    EXPECT_EQ(need("nova_define.rc"), "0") << need("nova_define.out");
    const std::string nv = need("nova_define.nvdimm");
    EXPECT_NE(nv.find("<alignsizeunit='KiB'>2048</alignsize>"), std::string::npos) << nv;
    EXPECT_NE(nv.find("<pmem/>"), std::string::npos) << nv;
    EXPECT_EQ(need("nova_undefine.rc"), "0") << need("nova_undefine.out");
}

TEST_F(XenLibvirtBoot, AMemoryModelXenCannotDoIsRefusedAtDefine)
{
    EXPECT_EQ(need("dimm_define.rc"), "1");
    EXPECT_NE(need("dimm_define.out").find("memory device model 'dimm' is not supported by the "
                                           "libxl driver"),
              std::string::npos) << need("dimm_define.out");
    EXPECT_EQ(need("dimm_list.out").find("dimm1"), std::string::npos);
}

}  // namespace
