// Live attach of a big devdax NVDIMM to `demo` on a fresh simulated host,
// in process through NvdimmDriver (what the CLI, the C API and the hook
// run): mapping calls and entries by size (target for 1 TiB 2 MiB
// aligned: the floor, 8,192 calls = 1 TiB / (64 x 2 MiB)), toolstack
// wall time of attach and detach (target < 50 ms; a devdax backing needs
// no provisioning), the ratio of attach to the simulated hypervisor's
// own grant+map of the same ranges (target <= 1.5x; wall and CPU time, the
// fastest of 9 rounds: the guest has 16 slots, and each round leaves one in
// its FIT) and peak RSS. Then the same on a host whose devdax
// namespace is only 4 KiB aligned, to show the cost of 4 KiB entries.
// The state directory is where sim:///default keeps it, a tmpfs runtime
// directory; the aligned case runs again with it on disk (/var/tmp), where
// each small file the journal writes costs an inode and a rename.
// Prints numbers, fails nothing. XLNV_BENCH_SIZE_GIB sets the size
// (default 1024); XLNV_BENCH_ALIGNED_ONLY=1 skips the 4 KiB case.
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libxl/connection.h"
#include "libxl/nvdimm_driver.h"
#include "sim/sim_hypervisor.h"
#include "util/error.h"
#include "util/state_dir.h"
#include "util/strutil.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

