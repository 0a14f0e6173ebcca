// The C API over NvdimmDriver. Every entry point clears the thread's last
// error, runs inside guarded(), and turns any exception into -1/NULL plus
// a recorded error: no exception crosses into C.
#include "libxl/libxl_nvdimm.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "libxl/connection.h"
#include "libxl/domain_status.h"
#include "libxl/guest_layout.h"
#include "pmem/host_backings.h"
#include "libxl/libxl_config.h"
#include "libxl/nvdimm_driver.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/state_dir.h"

using xlnv::ErrorCode;

struct libxl_nvdimm_conn {
    std::string uri;
    std::unique_ptr<xlnv::libxl::Connection> connection;
    std::unique_ptr<xlnv::libxl::NvdimmDriver> driver;
    // Serializes calls; recursive so an event callback may call back in.
    std::recursive_mutex lock;

    struct Callback {
        int driver_id;
        void *opaque;
        libxl_nvdimm_free_cb free_opaque;
    };
    std::map<int, Callback> callbacks;
    int next_callback_id = 0;

    ~libxl_nvdimm_conn()
    {
        for (auto &[id, cb] : callbacks) {
            driver->removeEventCallback(cb.driver_id);
            if (cb.free_opaque)
                cb.free_opaque(cb.opaque);
        }
    }
};

namespace {

static_assert(LIBXL_NVDIMM_ERR_OVERFLOW == 14, "C error codes mirror xlnv::ErrorCode");

struct LastError {
    int code = LIBXL_NVDIMM_ERR_OK;
    int errnum = 0;
    std::string message;
    std::string detail;   // message without libvirt's per-code prefix
};

thread_local LastError lastError;

void resetError()
{
    lastError.code = LIBXL_NVDIMM_ERR_OK;
    lastError.errnum = 0;
    lastError.message.clear();
    lastError.detail.clear();
}

void setError(int code, std::string message, int errnum = 0, std::string detail = {})
{
    lastError.code = code;
    lastError.errnum = errnum;
    lastError.detail = detail.empty() ? message : std::move(detail);
    lastError.message = std::move(message);
}

// Runs `body`; on any exception records the error and returns `failed`.
template <typename T, typename F>
T guarded(T failed, F &&body) noexcept
{
    resetError();
    try {
        xlnv::i18nInit();
        return body();
    } catch (const xlnv::Error &e) {
        setError(xlnv::errorCodeNumber(e.code()), e.message(), e.errnum(), e.detail());
    } catch (const std::bad_alloc &) {
        setError(LIBXL_NVDIMM_ERR_SYSTEM, strerror(ENOMEM), ENOMEM);
    } catch (const std::exception &e) {
        setError(LIBXL_NVDIMM_ERR_INTERNAL, xlnv::Error(ErrorCode::Internal, e.what()).message());
    } catch (...) {
        setError(LIBXL_NVDIMM_ERR_INTERNAL,
                 xlnv::Error(ErrorCode::Internal, _("unknown exception")).message());
    }
    return failed;
}

// A required pointer argument; InvalidArg naming it.
template <typename P>
P *require(P *ptr, const char *what)
{
    if (!ptr)
        xlnv::raise(ErrorCode::InvalidArg, _("%s must not be NULL"), what);
    return ptr;
}

const char *requireString(const char *s, const char *what)
{
    require(s, what);
    if (!*s)
        xlnv::raise(ErrorCode::InvalidArg, _("%s must not be empty"), what);
    return s;
}

// A malloc'd copy for the caller.
char *dupForCaller(const std::string &s)
{
    char *copy = strdup(s.c_str());
    if (!copy)
        throw std::bad_alloc();
    return copy;
}

// Hands `s` to *out when the caller asked for it. Allocation happens
// before any side effect the caller would have to undo where possible.
void giveString(char **out, const std::string &s)
{
    if (out)
        *out = dupForCaller(s);
}

void checkFlags(unsigned flags, unsigned allowed)
{
    if (flags & ~allowed)
        xlnv::raise(ErrorCode::InvalidArg, _("unsupported flags (0x%x)"), flags & ~allowed);
}

constexpr unsigned kModifyMask = LIBXL_NVDIMM_AFFECT_LIVE | LIBXL_NVDIMM_AFFECT_CONFIG;

unsigned driverFlags(unsigned flags)
{
    unsigned out = xlnv::libxl::kAffectCurrent;
    if (flags & LIBXL_NVDIMM_AFFECT_LIVE)
        out |= xlnv::libxl::kAffectLive;
    if (flags & LIBXL_NVDIMM_AFFECT_CONFIG)
        out |= xlnv::libxl::kAffectConfig;
    return out;
}

libxl_nvdimm_conn &connOf(libxl_nvdimm_conn *conn)
{
    return *require(conn, "conn");
}

// What prepare would assign, without provisioning, pinning, labelling or
// writing anything (domxml-to-native): the backings must exist, and the
// ACPI blob is named where a start would write it.
xlnv::libxl::PreparedDomain planOnly(libxl_nvdimm_conn &c, const char *domainXml)
{
    auto dom = xlnv::conf::DomainXml::parseString(domainXml, 0);
    xlnv::conf::validateDomain(dom);
    xlnv::conf::validateXenRules(dom);
    xlnv::libxl::LayoutOptions lo;
    lo.phys_addr_bits = xlnv::libxl::guestPhysAddrBits(c.connection->hypervisor(), dom);
    xlnv::libxl::PreparedDomain out;
    out.layout = xlnv::libxl::planGuestLayout(dom, c.connection->backingResolver(), lo);
    out.name = dom.name();
    out.xml = dom.format();
    if (!xlnv::libxl::buildLayoutFirmware(out.layout).empty())
        out.acpi_firmware_path =
            xlnv::libxl::StatusStore(c.connection->stateDir()).acpiPath(out.name);
    return out;
}

} // namespace

