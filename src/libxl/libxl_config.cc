#include "libxl/libxl_config.h"

#include <libxml/xpath.h>
// libxenlight's headers have no C++ linkage guards.
extern "C" {
#include <libxl_utils.h>
}
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <memory>

#include "acpi/firmware.h"
#include "acpi/table_upgrade.h"
#include "util/error.h"
#include "util/state_dir.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

using ull = unsigned long long;

// libxl frees what it owns with free(): hand it malloc'd copies.
char *dupString(const std::string &s)
{
    char *p = strdup(s.c_str());
    if (!p)
        throw std::bad_alloc();
    return p;
}

// A text value from the domain document, "" when absent.
std::string xpathString(const conf::DomainXml &dom, const char *expr)
{
    std::unique_ptr<xmlXPathContext, decltype(&xmlXPathFreeContext)> ctx(
        xmlXPathNewContext(dom.doc()), xmlXPathFreeContext);
    if (!ctx)
        throw std::bad_alloc();
    std::unique_ptr<xmlXPathObject, decltype(&xmlXPathFreeObject)> obj(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar *>(expr), ctx.get()),
        xmlXPathFreeObject);
    if (!obj || obj->type != XPATH_STRING || !obj->stringval)
        return {};
    return reinterpret_cast<const char *>(obj->stringval);
}

libxl_action_on_shutdown lifecycleAction(const conf::DomainXml &dom, const char *element,
                                         libxl_action_on_shutdown def)
{
    const std::string v = xpathString(dom, strprintf("string(/domain/%s)", element).c_str());
    if (v.empty())
        return def;
    if (v == "destroy")
        return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    if (v == "restart")
        return LIBXL_ACTION_ON_SHUTDOWN_RESTART;
    if (v == "rename-restart")
        return LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME;
    if (v == "preserve")
        return LIBXL_ACTION_ON_SHUTDOWN_PRESERVE;
    if (v == "coredump-destroy")
        return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY;
    if (v == "coredump-restart")
        return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART;
    raise(ErrorCode::ConfigUnsupported, _("unsupported <%s> action '%s'"), element, v.c_str());
}

const char *actionName(libxl_action_on_shutdown a)
{
    switch (a) {
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART: return "restart";
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME: return "rename-restart";
    case LIBXL_ACTION_ON_SHUTDOWN_PRESERVE: return "preserve";
    case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY: return "coredump-destroy";
    case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART: return "coredump-restart";
    case LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET: return "soft-reset";
    default: return "destroy";
    }
}

// libxl_bitmap_alloc needs a libxl_ctx (which needs a running Xen); the
// bitmap is plain malloc'd bytes that libxl_bitmap_dispose frees.
void allocBitmap(libxl_bitmap &bm, unsigned bits)
{
    libxl_bitmap_dispose(&bm);
    const unsigned bytes = (std::max(bits, 1u) + 7) / 8;
    bm.map = static_cast<uint8_t *>(calloc(bytes, 1));
    if (!bm.map)
        throw std::bad_alloc();
    bm.size = bytes;
}

// "0-3,^2,5" (libvirt cpuset syntax) into a bitmap of `max` bits.
void parseCpuset(const std::string &text, unsigned max, libxl_bitmap &bm, unsigned cell)
{
    auto fail = [&]() {
        raise(ErrorCode::XmlError, _("invalid cpus '%s' in NUMA cell %u"), text.c_str(), cell);
    };
    for (const std::string &part : split(text, ',')) {
        std::string item = trim(part);
        bool negate = false;
        if (!item.empty() && item[0] == '^') {
            negate = true;
            item.erase(0, 1);
        }
        unsigned lo = 0, hi = 0;
        const size_t dash = item.find('-');
        if (dash == std::string::npos) {
            if (!parseUInt(item, lo))
                fail();
            hi = lo;
        } else if (!parseUInt(item.substr(0, dash), lo) || !parseUInt(item.substr(dash + 1), hi) || hi < lo) {
            fail();
        }
        if (hi >= max)
            raise(ErrorCode::ConfigUnsupported,
                  _("NUMA cell %u names vCPU %u, but the domain has %u vCPUs"), cell, hi, max);
        for (unsigned c = lo; c <= hi; c++) {
            if (negate)
                libxl_bitmap_reset(&bm, static_cast<int>(c));
            else
                libxl_bitmap_set(&bm, static_cast<int>(c));
        }
    }
}

