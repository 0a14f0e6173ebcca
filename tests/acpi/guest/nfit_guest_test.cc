// Proof in a real Linux guest: our NFIT + SSDT, built from domain.xml by
// the same layout and ACPI code libxl gets, are handed to a Linux kernel
// under QEMU (-acpitable) over RAM the kernel was told not to use (mem=).
// Linux's own nfit driver must then show one region and one /dev/pmemN
// per device, at our base and size, on our NUMA node, read-only where we
// said; and a marker the guest writes at offset X of /dev/pmemN must be in
// the RAM backing file at base + X (and a pattern we wrote there before
// boot must be what the guest reads). QEMU's own NVDIMM support is off
// (-machine nvdimm=off): every table the guest sees for them is ours.
// The SSDT is the hotplug one (the domain has <maxMemory slots>): Linux
// evaluates its _FIT at boot and takes that over the NFIT. Its FIT page
// (in RAM the kernel does not use) is written before boot with the boot
// FIT plus a fourth NVDIMM the NFIT does not have: that region appearing
// proves _FIT read the page (docs/live.rst).
#include <gtest/gtest.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "acpi/firmware.h"
#include "acpi/fit_page.h"
#include "conf/domain_conf.h"
#include "libxl/libxl_config.h"
#include "libxl/guest_layout.h"
#include "pmem/host_fixture.h"
#include "util/error.h"
#include "util/strutil.h"
#include "../../support/test_files.h"

using namespace xlnv;