extern "C" {

int libxl_nvdimm_last_error_code(void)
{
    return lastError.code;
}

const char *libxl_nvdimm_last_error_message(void)
{
    return lastError.message.c_str();
}

const char *libxl_nvdimm_last_error_detail(void)
{
    return lastError.detail.c_str();
}

int libxl_nvdimm_last_error_errno(void)
{
    return lastError.errnum;
}

void libxl_nvdimm_reset_last_error(void)
{
    resetError();
}

void libxl_nvdimm_free(void *ptr)
{
    free(ptr);
}

const char *libxl_nvdimm_version(void)
{
    return PACKAGE_VERSION;
}

libxl_nvdimm_conn *libxl_nvdimm_open(const char *uri, const char *state_dir)
{
    return guarded<libxl_nvdimm_conn *>(nullptr, [&]() -> libxl_nvdimm_conn * {
        const xlnv::Config config = xlnv::Config::load();
        // NULL: chosen like the CLI's default, without the simulator
        // fallback (a program linking this means the real host).
        const std::string target = uri ? requireString(uri, "uri")
                                       : xlnv::libxl::chooseDefaultUri(config, false).uri;
        auto conn = std::make_unique<libxl_nvdimm_conn>();
        conn->uri = target;
        conn->connection = xlnv::libxl::Connection::open(target, state_dir ? state_dir : "");
        conn->driver = std::make_unique<xlnv::libxl::NvdimmDriver>(
            *conn->connection, xlnv::libxl::driverOptionsFromConfig(conn->connection->config()));
        return conn.release();
    });
}

void libxl_nvdimm_close(libxl_nvdimm_conn *conn)
{
    guarded<int>(-1, [&] {
        delete conn;
        return 0;
    });
}

const char *libxl_nvdimm_conn_uri(libxl_nvdimm_conn *conn)
{
    return guarded<const char *>(nullptr, [&] { return connOf(conn).uri.c_str(); });
}

int libxl_nvdimm_device_validate(const char *device_xml, const char *arch)
{
    return guarded<int>(-1, [&] {
        const auto def = xlnv::conf::parseNvdimmString(require(device_xml, "device_xml"), 0);
        xlnv::conf::validateNvdimm(def, arch ? arch : "");
        return 0;
    });
}

char *libxl_nvdimm_device_format(const char *device_xml, unsigned int flags)
{
    return guarded<char *>(nullptr, [&] {
        checkFlags(flags, LIBXL_NVDIMM_XML_INACTIVE);
        const unsigned confFlags =
            (flags & LIBXL_NVDIMM_XML_INACTIVE) ? unsigned{xlnv::conf::NVDIMM_INACTIVE} : 0u;
        const auto def = xlnv::conf::parseNvdimmString(require(device_xml, "device_xml"), confFlags);
        return dupForCaller(xlnv::conf::formatNvdimm(def, confFlags));
    });
}

int libxl_nvdimm_domain_validate(const char *domain_xml)
{
    return guarded<int>(-1, [&] {
        const auto dom = xlnv::conf::DomainXml::parseString(require(domain_xml, "domain_xml"), 0);
        xlnv::conf::validateDomain(dom);
        xlnv::conf::validateXenRules(dom);
        return 0;
    });
}

int libxl_nvdimm_domain_config_fill_flags(libxl_nvdimm_conn *conn, const char *domain_xml,
                                          libxl_domain_config *d_config, char **completed_xml,
                                          unsigned int flags)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        require(domain_xml, "domain_xml");
        require(d_config, "d_config");
        checkFlags(flags, LIBXL_NVDIMM_CONFIG_DRY_RUN);
        std::lock_guard guard(c.lock);
        const bool dryRun = flags & LIBXL_NVDIMM_CONFIG_DRY_RUN;
        // Fill a scratch copy of the NVDIMM fields first, so the caller's
        // config changes only when everything succeeded.
        xlnv::libxl::PreparedDomain prepared =
            dryRun ? planOnly(c, domain_xml) : c.driver->prepare(domain_xml);
        char *xml = nullptr;
        try {
            xlnv::libxl::DomainConfig scratch;
            const auto callerType = static_cast<libxl_domain_type>(d_config->b_info.type);
            libxl_domain_build_info_init_type(&scratch.get()->b_info,
                                              callerType == LIBXL_DOMAIN_TYPE_INVALID
                                                  ? LIBXL_DOMAIN_TYPE_HVM
                                                  : callerType);
            xlnv::libxl::fillNvdimmConfig(*scratch.get(), prepared.layout,
                                          prepared.acpi_firmware_path);
            if (completed_xml)
                xml = dupForCaller(prepared.xml);
            // The caller's own tables (libvirt's SLIC) stay: hvmloader takes
            // any number of tables from one file, so ours follow theirs.
            libxl_domain_build_info &sb = scratch.get()->b_info;
            if (!dryRun && sb.type == LIBXL_DOMAIN_TYPE_HVM && sb.u.hvm.acpi_firmware &&
                d_config->b_info.type == LIBXL_DOMAIN_TYPE_HVM && d_config->b_info.u.hvm.acpi_firmware) {
                const std::string theirs = d_config->b_info.u.hvm.acpi_firmware;
                auto callerTables = xlnv::libxl::readFileIfExists(theirs);
                if (!callerTables)
                    xlnv::raise(ErrorCode::ConfigUnsupported, _("cannot read ACPI firmware file '%s'"),
                                theirs.c_str());
                auto ours = xlnv::libxl::readFileIfExists(sb.u.hvm.acpi_firmware);
                if (!ours)
                    xlnv::raise(ErrorCode::Internal, _("NVDIMM ACPI blob '%s' vanished"),
                                sb.u.hvm.acpi_firmware);
                const xlnv::libxl::StatusStore store(c.connection->stateDir());
                const std::string path = store.combinedAcpiPath(prepared.name);
                xlnv::libxl::writeFileAtomic(path, *callerTables + *ours);
                char *combined = dupForCaller(path);
                free(sb.u.hvm.acpi_firmware);
                sb.u.hvm.acpi_firmware = combined;
            }
            // From here on nothing throws: move the scratch fields over.
            libxl_domain_build_info &src = scratch.get()->b_info;
            libxl_domain_build_info &dst = d_config->b_info;
            if (src.num_iomem > 0) {
                const size_t total = static_cast<size_t>(dst.num_iomem) + src.num_iomem;
                auto *ranges = static_cast<libxl_iomem_range *>(
                    realloc(dst.iomem, total * sizeof(libxl_iomem_range)));
                if (!ranges)
                    throw std::bad_alloc();
                memcpy(ranges + dst.num_iomem, src.iomem, src.num_iomem * sizeof(libxl_iomem_range));
                dst.iomem = ranges;
                dst.num_iomem = static_cast<int>(total);
            }
            if (src.type == LIBXL_DOMAIN_TYPE_HVM && src.u.hvm.acpi_firmware) {
                free(dst.u.hvm.acpi_firmware);
                dst.u.hvm.acpi_firmware = src.u.hvm.acpi_firmware;
                src.u.hvm.acpi_firmware = nullptr;
            }
        } catch (...) {
            free(xml);
            if (!dryRun)
                c.driver->release(prepared.name);
            throw;
        }
        if (completed_xml)
            *completed_xml = xml;
        return 0;
    });
}

