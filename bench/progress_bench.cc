// What progress output costs provisioning (run with `ninja -C BUILD bench`).
// Prints numbers; fails nothing.
//
//  1. fillFile of a new XLNV_BENCH_PROGRESS_SIZE file (default 1G) in
//     XLNV_BENCH_DIR (default: the build directory), XLNV_BENCH_ROUNDS
//     rounds (default 7) of three runs each, in rotating order: no callback, the
//     reporter's lines, the reporter's bar (both to /dev/null). The
//     fastest and the median of each and the overhead against no
//     callback, in percent. Target: < 1%. (FIEMAP is needed, so no tmpfs.)
//  2. The reporter alone: ns per update for a fill's worth of reports,
//     and that as a share of the measured fill time (the noise-free
//     figure behind 1).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "pmem/provision.h"
#include "util/bytesize.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/progress.h"

using namespace xlnv;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t kReportEvery = 64 * MiB;   // fillFile's report granularity

std::string envOr(const char *name, const std::string &def)
{
    const char *v = std::getenv(name);
    return v && *v ? v : def;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// Seconds to fill a new file of `size` at `path` with `progress`.
double fillOnce(const std::string &path, uint64_t size, const ProgressFn &progress)
{
    unlink(path.c_str());
    sync();   // the previous run's writeback is not this one's cost
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        raiseSystem(errno, "cannot create '%s'", path.c_str());
    const auto t0 = std::chrono::steady_clock::now();
    fillFile(fd.get(), size, false, path, progress);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fd.reset();
    unlink(path.c_str());
    return s;
}

// Nanoseconds per update of a reporter in `style`, over a fill of `size`
// reported as fillFile does, repeated until it has run long enough to time.
double nsPerUpdate(std::FILE *sink, ProgressStyle style, uint64_t size)
{
    uint64_t calls = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double s = 0;
    do {
        ProgressReporter r(sink, style, 0);
        for (uint64_t done = 0; done <= size; done += kReportEvery, ++calls)
            r.update({ProgressPhase::Provisioning, "/bench/progress.img", done, size});
        r.finish();
        s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    } while (s < 0.2);
    return s * 1e9 / static_cast<double>(calls);
}

} // namespace

int main()
{
    try {
        const std::string dir = envOr("XLNV_BENCH_DIR", PROJECT_BUILD_DIR);
        const uint64_t size = parseByteSize(envOr("XLNV_BENCH_PROGRESS_SIZE", "1G"), "XLNV_BENCH_PROGRESS_SIZE");
        const int rounds = std::max(1, std::atoi(envOr("XLNV_BENCH_ROUNDS", "7").c_str()));
        const std::string path = dir + "/bench-progress.img";
        std::FILE *sink = std::fopen("/dev/null", "w");
        if (!sink)
            raiseSystem(errno, "cannot open /dev/null");

        std::printf("progress benchmarks in %s: fill of %s, %d rounds\n", dir.c_str(),
                    formatByteSize(size).c_str(), rounds);
        std::vector<double> none, lines, bar;
        fillOnce(path, size, {});   // warm-up: allocator, page cache
        for (int i = 0; i < rounds; ++i)
            for (int k = 0; k < 3; ++k) {
                // Each variant first, second and third in turn: the disk's
                // own drift does not favour one.
                ProgressReporter l(sink, ProgressStyle::Lines, 0), b(sink, ProgressStyle::Bar, 0);   // 0: always drawing
                switch ((i + k) % 3) {
                case 0:
                    none.push_back(fillOnce(path, size, {}));
                    break;
                case 1:
                    lines.push_back(fillOnce(path, size, l.callback()));
                    break;
                default:
                    bar.push_back(fillOnce(path, size, b.callback()));
                }
            }
        const double base = median(none);
        auto fastest = [](const std::vector<double> &v) { return *std::min_element(v.begin(), v.end()); };
        const double best = fastest(none);
        auto pct = [](double t, double ref) { return (t - ref) / ref * 100; };
        std::printf("fill %s, fastest of %d: no progress %.3f s, lines %.3f s (%+.2f%%), bar %.3f s (%+.2f%%)\n",
                    formatByteSize(size).c_str(), rounds, best, fastest(lines), pct(fastest(lines), best),
                    fastest(bar), pct(fastest(bar), best));
        std::printf("fill %s, median of %d: no progress %.3f s, lines %.3f s (%+.2f%%), bar %.3f s (%+.2f%%)\n"
                    "  (target < 1%%; end to end, so the disk's own spread shows too: see below)\n",
                    formatByteSize(size).c_str(), rounds, base, median(lines), pct(median(lines), base),
                    median(bar), pct(median(bar), base));

        const double updates = static_cast<double>(size / kReportEvery + 2);
        for (auto [name, style] : {std::pair{"lines", ProgressStyle::Lines}, {"bar", ProgressStyle::Bar}}) {
            const double ns = nsPerUpdate(sink, style, size);
            std::printf("reporter %s: %.0f ns per update, %.0f updates per fill = %.4f%% of the fill "
                        "(target < 1%%)\n",
                        name, ns, updates, ns * updates / (base * 1e9) * 100);
        }
        std::fclose(sink);
    } catch (const Error &e) {
        std::fprintf(stderr, "error: %s\n", e.message().c_str());
        return 1;
    }
    return 0;
}
