// Mapping cost on the simulated Xen host (prints numbers, fails nothing):
// grant + map + unmap + revoke of a 1 TiB devdax range into `demo`,
// 2 MiB aligned (target: the floor, 8,192 mapping calls) and one page off
// alignment (4 KiB entries: 4,194,304 calls), with toolstack wall time
// and peak RSS. XLNV_BENCH_SIZE_GIB overrides the size (default 1024).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "libxl/connection.h"
#include "sim/sim_hypervisor.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

double since(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

long peakRssKiB()
{
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

void run(const char *label, uint64_t mfnOffset, uint64_t sizeGiB)
{
    char tmpl[] = "/tmp/xlnv-sim-bench-XXXXXX";
    if (!mkdtemp(tmpl))
        std::exit(1);
    {
        auto conn = Connection::open("sim:///default", tmpl);
        SimHypervisor &sim = conn->requireSimulated("test");
        const uint64_t frames = (sizeGiB << 30) / kPageSize;
        const uint64_t mfn = 0x10000200000ULL / kPageSize + mfnOffset;
        const uint64_t gfn = (4ULL << 40) / kPageSize;   // 4 TiB in the guest
        const uint64_t mapFrames = frames - mfnOffset;
        auto t0 = std::chrono::steady_clock::now();
        sim.grantIomem(1, mfn, mapFrames);
        sim.mapMemory(1, gfn, mfn, mapFrames);
        const double mapMs = since(t0);
        const SimStats st = sim.stats();
        auto t1 = std::chrono::steady_clock::now();
        sim.unmapMemory(1, gfn, mfn, mapFrames);
        sim.revokeIomem(1, mfn, mapFrames);
        const double unmapMs = since(t1);
        std::printf("%-10s %5llu GiB: map_calls %llu (entries 2M %llu, 4K %llu), grant+map %.1f ms, "
                    "unmap+revoke %.1f ms, peak RSS %ld KiB\n",
                    label, static_cast<unsigned long long>(sizeGiB),
                    static_cast<unsigned long long>(st.counters.map_calls),
                    static_cast<unsigned long long>(st.counters.entries_2m),
                    static_cast<unsigned long long>(st.counters.entries_4k), mapMs, unmapMs, peakRssKiB());
    }
    std::filesystem::remove_all(tmpl);
}

} // namespace

int main()
{
    const char *env = std::getenv("XLNV_BENCH_SIZE_GIB");
    const uint64_t sizeGiB = env ? std::strtoull(env, nullptr, 10) : 1024;
    std::printf("simulated hypervisor mapping (target: 1 TiB aligned = 8192 calls; "
                "toolstack time < 50 ms is the attach target)\n");
    run("aligned", 0, sizeGiB);
    run("unaligned", 1, sizeGiB);
    return 0;
}