// Every NUMA cell's cpus name vCPUs the domain has.
void checkNumaCpus(const conf::DomainXml &dom)
{
    const unsigned vcpus = dom.vcpus();
    for (const auto &cell : dom.numaCells()) {
        if (cell.cpus.empty())
            continue;
        libxl_bitmap bm;
        libxl_bitmap_init(&bm);
        try {
            allocBitmap(bm, vcpus);
            parseCpuset(cell.cpus, vcpus, bm, cell.id);
        } catch (...) {
            libxl_bitmap_dispose(&bm);
            throw;
        }
        libxl_bitmap_dispose(&bm);
    }
}

std::string bitmapRanges(const libxl_bitmap &bm)
{
    std::string out;
    const int bits = static_cast<int>(bm.size * 8);
    for (int i = 0; i < bits; i++) {
        if (!libxl_bitmap_test(&bm, i))
            continue;
        int j = i;
        while (j + 1 < bits && libxl_bitmap_test(&bm, j + 1))
            j++;
        if (!out.empty())
            out += ",";
        out += j == i ? strprintf("%d", i) : strprintf("%d-%d", i, j);
        i = j;
    }
    return out;
}

uint64_t nvdimmTotalKiB(const conf::DomainXml &dom)
{
    uint64_t sum = 0;
    for (const auto &d : dom.nvdimms())
        sum += d.size_kib;
    return sum;
}

} // namespace

DomainConfig::DomainConfig() { libxl_domain_config_init(&cfg_); }
DomainConfig::~DomainConfig() { libxl_domain_config_dispose(&cfg_); }

DomainConfig::DomainConfig(DomainConfig &&other) noexcept
{
    cfg_ = other.cfg_;
    libxl_domain_config_init(&other.cfg_);
}

std::string DomainConfig::toJson() const
{
    // libxenlight's generator takes a non-const pointer but does not write.
    char *json = libxl_domain_config_to_json(nullptr, const_cast<libxl_domain_config *>(&cfg_));
    if (!json)
        raise(ErrorCode::Internal, _("libxenlight could not convert the domain configuration to JSON"));
    std::string out(json);
    std::free(json);
    return out;
}

DomainConfig DomainConfig::fromJson(libxl_ctx *ctx, const std::string &json)
{
    DomainConfig cfg;
    if (libxl_domain_config_from_json(ctx, cfg.get(), json.c_str()) != 0)
        raise(ErrorCode::InvalidArg, _("libxenlight rejected the domain configuration JSON"));
    return cfg;
}