int libxl_nvdimm_domain_config_fill(libxl_nvdimm_conn *conn, const char *domain_xml,
                                    libxl_domain_config *d_config, char **completed_xml)
{
    return libxl_nvdimm_domain_config_fill_flags(conn, domain_xml, d_config, completed_xml, 0);
}

int libxl_nvdimm_domain_prepare(libxl_nvdimm_conn *conn, const char *domain_xml,
                                char **completed_xml, char **acpi_firmware_path)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        require(domain_xml, "domain_xml");
        std::lock_guard guard(c.lock);
        xlnv::libxl::PreparedDomain prepared = c.driver->prepare(domain_xml);
        char *xml = nullptr;
        char *blob = nullptr;
        try {
            if (completed_xml)
                xml = dupForCaller(prepared.xml);
            if (acpi_firmware_path && !prepared.acpi_firmware_path.empty())
                blob = dupForCaller(prepared.acpi_firmware_path);
        } catch (...) {
            free(xml);
            c.driver->release(prepared.name);
            throw;
        }
        if (completed_xml)
            *completed_xml = xml;
        if (acpi_firmware_path)
            *acpi_firmware_path = blob;
        return 0;
    });
}

int libxl_nvdimm_domain_release(libxl_nvdimm_conn *conn, const char *domain)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        std::lock_guard guard(c.lock);
        c.driver->release(domain);
        return 0;
    });
}

