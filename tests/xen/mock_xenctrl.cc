// A stand-in for libxenctrl (and the few libxenlight lookups the xenctrl
// hypervisor makes), preloaded with LD_PRELOAD the way libvirt tests its
// libxl driver. It records every call and can fail chosen calls, so tests
// check the exact call sequence of the real implementation.
//
// Environment:
//   MOCK_XC_LOG=FILE        append one line per call: "FUNC key=value ..."
//   MOCK_XC_DOMAINS=LIST    domains, "ID:NAME:TYPE:STATE:MEMMIB:UUID,..."
//                           (TYPE hvm|pvh|pv, STATE running|paused);
//                           Domain-0 is always there. Default: demo (1).
//   MOCK_XC_FAIL=SPECS      "FUNC:N:ERRNO,..." the Nth call (1-based) of
//                           FUNC fails with errno ERRNO (a number or
//                           EINTR, EAGAIN, EIO, EPERM, E2BIG, ENOENT)
//   MOCK_XC_PARTIAL=N:COUNT the Nth xc_domain_memory_mapping call reports
//                           only COUNT frames done (Xen preempted)
//   MOCK_XC_VNUMA=MIB,...   vNUMA node sizes every domain reports
//   MOCK_XC_PHYS_BITS=N     guest physical address width (CPUID leaf
//                           0x80000008 EAX[7:0]) of every CPU policy;
//                           default 40
// mock_xc_reset() forgets call counts (tests call it between cases).
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#undef __STRICT_ANSI__
extern "C" {
#include <xenctrl.h>
#include <xenguest.h>
#include <libxl.h>
#include <libxl_utils.h>
}

namespace {

struct MockDomain {
    uint32_t domid = 0;
    std::string name;
    std::string type = "hvm";
    std::string state = "running";
    uint64_t mem_mib = 0;
    unsigned char uuid[16] = {};
};

std::map<std::string, unsigned> callCounts;

std::vector<std::string> splitOn(const std::string &s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        out.push_back(s.substr(start, pos - start));
        if (pos == std::string::npos)
            return out;
        start = pos + 1;
    }
}

void parseUuid(const std::string &text, unsigned char out[16])
{
    std::string hexOnly;
    for (char c : text)
        if (c != '-')
            hexOnly += c;
    for (size_t i = 0; i < 16 && 2 * i + 1 < hexOnly.size(); ++i)
        out[i] = static_cast<unsigned char>(std::stoul(hexOnly.substr(2 * i, 2), nullptr, 16));
}

std::vector<MockDomain> domains()
{
    std::vector<MockDomain> out;
    MockDomain dom0;
    dom0.name = "Domain-0";
    dom0.type = "pv";
    dom0.mem_mib = 1024;
    out.push_back(dom0);
    const char *env = std::getenv("MOCK_XC_DOMAINS");
    std::string list = env ? env : "1:demo:hvm:running:4096:4dea22b3-1d52-d8f3-2516-782e98ab3fa0";
    if (list.empty())
        return out;
    for (const auto &item : splitOn(list, ',')) {
        auto f = splitOn(item, ':');
        if (f.size() < 6)
            continue;
        MockDomain d;
        d.domid = static_cast<uint32_t>(std::stoul(f[0]));
        d.name = f[1];
        d.type = f[2];
        d.state = f[3];
        d.mem_mib = std::stoull(f[4]);
        parseUuid(f[5], d.uuid);
        out.push_back(d);
    }
    return out;
}

const MockDomain *findDomain(uint32_t domid, std::vector<MockDomain> &all)
{
    all = domains();
    for (const auto &d : all)
        if (d.domid == domid)
            return &d;
    return nullptr;
}

void logCall(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void logCall(const char *fmt, ...)
{
    const char *path = std::getenv("MOCK_XC_LOG");
    if (!path || !*path)
        return;
    FILE *f = std::fopen(path, "a");
    if (!f)
        return;
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(f, fmt, ap);
    va_end(ap);
    std::fputc('\n', f);
    std::fclose(f);
}

int errnoFromName(const std::string &name)
{
    static const std::map<std::string, int> names = {
        {"EINTR", EINTR}, {"EAGAIN", EAGAIN}, {"EIO", EIO}, {"EPERM", EPERM},
        {"E2BIG", E2BIG}, {"ENOENT", ENOENT}, {"EINVAL", EINVAL}, {"ENOMEM", ENOMEM},
    };
    auto it = names.find(name);
    return it != names.end() ? it->second : std::atoi(name.c_str());
}

// Counts this call of `func`; returns the errno to fail it with, or 0.
int nextCall(const char *func, unsigned *number = nullptr)
{
    const unsigned n = ++callCounts[func];
    if (number)
        *number = n;
    const char *env = std::getenv("MOCK_XC_FAIL");
    if (!env)
        return 0;
    for (const auto &spec : splitOn(env, ',')) {
        auto f = splitOn(spec, ':');
        if (f.size() == 3 && f[0] == func && std::stoul(f[1]) == n)
            return errnoFromName(f[2]);
    }
    return 0;
}

xc_interface *const kFakeHandle = reinterpret_cast<xc_interface *>(0x5eed);
libxl_ctx *const kFakeCtx = reinterpret_cast<libxl_ctx *>(0xc7c7);

} // namespace