void fillBaseConfig(libxl_domain_config &cfg, const conf::DomainXml &dom)
{
    const std::string os = dom.osType();
    libxl_domain_type type;
    if (os == "hvm")
        type = LIBXL_DOMAIN_TYPE_HVM;
    else if (os == "xenpvh")
        type = LIBXL_DOMAIN_TYPE_PVH;
    else if (os == "xen" || os == "linux")
        type = LIBXL_DOMAIN_TYPE_PV;
    else
        raise(ErrorCode::ConfigUnsupported, _("unsupported os type '%s'"), os.c_str());

    libxl_domain_create_info &c = cfg.c_info;
    c.type = type;
    free(c.name);
    c.name = dupString(dom.name());
    const std::string uuid = dom.uuid();
    if (!uuid.empty() && libxl_uuid_from_string(&c.uuid, uuid.c_str()) != 0)
        raise(ErrorCode::XmlError, _("malformed uuid element"));

    libxl_domain_build_info &b = cfg.b_info;
    libxl_domain_build_info_dispose(&b);
    libxl_domain_build_info_init(&b);
    libxl_domain_build_info_init_type(&b, type);

    // Guest RAM: NVDIMMs are not RAM. With NUMA cells the cells are the
    // RAM; otherwise <memory> holds RAM + memory devices (libvirt).
    const auto &cells = dom.numaCells();
    uint64_t ram_kib = 0;
    if (!cells.empty()) {
        for (const auto &cell : cells)
            ram_kib += cell.memory_kib;
    } else {
        const uint64_t total = dom.totalMemoryKiB(), devices = nvdimmTotalKiB(dom);
        if (devices >= total)
            raise(ErrorCode::ConfigUnsupported,
                  _("Total size of memory devices exceeds the total memory size"));
        ram_kib = total - devices;
    }
    // Whole MiB, as xl.cfg counts memory: the JSON and the xl.cfg text
    // then describe the same guest.
    ram_kib = ram_kib / 1024 * 1024;
    if (ram_kib == 0)
        raise(ErrorCode::ConfigUnsupported, _("domain '%s' has less than 1 MiB of RAM besides its memory devices"),
              dom.name().c_str());
    b.max_memkb = ram_kib;
    b.target_memkb = std::min(ram_kib, dom.currentMemoryKiB().value_or(ram_kib));

    const unsigned vcpus = dom.vcpus();
    b.max_vcpus = static_cast<int>(vcpus);
    allocBitmap(b.avail_vcpus, vcpus);
    for (unsigned i = 0; i < vcpus; i++)
        libxl_bitmap_set(&b.avail_vcpus, static_cast<int>(i));

    if (!cells.empty()) {
        b.vnuma_nodes = static_cast<libxl_vnode_info *>(calloc(cells.size(), sizeof(libxl_vnode_info)));
        if (!b.vnuma_nodes)
            throw std::bad_alloc();
        b.num_vnuma_nodes = static_cast<int>(cells.size());
        for (size_t i = 0; i < cells.size(); i++) {
            libxl_vnode_info &v = b.vnuma_nodes[i];
            libxl_vnode_info_init(&v);
            if (cells[i].id != i)
                raise(ErrorCode::XmlError, _("NUMA cell ids must be 0, 1, 2, ... in order"));
            v.memkb = cells[i].memory_kib;
            v.pnode = 0;
            v.num_distances = static_cast<int>(cells.size());
            v.distances = static_cast<uint32_t *>(calloc(cells.size(), sizeof(uint32_t)));
            if (!v.distances)
                throw std::bad_alloc();
            for (size_t j = 0; j < cells.size(); j++)
                v.distances[j] = i == j ? 10 : 20;   // libvirt's defaults
            allocBitmap(v.vcpus, vcpus);
            parseCpuset(cells[i].cpus, vcpus, v.vcpus, cells[i].id);
        }
    }

    const std::string kernel = xpathString(dom, "string(/domain/os/kernel)");
    const std::string initrd = xpathString(dom, "string(/domain/os/initrd)");
    const std::string cmdline = xpathString(dom, "string(/domain/os/cmdline)");
    if (!kernel.empty())
        b.kernel = dupString(kernel);
    if (!initrd.empty())
        b.ramdisk = dupString(initrd);
    if (!cmdline.empty())
        b.cmdline = dupString(cmdline);

    // hvmloader only loads acpi_firmware into a guest with ACPI: a domain
    // whose <features> leave out <acpi/> cannot see its NVDIMMs.
    if (type == LIBXL_DOMAIN_TYPE_HVM) {
        const bool has_features = xpathString(dom, "string(count(/domain/features))") != "0";
        const bool has_acpi = xpathString(dom, "string(count(/domain/features/acpi))") != "0";
        if (has_features && !has_acpi && !dom.nvdimms().empty())
            raise(ErrorCode::ConfigUnsupported,
                  _("NVDIMM devices in HVM domain '%s' need ACPI: add <acpi/> to <features>"),
                  dom.name().c_str());
        libxl_defbool_set(&b.acpi, !has_features || has_acpi);
    }

    cfg.on_poweroff = lifecycleAction(dom, "on_poweroff", LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
    cfg.on_reboot = lifecycleAction(dom, "on_reboot", LIBXL_ACTION_ON_SHUTDOWN_RESTART);
    cfg.on_crash = lifecycleAction(dom, "on_crash", LIBXL_ACTION_ON_SHUTDOWN_DESTROY);
}

void fillNvdimmConfig(libxl_domain_config &cfg, const GuestLayout &layout,
                      const std::string &acpi_firmware_path)
{
    libxl_domain_build_info &b = cfg.b_info;
    size_t count = 0;
    for (const auto &d : layout.devices)
        count += d.ranges.size();
    // acpi_firmware also without devices: the hotplug SSDT (libxl_config.h).
    if (layout.acpiTables()) {
        if (b.type != LIBXL_DOMAIN_TYPE_HVM)
            raise(ErrorCode::Internal, _("acpi_firmware needs an HVM build info"));
        free(b.u.hvm.acpi_firmware);
        b.u.hvm.acpi_firmware = dupString(acpi_firmware_path);
    }
    if (count == 0)
        return;
    const size_t total = static_cast<size_t>(b.num_iomem) + count;
    auto *ranges = static_cast<libxl_iomem_range *>(realloc(b.iomem, total * sizeof(libxl_iomem_range)));
    if (!ranges)
        throw std::bad_alloc();
    b.iomem = ranges;
    size_t i = static_cast<size_t>(b.num_iomem);
    for (const auto &d : layout.devices)
        for (const auto &r : d.ranges) {
            libxl_iomem_range_init(&ranges[i]);
            ranges[i].start = r.mfn;
            ranges[i].number = r.nr;
            ranges[i].gfn = r.gfn;
            i++;
        }
    b.num_iomem = static_cast<int>(total);
}

namespace {

std::vector<acpi::NfitDevice> nfitDevices(const GuestLayout &layout)
{
    std::vector<acpi::NfitDevice> devices;
    for (const auto &d : layout.devices) {
        acpi::NfitDevice n;
        n.slot = d.slot;
        n.spa = d.base;
        n.size = d.size;
        if (layout.has_vnuma && d.node)
            n.proximity_domain = *d.node;
        n.readonly = d.readonly;
        devices.push_back(n);
    }
    return devices;
}

// Writes `bytes` as dir/name, or removes a dir/name left from an earlier
// conversion when there is nothing to write (a domain that changed from
// PVH to HVM must not keep the other kind's tables).
void writeOrRemove(const std::string &dir, const char *name, const acpi::Bytes &bytes)
{
    const std::string path = dir + "/" + name;
    if (!bytes.empty()) {
        makeDirectories(dir);
        acpi::writeAcpiFirmware(path, bytes);
    } else if (unlink(path.c_str()) < 0 && errno != ENOENT) {
        raiseSystem(errno, _("cannot remove '%s'"), path.c_str());
    }
}

} // namespace

std::optional<acpi::NvdimmHotplug> layoutHotplug(const GuestLayout &layout)
{
    if (!layout.hotplug())
        return std::nullopt;
    acpi::NvdimmHotplug hp;
    hp.fit_page = acpi::fitPageAddress(layout.window_base);
    hp.irq = layout.hotplug_irq;
    hp.slots = layout.memory_slots;
    return hp;
}

acpi::Bytes buildLayoutFirmware(const GuestLayout &layout)
{
    if (!layout.acpiTables())
        return {};
    return acpi::buildAcpiFirmware(nfitDevices(layout), layoutHotplug(layout));
}

acpi::Bytes buildLayoutFit(const GuestLayout &layout)
{
    return acpi::buildFit(nfitDevices(layout));
}

acpi::Bytes buildLayoutTableUpgrade(const GuestLayout &layout)
{
    if (layout.kind != GuestKind::Pvh || layout.devices.empty())
        return {};
    return acpi::buildTableUpgradeCpio(acpi::buildAcpiFirmware(nfitDevices(layout)));
}

std::string formatXlConfig(const libxl_domain_config &cfg)
{
    const libxl_domain_create_info &c = cfg.c_info;
    const libxl_domain_build_info &b = cfg.b_info;
    std::string out;
    auto line = [&out](const std::string &key, const std::string &value) {
        out += key + " = " + value + "\n";
    };
    auto quoted = [](const std::string &s) {
        std::string q = "\"";
        for (char ch : s) {
            if (ch == '"' || ch == '\\')
                q += '\\';
            q += ch;
        }
        return q + "\"";
    };

    line("name", quoted(c.name ? c.name : ""));
    if (!libxl_uuid_is_nil(&c.uuid))
        line("uuid", quoted(strprintf(LIBXL_UUID_FMT, LIBXL_UUID_BYTES(c.uuid))));
    line("maxmem", strprintf("%llu", (ull)(b.max_memkb / 1024)));
    line("memory", strprintf("%llu", (ull)(b.target_memkb / 1024)));
    const int avail = b.avail_vcpus.size ? libxl_bitmap_count_set(&b.avail_vcpus) : b.max_vcpus;
    if (avail != b.max_vcpus)
        line("maxvcpus", strprintf("%d", b.max_vcpus));
    line("vcpus", strprintf("%d", avail));
    if (b.num_vnuma_nodes > 0) {
        std::string v = "[ ";
        for (int i = 0; i < b.num_vnuma_nodes; i++) {
            const libxl_vnode_info &n = b.vnuma_nodes[i];
            std::string dist;
            for (int j = 0; j < n.num_distances; j++)
                dist += (j ? "," : "") + strprintf("%u", n.distances[j]);
            v += strprintf("[ \"pnode=%u\", \"size=%llu\", \"vcpus=%s\", \"vdistances=%s\" ]",
                           n.pnode, (ull)(n.memkb / 1024), bitmapRanges(n.vcpus).c_str(), dist.c_str());
            v += i + 1 < b.num_vnuma_nodes ? ", " : " ";
        }
        line("vnuma", v + "]");
    }
    line("type", quoted(c.type == LIBXL_DOMAIN_TYPE_HVM ? "hvm"
                        : c.type == LIBXL_DOMAIN_TYPE_PVH ? "pvh" : "pv"));
    if (!libxl_defbool_is_default(b.acpi))
        line("acpi", libxl_defbool_val(b.acpi) ? "1" : "0");
    if (b.kernel)
        line("kernel", quoted(b.kernel));
    if (b.ramdisk)
        line("ramdisk", quoted(b.ramdisk));
    if (b.cmdline)
        line("cmdline", quoted(b.cmdline));
    line("on_poweroff", quoted(actionName(cfg.on_poweroff)));
    line("on_reboot", quoted(actionName(cfg.on_reboot)));
    line("on_crash", quoted(actionName(cfg.on_crash)));
    if (b.num_iomem > 0) {
        std::string v = "[ ";
        for (int i = 0; i < b.num_iomem; i++) {
            v += strprintf("\"%llx,%llx@%llx\"", (ull)b.iomem[i].start, (ull)b.iomem[i].number,
                           (ull)b.iomem[i].gfn);
            v += i + 1 < b.num_iomem ? ", " : " ";
        }
        line("iomem", v + "]");
    }
    if (c.type == LIBXL_DOMAIN_TYPE_HVM && b.u.hvm.acpi_firmware)
        line("acpi_firmware", quoted(b.u.hvm.acpi_firmware));
    return out;
}

void validateWithoutHost(const conf::DomainXml &dom)
{
    if (dom.name().empty())
        raise(ErrorCode::XmlError, "%s", _("missing name information in <domain>"));
    conf::validateDomain(dom);
    conf::validateXenRules(dom, conf::kXenRulesNoPvhWarning);
    checkNumaCpus(dom);
    // One backing, one NVDIMM: start could pin it only once.
    const auto &devs = dom.nvdimms();
    auto label = [&](size_t i) {
        return devs[i].alias.empty() ? strprintf(_("#%zu"), i + 1) : devs[i].alias;
    };
    for (size_t i = 0; i < devs.size(); i++)
        for (size_t j = 0; j < i; j++)
            if (!devs[i].path.empty() && devs[i].path == devs[j].path)
                raise(ErrorCode::ConfigUnsupported, _("NVDIMM '%s' uses the backing '%s' of NVDIMM '%s'"),
                      label(i).c_str(), devs[i].path.c_str(), label(j).c_str());
    conf::DomainXml scratch = dom.clone();
    checkGuestPlacement(scratch);
}

DomainConfig buildNativeConfig(conf::DomainXml &dom, BackingResolver &resolver,
                               const NativeOptions &options)
{
    // libvirt's rules and the Xen rules first: they word slot, overlap
    // and guest-type faults the way users know; the layout then only
    // meets what they cannot know (host ranges, computed bases).
    conf::validateDomain(dom);
    conf::validateXenRules(dom, conf::kXenRulesNoPvhWarning);
    // Work on a copy so a failure leaves the caller's document untouched.
    conf::DomainXml work = dom.clone();
    GuestLayout layout = planGuestLayout(work, resolver, options.layout);
    DomainConfig cfg;
    fillBaseConfig(*cfg.get(), work);
    const std::string blob_path = options.domain_state_dir + "/" + kAcpiFirmwareName;
    fillNvdimmConfig(*cfg.get(), layout, blob_path);
    const acpi::Bytes blob = buildLayoutFirmware(layout);
    const acpi::Bytes upgrade = buildLayoutTableUpgrade(layout);
    writeOrRemove(options.domain_state_dir, kAcpiFirmwareName, blob);
    writeOrRemove(options.domain_state_dir, kAcpiTableUpgradeName, upgrade);
    dom = std::move(work);
    return cfg;
}

} // namespace xlnv::libxl
