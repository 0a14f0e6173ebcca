// Host-pmem benchmarks (run with `ninja -C BUILD bench`). Prints numbers;
// targets are printed beside them, nothing here fails a build.
//
//  1. Provisioning a new file of XLNV_BENCH_PROVISION_SIZE (default 4G) in
//     XLNV_BENCH_DIR (default: the build directory) against
//     `dd if=/dev/zero bs=2M conv=fsync` of the same size to the same
//     filesystem, in the same run. Target: ratio <= 1.0.
//  2. Extents of a 64 GiB backing with thousands of extents: the FIEMAP ->
//     SPA conversion over 32768 synthetic extents, and reading FIEMAP of a
//     real sparse 64 GiB file with 4096 written pieces. Target: < 100 ms.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "util/bytesize.h"
#include "util/error.h"
#include "util/fd.h"
#include "pmem/fiemap.h"
#include "pmem/provision.h"

using namespace xlnv;

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t GiB = 1ull << 30;

double seconds(std::chrono::steady_clock::time_point since)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

std::string envOr(const char *name, const std::string &def)
{
    const char *v = std::getenv(name);
    return v && *v ? v : def;
}

void benchProvision(const std::string &dir, uint64_t size)
{
    const std::string dd_path = dir + "/bench-dd.img";
    const std::string our_path = dir + "/bench-provision.img";
    unlink(dd_path.c_str());
    unlink(our_path.c_str());

    std::string cmd = "dd if=/dev/zero of='" + dd_path + "' bs=2M count=" +
                      std::to_string(size / (2 * MiB)) + " conv=fsync status=none";
    sync();
    auto t0 = std::chrono::steady_clock::now();
    int rc = std::system(cmd.c_str());
    double dd_s = seconds(t0);
    unlink(dd_path.c_str());
    if (rc != 0) {
        std::printf("provision: dd failed (%d)\n", rc);
        return;
    }

    sync();
    UniqueFd fd(open(our_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    t0 = std::chrono::steady_clock::now();
    ProvisionResult r = fillFile(fd.get(), size, false, our_path);
    double our_s = seconds(t0);
    fd.reset();
    unlink(our_path.c_str());

    std::printf("provision %s: dd bs=2M conv=fsync %.2f s (%.0f MiB/s), fillFile %.2f s "
                "(%.0f MiB/s, %s filled), ratio %.2f (target <= 1.00)\n",
                formatByteSize(size).c_str(), dd_s, size / MiB / dd_s, our_s, size / MiB / our_s,
                formatByteSize(r.filled).c_str(), our_s / dd_s);
}

void benchSyntheticExtents()
{
    // 64 GiB as 32768 extents of 2 MiB, none physically adjacent.
    std::vector<fiemap_extent> raw(32768);
    for (size_t i = 0; i < raw.size(); i++) {
        raw[i] = fiemap_extent{};
        raw[i].fe_logical = i * 2 * MiB;
        raw[i].fe_physical = (raw.size() - i) * 4 * MiB;
        raw[i].fe_length = 2 * MiB;
    }
    raw.back().fe_flags = FIEMAP_EXTENT_LAST;
    DeviceRange dev{0x100000000ull, 0, 1ull << 40};
    auto t0 = std::chrono::steady_clock::now();
    auto out = fiemapToExtents(raw, dev, 64 * GiB, "synthetic");
    bool sp = superpageMappable(out);
    double s = seconds(t0);
    std::printf("extents 64 GiB synthetic: %zu FIEMAP extents -> %zu SPA extents (superpage %s) "
                "in %.2f ms (target < 100 ms)\n",
                raw.size(), out.size(), sp ? "yes" : "no", s * 1e3);
}

void benchRealFiemap(const std::string &dir)
{
    const std::string path = dir + "/bench-fragmented.img";
    unlink(path.c_str());
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    std::string page(4096, 'x');
    const unsigned pieces = 4096;
    for (unsigned i = 0; i < pieces; i++)
        if (pwrite(fd.get(), page.data(), page.size(), static_cast<off_t>(i * 16 * MiB)) < 0) {
            std::printf("extents real: write failed\n");
            return;
        }
    if (ftruncate(fd.get(), static_cast<off_t>(64 * GiB)) < 0 || fsync(fd.get()) < 0) {
        std::printf("extents real: cannot size the file\n");
        return;
    }
    try {
        auto t0 = std::chrono::steady_clock::now();
        auto raw = readFiemap(fd.get(), 0, 64 * GiB, path);
        double read_s = seconds(t0);
        std::printf("extents 64 GiB real sparse file: FIEMAP read of %zu extents in %.2f ms "
                    "(target < 100 ms)\n", raw.size(), read_s * 1e3);
    } catch (const Error &e) {
        std::printf("extents real: %s\n", e.message().c_str());
    }
    fd.reset();
    unlink(path.c_str());
}

} // namespace

int main()
{
    const std::string dir = envOr("XLNV_BENCH_DIR", PROJECT_BUILD_DIR);
    uint64_t size = 4 * GiB;
    try {
        size = parseByteSize(envOr("XLNV_BENCH_PROVISION_SIZE", "4G"), "XLNV_BENCH_PROVISION_SIZE");
    } catch (const Error &e) {
        std::fprintf(stderr, "error: %s\n", e.message().c_str());
        return 1;
    }
    std::printf("host-pmem benchmarks in %s\n", dir.c_str());
    benchSyntheticExtents();
    benchRealFiemap(dir);
    try {
        benchProvision(dir, size);
    } catch (const Error &e) {
        std::printf("provision: %s\n", e.message().c_str());
    }
    return 0;
}
