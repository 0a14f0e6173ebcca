// Not a test: prints how long the libxl path takes for large NVDIMMs.
//   build-*/tests/libxl/libxl-layout-bench
// Cases: a 1 TiB file in 8192 extents of 128 MiB (2 MiB aligned), the
// same file fragmented into 4 KiB-aligned extents, and as many devices as
// one guest's FIT page holds (acpi::kFitPageMaxNvdimms; NFIT + SSDT size).
#include <chrono>
#include <cstdio>
#include <string>

#include "acpi/firmware.h"
#include "acpi/fit_page.h"
#include "conf/domain_conf.h"
#include "libxl/libxl_config.h"
#include "libxl/guest_layout.h"
#include "util/log.h"
#include "util/strutil.h"

using namespace xlnv;

namespace {

class SyntheticHost : public libxl::BackingResolver {
public:
    SyntheticHost(uint64_t extent_len, uint64_t misalign) : extent_len_(extent_len), misalign_(misalign) {}
    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        ResolvedBacking b;
        b.path = def.path;
        const uint64_t size = def.size_kib * 1024;
        // Extents scattered over the host: every other slot of a big region.
        for (uint64_t off = 0; off < size; off += extent_len_) {
            const uint64_t len = std::min(extent_len_, size - off);
            b.extents.push_back({off, base_ + 2 * off + misalign_, len});
        }
        b.size = size;
        base_ += 4 * size;
        return b;
    }

private:
    uint64_t extent_len_, misalign_;
    uint64_t base_ = 0x10000000000ull;
};

std::string domainXml(unsigned devices, uint64_t size_kib)
{
    std::string devs;
    for (unsigned i = 0; i < devices; i++)
        devs += strprintf("<memory model='nvdimm'><source><path>/pmem/%u</path></source>"
                          "<target><size unit='KiB'>%llu</size></target></memory>",
                          i, (unsigned long long)size_kib);
    return strprintf("<domain type='xen'><name>bench</name><maxMemory slots='%u' unit='KiB'>%llu</maxMemory>"
                     "<memory unit='KiB'>%llu</memory><vcpu>4</vcpu><os><type>hvm</type></os>"
                     "<devices>%s</devices></domain>",
                     devices, (unsigned long long)(devices * size_kib + 8388608ull),
                     (unsigned long long)(devices * size_kib + 4194304ull), devs.c_str());
}

void bench(const char *label, unsigned devices, uint64_t size_kib, uint64_t extent_len, uint64_t misalign)
{
    auto dom = conf::DomainXml::parseString(domainXml(devices, size_kib), conf::NVDIMM_INACTIVE);
    SyntheticHost host(extent_len, misalign);
    const auto t0 = std::chrono::steady_clock::now();
    libxl::GuestLayout layout = libxl::planGuestLayout(dom, host);
    const auto t1 = std::chrono::steady_clock::now();
    libxl::DomainConfig cfg;
    libxl::fillBaseConfig(*cfg.get(), dom);
    libxl::fillNvdimmConfig(*cfg.get(), layout, "/run/x/nvdimm-acpi.bin");
    acpi::Bytes blob = libxl::buildLayoutFirmware(layout);
    const auto t2 = std::chrono::steady_clock::now();
    const std::string json = cfg.toJson();
    const std::string xl = libxl::formatXlConfig(*cfg.get());
    const auto t3 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    std::printf("%-34s devices=%u iomem_ranges=%d layout=%.1f ms config+acpi=%.1f ms "
                "json+xl=%.1f ms json=%zu B xl.cfg=%zu B acpi_firmware=%zu B\n",
                label, devices, cfg.get()->b_info.num_iomem, ms(t0, t1), ms(t1, t2), ms(t2, t3),
                json.size(), xl.size(), blob.size());
}

} // namespace

int main()
{
    setWarningSink([](const std::string &) {});
    bench("1 TiB, 8192 x 128 MiB extents", 1, 1ull << 30, 128ull << 20, 0);
    bench("1 TiB, 65536 x 16 MiB 4K-aligned", 1, 1ull << 30, 16ull << 20, 0x3000);
    // The hotplug tables cap a guest's NVDIMMs: its whole FIT fits the page.
    const std::string most = strprintf("%u devices x 1 GiB", acpi::kFitPageMaxNvdimms);
    bench(most.c_str(), acpi::kFitPageMaxNvdimms, 1ull << 20, 1ull << 30, 0);
    return 0;
}