double msSince(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// This process's CPU time: the wall time less the waits for the disk
// (the journal's fsyncs) and for other processes.
double cpuMs()
{
    struct timespec ts {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

long peakRssKiB()
{
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// sim:///default's host with the devdax namespace at `offset` in its
// region: 2 MiB ("2MiB", as the default host) or one page more.
std::string hostXml(const std::string &offset, const std::string &align, uint64_t sizeGiB)
{
    const std::string size = std::to_string(sizeGiB) + "GiB";
    return "<simhost name='bench'>\n"
           "  <pmem>\n"
           "    <region dev='region0' spa='0x10000000000' size='" + std::to_string(sizeGiB + 1) +
           "GiB' align='" + align + "' node='0'>\n"
           "      <namespace dev='namespace0.0' mode='devdax' chardev='dax0.0' offset='" + offset +
           "' size='" + size + "' align='" + align + "'/>\n"
           "    </region>\n"
           "  </pmem>\n"
           "  <guests>\n"
           "    <guest id='1' state='running'>\n"
           "      <domain type='xen'>\n"
           "        <name>demo</name>\n"
           "        <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
           "        <maxMemory slots='16' unit='KiB'>" + std::to_string((sizeGiB + 1024) << 20) +
           "</maxMemory>\n"
           "        <memory unit='KiB'>4194304</memory>\n"
           "        <currentMemory unit='KiB'>4194304</currentMemory>\n"
           "        <vcpu placement='static'>2</vcpu>\n"
           "        <os><type arch='x86_64' machine='xenfv'>hvm</type></os>\n"
           "        <features><acpi/><apic/><pae/></features>\n"
           "        <cpu><numa><cell id='0' cpus='0-1' memory='4194304' unit='KiB'/></numa></cpu>\n"
           "        <devices/>\n"
           "      </domain>\n"
           "    </guest>\n"
           "  </guests>\n"
           "</simhost>\n";
}

std::string deviceXml(uint64_t sizeGiB)
{
    return "<memory model='nvdimm' access='shared'>\n"
           "  <source><path>/dev/dax0.0</path></source>\n"
           "  <target><size unit='GiB'>" + std::to_string(sizeGiB) + "</size><node>0</node></target>\n"
           "</memory>\n";
}

// Noise from other processes only ever adds time: the fastest of a few
// rounds is the cost.
// XLNV_BENCH_ROUNDS raises it for a profiler.
int roundsWanted()
{
    const char *s = std::getenv("XLNV_BENCH_ROUNDS");
    return s ? std::max(1, std::atoi(s)) : 9;
}

void run(const char *label, const std::string &uri, const std::string &stateDir, uint64_t sizeGiB,
         uint64_t targetCalls)
{
    auto conn = Connection::open(uri, stateDir);
    NvdimmDriver driver(*conn);
    SimHypervisor &sim = conn->requireSimulated("live-attach-bench");
    const long rssBefore = peakRssKiB();

    double attachMs = 1e300, detachMs = 1e300, rawMs = 1e300, attachCpu = 1e300, rawCpu = 1e300;
    std::string alias;
    uint64_t mapped = 0, mapCalls = 0, entries2m = 0, entries4k = 0, unmapCalls = 0, fsyncs = 0;
    const int rounds = sizeGiB >= 64 && targetCalls > 100000 ? 1 : roundsWanted();
    for (int round = 0; round < rounds; ++round) {
        const SimCounters c0 = sim.stats().counters;
        auto t0 = std::chrono::steady_clock::now();
        const double c0Cpu = cpuMs();
        const uint64_t w0 = durableWriteCount();
        alias = driver.attachDevice("demo", deviceXml(sizeGiB), kAffectLive);
        fsyncs = durableWriteCount() - w0;
        attachCpu = std::min(attachCpu, cpuMs() - c0Cpu);
        attachMs = std::min(attachMs, msSince(t0));
        const SimStats st = sim.stats();
        mapCalls = st.counters.map_calls - c0.map_calls;
        entries2m = st.counters.entries_2m - c0.entries_2m;
        entries4k = st.counters.entries_4k - c0.entries_4k;

        std::vector<IomemPermission> iomem;
        std::vector<MemoryMapping> mappings;
        uint32_t domid = 0;
        for (const auto &d : st.domains)
            if (d.name == "demo") {
                mapped = d.mapped_bytes;
                iomem = d.iomem;
                mappings = d.mappings;
                domid = d.domid;
            }

        auto t1 = std::chrono::steady_clock::now();
        driver.detachDeviceAlias("demo", alias, kAffectLive, true);
        detachMs = std::min(detachMs, msSince(t1));
        unmapCalls = sim.stats().counters.unmap_calls - st.counters.unmap_calls;

        // The simulated hypervisor's own work for the same ranges: what an
        // attach cannot avoid. The rest is the toolstack's (journal, layout,
        // ACPI data, labels, pins).
        auto t2 = std::chrono::steady_clock::now();
        const double c2Cpu = cpuMs();
        for (const auto &p : iomem)
            sim.grantIomem(domid, p.mfn, p.nr);
        for (const auto &m : mappings)
            sim.mapMemory(domid, m.gfn, m.mfn, m.nr);
        rawCpu = std::min(rawCpu, cpuMs() - c2Cpu);
        rawMs = std::min(rawMs, msSince(t2));
        for (auto it = mappings.rbegin(); it != mappings.rend(); ++it)
            sim.unmapMemory(domid, it->gfn, it->mfn, it->nr);
        for (auto it = iomem.rbegin(); it != iomem.rend(); ++it)
            sim.revokeIomem(domid, it->mfn, it->nr);
        // A forced live detach leaves the entry in the guest's FIT (as
        // Linux cannot drop it): the next round gets the next slot.
    }

    std::printf("%s: %llu GiB devdax live attach to demo as %s, %llu GiB mapped (fastest of %d)\n", label,
                static_cast<unsigned long long>(sizeGiB), alias.c_str(),
                static_cast<unsigned long long>(mapped >> 30), rounds);
    std::printf("  mapping calls      %llu (floor %llu)\n", static_cast<unsigned long long>(mapCalls),
                static_cast<unsigned long long>(targetCalls));
    std::printf("  entries 2 MiB      %llu\n", static_cast<unsigned long long>(entries2m));
    std::printf("  entries 4 KiB      %llu\n", static_cast<unsigned long long>(entries4k));
    std::printf("  attach wall time   %.1f ms (target < 50 ms)\n", attachMs);
    std::printf("  durable writes     %llu (a devdax attach needs none: docs/live.rst)\n",
                static_cast<unsigned long long>(fsyncs));
    std::printf("  grant+map alone    %.1f ms (the simulated hypervisor's own work)\n", rawMs);
    std::printf("  attach / grant+map %.2fx (target <= 1.5x)\n", rawMs > 0 ? attachMs / rawMs : 0.0);
    std::printf("  ... in CPU time    %.1f ms / %.1f ms = %.2fx (without the journal's disk waits)\n",
                attachCpu, rawCpu, rawCpu > 0 ? attachCpu / rawCpu : 0.0);
    std::printf("  detach wall time   %.1f ms (%llu unmapping calls)\n", detachMs,
                static_cast<unsigned long long>(unmapCalls));
    std::printf("  peak RSS           %ld KiB (%ld KiB before the attach)\n", peakRssKiB(), rssBefore);
    std::fflush(stdout);
}

// Where sim:///default keeps its state: a runtime directory, tmpfs
// (/run/libxl-nvdimm-sim for root, $XDG_RUNTIME_DIR/... otherwise). /dev/shm
// is tmpfs wherever /run is; a host without it measures on /tmp.
std::string runtimeParent()
{
    struct statfs fs {};
    return statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC ? "/dev/shm" : "/tmp";
}

std::string filesystemOf(const std::string &dir)
{
    struct statfs fs {};
    if (statfs(dir.c_str(), &fs) != 0)
        return "?";
    switch (fs.f_type) {
    case TMPFS_MAGIC: return "tmpfs";
    case EXT4_SUPER_MAGIC: return "ext4";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
    }
    return strprintf("0x%lx", static_cast<unsigned long>(fs.f_type));
}

// Each case in its own process, so its peak RSS is its own; its state
// directory under `parent`.
void runIsolated(const std::string &label, const std::string &uri, const std::string &parent, uint64_t sizeGiB,
                 uint64_t targetCalls)
{
    std::string tmpl = parent + "/xlnv-bench-live-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
        std::perror("mkdtemp");
        std::exit(1);
    }
    const std::string full = label + ", state on " + filesystemOf(tmpl) + " (" + parent + ")";
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        try {
            run(full.c_str(), uri, tmpl, sizeGiB, targetCalls);
        } catch (const Error &e) {
            std::fprintf(stderr, "%s: error: %s\n", full.c_str(), e.message().c_str());
            _exit(1);
        }
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::filesystem::remove_all(tmpl);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        std::printf("%s: FAILED\n", full.c_str());
}

} // namespace

int main()
{
    uint64_t sizeGiB = 1024;
    if (const char *s = std::getenv("XLNV_BENCH_SIZE_GIB"))
        sizeGiB = std::strtoull(s, nullptr, 10);
    const uint64_t frames = (sizeGiB << 30) / 4096;

    const std::string runtime = runtimeParent();
    runIsolated("aligned (sim:///default)", "sim:///default", runtime, sizeGiB, frames / 512 / 64);
    // The same on a disk filesystem: what each of the journal's small file
    // writes costs there (a new inode, a rename).
    runIsolated("aligned (sim:///default)", "sim:///default", "/var/tmp", sizeGiB, frames / 512 / 64);

    if (std::getenv("XLNV_BENCH_ALIGNED_ONLY"))
        return 0;
    // A namespace one page past 2 MiB alignment: every entry is 4 KiB.
    std::string hostDir = runtime + "/xlnv-bench-live-host-XXXXXX";
    if (!mkdtemp(hostDir.data()))
        return 1;
    const std::string hostFile = hostDir + "/host.xml";
    std::ofstream(hostFile) << hostXml("0x201000", "4KiB", sizeGiB);
    runIsolated("unaligned (4 KiB aligned SPA)", "sim://" + hostFile, runtime, sizeGiB, (frames + 63) / 64);
    std::filesystem::remove_all(hostDir);
    return 0;
}