extern "C" {

void mock_xc_reset(void)
{
    callCounts.clear();
}

xc_interface *xc_interface_open(xentoollog_logger *, xentoollog_logger *, unsigned)
{
    logCall("xc_interface_open");
    if (int err = nextCall("xc_interface_open")) {
        errno = err;
        return nullptr;
    }
    return kFakeHandle;
}

int xc_interface_close(xc_interface *)
{
    logCall("xc_interface_close");
    return 0;
}

int xc_domain_getinfolist(xc_interface *, uint32_t first_domain, unsigned int max_domains,
                          xc_domaininfo_t *info)
{
    logCall("xc_domain_getinfolist first=%u max=%u", first_domain, max_domains);
    if (int err = nextCall("xc_domain_getinfolist")) {
        errno = err;
        return -1;
    }
    unsigned n = 0;
    for (const auto &d : domains()) {
        if (d.domid < first_domain || n >= max_domains)
            continue;
        xc_domaininfo_t &out = info[n++];
        std::memset(&out, 0, sizeof(out));
        out.domain = static_cast<domid_t>(d.domid);
        out.flags = (d.type != "pv" ? XEN_DOMINF_hvm_guest : 0) |
                    (d.state == "paused" ? XEN_DOMINF_paused : XEN_DOMINF_running);
        out.tot_pages = d.mem_mib * 256;
        out.max_pages = d.mem_mib * 256;
        std::memcpy(out.handle, d.uuid, 16);
    }
    return static_cast<int>(n);
}

int xc_domain_iomem_permission(xc_interface *, uint32_t domid, unsigned long first_mfn,
                               unsigned long nr_mfns, uint8_t allow_access)
{
    logCall("xc_domain_iomem_permission domid=%u mfn=0x%lx nr=%lu allow=%u", domid, first_mfn,
            nr_mfns, allow_access);
    if (int err = nextCall("xc_domain_iomem_permission")) {
        errno = err;
        return -1;
    }
    return 0;
}

int xc_domain_memory_mapping(xc_interface *, uint32_t domid, unsigned long first_gfn,
                             unsigned long first_mfn, unsigned long nr_mfns, uint32_t add_mapping)
{
    logCall("xc_domain_memory_mapping domid=%u gfn=0x%lx mfn=0x%lx nr=%lu add=%u", domid,
            first_gfn, first_mfn, nr_mfns, add_mapping);
    unsigned number = 0;
    if (int err = nextCall("xc_domain_memory_mapping", &number)) {
        errno = err;
        return -1;
    }
    if (const char *partial = std::getenv("MOCK_XC_PARTIAL")) {
        auto f = splitOn(partial, ':');
        if (f.size() == 2 && std::stoul(f[0]) == number)
            return static_cast<int>(std::stoul(f[1]));
    }
    return 0;
}

int libxl_ctx_alloc(libxl_ctx **pctx, int, unsigned, xentoollog_logger *)
{
    logCall("libxl_ctx_alloc");
    if (int err = nextCall("libxl_ctx_alloc")) {
        errno = err;
        return ERROR_FAIL;
    }
    *pctx = kFakeCtx;
    return 0;
}

int libxl_ctx_free(libxl_ctx *)
{
    logCall("libxl_ctx_free");
    return 0;
}

char *libxl_domid_to_name(libxl_ctx *, uint32_t domid)
{
    std::vector<MockDomain> all;
    const MockDomain *d = findDomain(domid, all);
    return d ? strdup(d->name.c_str()) : nullptr;
}

int libxl_name_to_domid(libxl_ctx *, const char *name, uint32_t *domid)
{
    for (const auto &d : domains())
        if (d.name == name) {
            *domid = d.domid;
            return 0;
        }
    return ERROR_INVAL;
}

int libxl_domain_info(libxl_ctx *, libxl_dominfo *info_r, uint32_t domid)
{
    std::vector<MockDomain> all;
    const MockDomain *d = findDomain(domid, all);
    if (!d)
        return ERROR_DOMAIN_NOTFOUND;
    if (info_r) {
        info_r->domid = d->domid;
        std::memcpy(info_r->uuid.uuid, d->uuid, 16);
        info_r->paused = d->state == "paused";
        info_r->running = d->state != "paused";
        info_r->current_memkb = d->mem_mib * 1024;
        info_r->max_memkb = d->mem_mib * 1024;
        info_r->domain_type = d->type == "pvh" ? LIBXL_DOMAIN_TYPE_PVH
                            : d->type == "hvm" ? LIBXL_DOMAIN_TYPE_HVM : LIBXL_DOMAIN_TYPE_PV;
    }
    return 0;
}

int libxl_retrieve_domain_configuration(libxl_ctx *, uint32_t domid, libxl_domain_config *d_config,
                                        const libxl_asyncop_how *)
{
    logCall("libxl_retrieve_domain_configuration domid=%u", domid);
    std::vector<MockDomain> all;
    const MockDomain *d = findDomain(domid, all);
    if (!d)
        return ERROR_DOMAIN_NOTFOUND;
    d_config->b_info.max_memkb = d->mem_mib * 1024;
    d_config->b_info.target_memkb = d->mem_mib * 1024;
    if (const char *vnuma = std::getenv("MOCK_XC_VNUMA"); vnuma && *vnuma) {
        auto sizes = splitOn(vnuma, ',');
        d_config->b_info.num_vnuma_nodes = static_cast<int>(sizes.size());
        d_config->b_info.vnuma_nodes =
            static_cast<libxl_vnode_info *>(calloc(sizes.size(), sizeof(libxl_vnode_info)));
        for (size_t i = 0; i < sizes.size(); ++i) {
            libxl_vnode_info_init(&d_config->b_info.vnuma_nodes[i]);
            d_config->b_info.vnuma_nodes[i].memkb = std::stoull(sizes[i]) * 1024;
        }
    }
    return 0;
}

// CPU policies (libxenguest): just the address-sizes leaf.
struct xc_cpu_policy {
    uint32_t phys_bits;
};

xc_cpu_policy_t *xc_cpu_policy_init(void)
{
    logCall("xc_cpu_policy_init");
    return new xc_cpu_policy{0};
}

void xc_cpu_policy_destroy(xc_cpu_policy_t *policy)
{
    logCall("xc_cpu_policy_destroy");
    delete policy;
}

static int fillPolicy(const char *func, xc_cpu_policy_t *policy)
{
    if (int err = nextCall(func)) {
        errno = err;
        return -1;
    }
    const char *bits = std::getenv("MOCK_XC_PHYS_BITS");
    policy->phys_bits = bits ? static_cast<uint32_t>(std::atoi(bits)) : 40;
    return 0;
}

int xc_cpu_policy_get_domain(xc_interface *, uint32_t domid, xc_cpu_policy_t *policy)
{
    logCall("xc_cpu_policy_get_domain domid=%u", domid);
    std::vector<MockDomain> all = domains();
    if (!findDomain(domid, all)) {
        errno = ESRCH;
        return -1;
    }
    return fillPolicy("xc_cpu_policy_get_domain", policy);
}

int xc_cpu_policy_get_system(xc_interface *, unsigned int policy_idx, xc_cpu_policy_t *policy)
{
    logCall("xc_cpu_policy_get_system idx=%u", policy_idx);
    return fillPolicy("xc_cpu_policy_get_system", policy);
}

int xc_cpu_policy_get_size(xc_interface *, uint32_t *nr_leaves, uint32_t *nr_msrs)
{
    *nr_leaves = 3;
    *nr_msrs = 0;
    return 0;
}

// Three leaves, the address sizes in the middle (the caller must search).
int xc_cpu_policy_serialise(xc_interface *, const xc_cpu_policy_t *policy, xen_cpuid_leaf_t *leaves,
                            uint32_t *nr_leaves, xen_msr_entry_t *, uint32_t *nr_msrs)
{
    if (leaves) {
        if (*nr_leaves < 3) {
            errno = ENOBUFS;
            return -1;
        }
        leaves[0] = {0x80000000, XEN_CPUID_NO_SUBLEAF, 0x80000008, 0, 0, 0};
        leaves[1] = {0x80000008, XEN_CPUID_NO_SUBLEAF, 0x3000 | policy->phys_bits, 0, 0, 0};
        leaves[2] = {0x80000001, XEN_CPUID_NO_SUBLEAF, 0, 0, 0, 0};
        *nr_leaves = 3;
    }
    if (nr_msrs)
        *nr_msrs = 0;
    return 0;
}

} // extern "C"