int libxl_nvdimm_domain_attach_device(libxl_nvdimm_conn *conn, const char *domain,
                                      const char *device_xml, unsigned int flags, char **alias)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        require(device_xml, "device_xml");
        checkFlags(flags, kModifyMask);
        std::lock_guard guard(c.lock);
        const std::string result = c.driver->attachDevice(domain, device_xml, driverFlags(flags));
        giveString(alias, result);
        return 0;
    });
}

int libxl_nvdimm_domain_detach_device(libxl_nvdimm_conn *conn, const char *domain,
                                      const char *device_xml, unsigned int flags, char **alias)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        require(device_xml, "device_xml");
        checkFlags(flags, kModifyMask | LIBXL_NVDIMM_DETACH_FORCE);
        std::lock_guard guard(c.lock);
        const std::string result = c.driver->detachDevice(domain, device_xml, driverFlags(flags),
                                                          flags & LIBXL_NVDIMM_DETACH_FORCE);
        giveString(alias, result);
        return 0;
    });
}

int libxl_nvdimm_domain_detach_device_alias(libxl_nvdimm_conn *conn, const char *domain,
                                            const char *alias, unsigned int flags)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        requireString(alias, "alias");
        checkFlags(flags, kModifyMask | LIBXL_NVDIMM_DETACH_FORCE);
        std::lock_guard guard(c.lock);
        c.driver->detachDeviceAlias(domain, alias, driverFlags(flags),
                                    flags & LIBXL_NVDIMM_DETACH_FORCE);
        return 0;
    });
}

char *libxl_nvdimm_domain_define(libxl_nvdimm_conn *conn, const char *domain_xml)
{
    return guarded<char *>(nullptr, [&] {
        auto &c = connOf(conn);
        require(domain_xml, "domain_xml");
        std::lock_guard guard(c.lock);
        return dupForCaller(c.driver->define(domain_xml));
    });
}

int libxl_nvdimm_domain_undefine(libxl_nvdimm_conn *conn, const char *domain)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        std::lock_guard guard(c.lock);
        c.driver->undefine(domain);
        return 0;
    });
}

char *libxl_nvdimm_domain_get_xml(libxl_nvdimm_conn *conn, const char *domain, unsigned int flags)
{
    return guarded<char *>(nullptr, [&] {
        auto &c = connOf(conn);
        requireString(domain, "domain");
        checkFlags(flags, LIBXL_NVDIMM_XML_INACTIVE);
        std::lock_guard guard(c.lock);
        return dupForCaller(c.driver->dumpXml(domain, flags & LIBXL_NVDIMM_XML_INACTIVE));
    });
}

int libxl_nvdimm_recover(libxl_nvdimm_conn *conn, int *count)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        std::lock_guard guard(c.lock);
        const auto repaired = c.driver->recoverAll();
        if (count)
            *count = static_cast<int>(repaired.size());
        return 0;
    });
}

int libxl_nvdimm_event_register(libxl_nvdimm_conn *conn, libxl_nvdimm_event_cb cb, void *opaque,
                                libxl_nvdimm_free_cb free_opaque)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        require(cb, "cb");
        std::lock_guard guard(c.lock);
        const int id = c.next_callback_id++;
        const int driverId = c.driver->addEventCallback(
            [conn, cb, opaque](const xlnv::libxl::DeviceEvent &event) {
                cb(conn, xlnv::libxl::deviceEventName(event.kind), event.domain.c_str(),
                   event.alias.c_str(), opaque);
            });
        c.callbacks[id] = {driverId, opaque, free_opaque};
        return id;
    });
}

int libxl_nvdimm_event_deregister(libxl_nvdimm_conn *conn, int callback_id)
{
    return guarded<int>(-1, [&] {
        auto &c = connOf(conn);
        std::lock_guard guard(c.lock);
        auto it = c.callbacks.find(callback_id);
        if (it == c.callbacks.end())
            xlnv::raise(ErrorCode::InvalidArg, _("no event callback with id %d"), callback_id);
        const auto cb = it->second;
        c.driver->removeEventCallback(cb.driver_id);
        c.callbacks.erase(it);
        if (cb.free_opaque)
            cb.free_opaque(cb.opaque);
        return 0;
    });
}

} // extern "C"