namespace {

using xlnv::test::readFile;

const std::string kSrcDir = std::string(PROJECT_SOURCE_DIR) + "/tests/acpi/guest";
const std::string kBuildDir = PROJECT_BUILD_DIR;
// The NVDIMM window sits inside RAM above what mem= lets the kernel use.
constexpr uint64_t kWindowBase = 0x48000000;
constexpr uint64_t kKernelMem = 0x40000000;
constexpr uint64_t kMarkOffset = 0x123000;   // guest-init.sh MARK_OFFSET_BLOCKS * 4096

struct Region { std::string name; uint64_t resource = 0, size = 0; int numa = -1; int ro = -1; };
struct Pmem { std::string dev, region; uint64_t size = 0; int ro = -1; };

struct GuestRun {
    std::string skip;                  // why the guest could not run here
    std::string failure;               // why the run itself failed
    libxl::GuestLayout layout;
    libxl::PlacedNvdimm fit_only;      // in the FIT page only, not in the NFIT
    std::vector<conf::NumaCell> cells;
    std::vector<std::string> ram_files;
    std::vector<uint64_t> ram_starts;
    std::string console;
    std::vector<Region> regions;
    std::vector<Pmem> pmems;
    std::vector<std::string> iomem;
    std::map<std::string, std::string> reads;
    std::map<std::string, int> writes;
    double boot_seconds = 0;
};

GuestRun *g_run = nullptr;

bool exists(const std::string &p)
{
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}

std::string kernelVersion()
{
    glob_t g{};
    std::string best;
    if (::glob("/boot/vmlinuz-*", 0, nullptr, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            std::string ver = std::string(g.gl_pathv[i]).substr(std::string("/boot/vmlinuz-").size());
            if (exists("/lib/modules/" + ver + "/modules.dep") && ::access(g.gl_pathv[i], R_OK) == 0)
                best = ver;
        }
    }
    ::globfree(&g);
    return best;
}

int run(const std::string &cmd) { return std::system(cmd.c_str()); }

std::string shellQuote(const std::string &s) { return "'" + s + "'"; }

// Which RAM file holds guest physical address `gpa`, and where.
bool ramLocation(const GuestRun &r, uint64_t gpa, size_t &file, uint64_t &offset)
{
    for (size_t i = 0; i < r.cells.size(); i++) {
        const uint64_t start = r.ram_starts[i], size = r.cells[i].memory_kib * 1024;
        if (gpa >= start && gpa < start + size) {
            file = i;
            offset = gpa - start;
            return true;
        }
    }
    return false;
}

void writeAt(const std::string &path, uint64_t offset, const std::string &bytes)
{
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string readAt(const std::string &path, uint64_t offset, size_t len)
{
    std::ifstream f(path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    std::string out(len, '\0');
    f.read(out.data(), static_cast<std::streamsize>(len));
    return out;
}

std::string hostPattern(unsigned slot) { return strprintf("XLNV-HOST-SLOT%02u", slot); }

void bootGuest(GuestRun &r, const std::string &dir)
{
    const std::string qemu = "/usr/bin/qemu-system-x86_64";
    const std::string ver = kernelVersion();
    if (!exists(qemu)) { r.skip = "qemu-system-x86_64 is not installed"; return; }
    if (ver.empty()) { r.skip = "no readable /boot/vmlinuz-* with /lib/modules/VER"; return; }
    if (!exists("/bin/busybox")) { r.skip = "busybox-static is not installed"; return; }

    // Layout and tables, exactly as the libxl path builds them.
    conf::DomainXml dom = conf::DomainXml::parseFile(kSrcDir + "/domain.xml", conf::NVDIMM_INACTIVE);
    libxl::FixtureHost host = libxl::FixtureHost::fromFile(kSrcDir + "/host.json");
    libxl::LayoutOptions opts;
    opts.window_base = kWindowBase;
    opts.namespaces = host.inventory().namespaces();
    // The blob the guest gets is the file buildNativeConfig writes for
    // libxl's acpi_firmware; the layout (same inputs) says what it holds.
    libxl::NativeOptions native;
    native.domain_state_dir = dir + "/state";
    native.layout = opts;
    conf::DomainXml placed = dom.clone();
    libxl::DomainConfig cfg = libxl::buildNativeConfig(placed, host, native);
    const std::string blob_text = readFile(cfg.get()->b_info.u.hvm.acpi_firmware);
    const acpi::Bytes blob(blob_text.begin(), blob_text.end());
    r.layout = libxl::planGuestLayout(dom, host, opts);
    r.cells = dom.numaCells();
    if (blob != libxl::buildLayoutFirmware(r.layout)) { r.failure = "acpi_firmware file differs from the layout's tables"; return; }
    const auto tables = acpi::splitAcpiTables(blob);
    if (tables.size() != 2) { r.failure = "expected NFIT + SSDT"; return; }
    std::ofstream(dir + "/nfit.dat", std::ios::binary).write(reinterpret_cast<const char *>(tables[0].data()), tables[0].size());
    std::ofstream(dir + "/ssdt.dat", std::ios::binary).write(reinterpret_cast<const char *>(tables[1].data()), tables[1].size());

    // Guest RAM: one file per vNUMA node, back to back from address 0
    // (QEMU's pc machine keeps RAM below 4 GiB up to 3.5 GiB).
    std::string numa_args;
    uint64_t start = 0;
    for (size_t i = 0; i < r.cells.size(); i++) {
        const std::string file = strprintf("%s/ram%zu.img", dir.c_str(), i);
        const uint64_t size = r.cells[i].memory_kib * 1024;
        if (::truncate(file.c_str(), 0) != 0)
            std::ofstream(file).close();
        if (::truncate(file.c_str(), static_cast<off_t>(size)) != 0) { r.failure = "cannot size " + file; return; }
        r.ram_files.push_back(file);
        r.ram_starts.push_back(start);
        start += size;
        numa_args += strprintf(" -object memory-backend-file,id=ram%zu,size=%llu,mem-path=%s,share=on"
                               " -numa node,nodeid=%u,cpus=%s,memdev=ram%zu",
                               i, (unsigned long long)size, file.c_str(), r.cells[i].id,
                               r.cells[i].cpus.c_str(), i);
    }
    // The FIT page: boot FIT + one more device (slot 3, node 1, 16 MiB in
    // unused RAM), generation 2 (stable).
    r.fit_only.name = "fit-page-only";
    r.fit_only.slot = 3;
    r.fit_only.base = 0x60000000;
    r.fit_only.size = 16u << 20;
    r.fit_only.node = 1;
    {
        libxl::GuestLayout with = r.layout;
        with.devices.push_back(r.fit_only);
        const acpi::Bytes page = acpi::buildFitPage(2, libxl::buildLayoutFit(with));
        size_t f;
        uint64_t off;
        if (!ramLocation(r, acpi::fitPageAddress(kWindowBase), f, off)) { r.failure = "FIT page outside guest RAM"; return; }
        writeAt(r.ram_files[f], off, std::string(page.begin(), page.end()));
    }

    // A pattern at base + X of every device, for the guest to read back.
    for (const auto &d : r.layout.devices) {
        size_t f;
        uint64_t off;
        if (!ramLocation(r, d.base + kMarkOffset, f, off)) { r.failure = "device outside guest RAM"; return; }
        writeAt(r.ram_files[f], off, hostPattern(d.slot));
    }

    const std::string initrd = dir + "/initrd.cpio.gz";
    const std::string mk = "python3 " + shellQuote(std::string(PROJECT_SOURCE_DIR) + "/tests/lib/mkinitramfs") +
        " --out " + shellQuote(initrd) + " --init " + shellQuote(kSrcDir + "/guest-init.sh") +
        " --kernel-version " + ver + " --module-set nvdimm --cache-dir " +
        shellQuote(kBuildDir + "/tests/cache") + " > " + shellQuote(dir + "/mkinitramfs.log") + " 2>&1";
    if (run(mk) != 0) { r.failure = "mkinitramfs failed: " + readFile(dir + "/mkinitramfs.log"); return; }

    const std::string console = dir + "/console.log";
    const std::string cmd = "timeout 600 " + qemu + " -machine pc,nvdimm=off -m " +
        strprintf("%lluM", (unsigned long long)(start >> 20)) + " -smp " + strprintf("%u", dom.vcpus()) +
        numa_args + " -acpitable file=" + dir + "/nfit.dat -acpitable file=" + dir + "/ssdt.dat" +
        " -kernel /boot/vmlinuz-" + ver + " -initrd " + initrd +
        " -append " + shellQuote(strprintf("console=ttyS0 quiet panic=-1 mem=%lluM XLNV_EXPECT_PMEM=%zu",
                                           (unsigned long long)(kKernelMem >> 20), r.layout.devices.size() + 1)) +
        " -display none -no-reboot -nodefaults -serial file:" + console + " -monitor none" +
        " > " + dir + "/qemu.log 2>&1";
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run(cmd);
    r.boot_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.console = readFile(console);
    if (rc != 0) { r.failure = "qemu failed: " + readFile(dir + "/qemu.log") + "\n" + r.console; return; }
    if (r.console.find("XLNV-END") == std::string::npos) { r.failure = "guest did not finish:\n" + r.console; return; }

    std::istringstream in(r.console.substr(r.console.find("XLNV-BEGIN")));
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::istringstream w(line);
        std::string tag;
        w >> tag;
        if (tag == "REGION") {
            Region g;
            std::string res;
            w >> g.name >> res >> g.size >> g.numa >> g.ro;
            g.resource = std::stoull(res, nullptr, 16);
            r.regions.push_back(g);
        } else if (tag == "PMEM") {
            Pmem p;
            w >> p.dev >> p.region >> p.size >> p.ro;
            r.pmems.push_back(p);
        } else if (tag == "IOMEM") {
            r.iomem.push_back(line.substr(6));
        } else if (tag == "READ") {
            std::string dev, rest;
            w >> dev;
            std::getline(w, rest);
            r.reads[dev] = trim(rest);
        } else if (tag == "WRITE") {
            std::string dev;
            int status = -1;
            w >> dev >> status;
            r.writes[dev] = status;
        }
    }
}

class NfitGuest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (g_run)
            return;
        g_run = new GuestRun;
        std::string dir = kBuildDir + "/tests/acpi/guest-run";
        run("rm -rf " + shellQuote(dir) + " && mkdir -p " + shellQuote(dir));
        try {
            bootGuest(*g_run, dir);
        } catch (const Error &e) {
            g_run->failure = e.message();
        }
        std::printf("guest boot + checks: %.1f s\n", g_run->boot_seconds);
    }
    // The RAM files hold up to a GiB of written pages; the console log
    // and tables stay for a look after a failure.
    static void TearDownTestSuite()
    {
        if (g_run)
            for (const auto &f : g_run->ram_files)
                ::unlink(f.c_str());
    }
    void SetUp() override
    {
        if (!g_run->skip.empty())
            GTEST_SKIP() << g_run->skip;
        ASSERT_TRUE(g_run->failure.empty()) << g_run->failure;
    }
    const GuestRun &r() const { return *g_run; }
    const Region *regionAt(uint64_t base) const
    {
        for (const auto &g : r().regions)
            if (g.resource == base)
                return &g;
        return nullptr;
    }
    const Pmem *pmemOf(const std::string &region) const
    {
        for (const auto &p : r().pmems)
            if (p.region == region)
                return &p;
        return nullptr;
    }
};

} // namespace

TEST_F(NfitGuest, LayoutPutsThreeDevicesInUnusedRam)
{
    ASSERT_EQ(r().layout.devices.size(), 3u);
    for (const auto &d : r().layout.devices) {
        EXPECT_GE(d.base, kKernelMem);
        EXPECT_EQ(d.base % (2u << 20), 0u);
    }
}

TEST_F(NfitGuest, OneRegionPerDevice)
{
    // The layout's devices plus the one only the FIT page has.
    EXPECT_EQ(r().regions.size(), r().layout.devices.size() + 1) << r().console;
}

// Linux evaluated our _FIT at boot: it read the FIT page (generation 2,
// longer than the boot FIT) and took the device only the page has.
TEST_F(NfitGuest, FitAtBootReadsTheFitPage)
{
    const Region *g = regionAt(r().fit_only.base);
    ASSERT_NE(g, nullptr) << "no region at " << hex(r().fit_only.base) << "\n" << r().console;
    EXPECT_EQ(g->size, r().fit_only.size);
    EXPECT_EQ(g->numa, 1);
}

TEST_F(NfitGuest, RegionsAtOurBases)
{
    for (const auto &d : r().layout.devices)
        EXPECT_NE(regionAt(d.base), nullptr) << "no region at " << hex(d.base) << "\n" << r().console;
}

TEST_F(NfitGuest, RegionSizesAreOurs)
{
    for (const auto &d : r().layout.devices) {
        const Region *g = regionAt(d.base);
        ASSERT_NE(g, nullptr) << hex(d.base);
        EXPECT_EQ(g->size, d.size) << g->name;
    }
}

TEST_F(NfitGuest, IomemShowsPersistentMemoryAtOurRanges)
{
    for (const auto &d : r().layout.devices) {
        const std::string range = strprintf("%llx-%llx", (unsigned long long)d.base,
                                            (unsigned long long)(d.base + d.size - 1));
        bool found = false;
        for (const auto &l : r().iomem)
            found = found || l.find(range) != std::string::npos;
        EXPECT_TRUE(found) << range << " not in /proc/iomem:\n" << r().console;
    }
}

TEST_F(NfitGuest, OnePmemBlockDevicePerDevice)
{
    EXPECT_EQ(r().pmems.size(), r().layout.devices.size() + 1);   // + the FIT page's own
    for (const auto &d : r().layout.devices) {
        const Region *g = regionAt(d.base);
        ASSERT_NE(g, nullptr);
        const Pmem *p = pmemOf(g->name);
        ASSERT_NE(p, nullptr) << "no /dev/pmemN in " << g->name;
        EXPECT_EQ(p->size, d.size) << p->dev;
    }
}

TEST_F(NfitGuest, RegionsOnOurNumaNodes)
{
    for (const auto &d : r().layout.devices) {
        const Region *g = regionAt(d.base);
        ASSERT_NE(g, nullptr);
        ASSERT_TRUE(d.node.has_value());
        EXPECT_EQ(g->numa, static_cast<int>(*d.node)) << g->name;
    }
}

TEST_F(NfitGuest, ReadonlyDeviceIsReadOnlyInTheGuest)
{
    int readonly = 0;
    for (const auto &d : r().layout.devices) {
        const Region *g = regionAt(d.base);
        ASSERT_NE(g, nullptr);
        const Pmem *p = pmemOf(g->name);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(g->ro, d.readonly ? 1 : 0) << g->name;
        EXPECT_EQ(p->ro, d.readonly ? 1 : 0) << p->dev;
        readonly += d.readonly;
    }
    EXPECT_EQ(readonly, 1);
}

TEST_F(NfitGuest, GuestReadsWhatTheHostPutAtBasePlusOffset)
{
    for (const auto &d : r().layout.devices) {
        const Pmem *p = pmemOf(regionAt(d.base) ? regionAt(d.base)->name : "");
        ASSERT_NE(p, nullptr);
        auto it = r().reads.find(p->dev);
        ASSERT_NE(it, r().reads.end());
        EXPECT_EQ(it->second, hostPattern(d.slot)) << p->dev;
    }
}

TEST_F(NfitGuest, GuestMarkersLandInRamBackingFileAtBasePlusOffset)
{
    for (const auto &d : r().layout.devices) {
        if (d.readonly)
            continue;
        const Pmem *p = pmemOf(regionAt(d.base) ? regionAt(d.base)->name : "");
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(r().writes.at(p->dev), 0) << p->dev;
        size_t f;
        uint64_t off;
        ASSERT_TRUE(ramLocation(r(), d.base + kMarkOffset, f, off));
        const std::string mark = "XLNV-MARK-" + p->dev;
        EXPECT_EQ(readAt(r().ram_files[f], off, mark.size()), mark) << p->dev;
    }
}

TEST_F(NfitGuest, ReadonlyDeviceRefusesTheMarker)
{
    for (const auto &d : r().layout.devices) {
        if (!d.readonly)
            continue;
        const Pmem *p = pmemOf(regionAt(d.base) ? regionAt(d.base)->name : "");
        ASSERT_NE(p, nullptr);
        EXPECT_NE(r().writes.at(p->dev), 0) << p->dev;
        size_t f;
        uint64_t off;
        ASSERT_TRUE(ramLocation(r(), d.base + kMarkOffset, f, off));
        EXPECT_EQ(readAt(r().ram_files[f], off, 16), hostPattern(d.slot)) << p->dev;
    }
}
