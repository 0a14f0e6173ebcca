#include "libxl/connection.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "pmem/host_backings.h"
#include "sim/sim_backings.h"
#include "util/state_dir.h"
#include "sim/sim_host.h"
#include "sim/sim_hypervisor.h"
#include "sim/sim_pmem_inventory.h"
#include "xen/xenctrl_hypervisor.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

bool runningInXenDom0()
{
    if (auto caps = readFileIfExists("/proc/xen/capabilities"); caps && caps->find("control_d") != std::string::npos)
        return true;
    return access("/dev/xen/privcmd", F_OK) == 0;
}

bool isSimulatorUri(const std::string &uri)
{
    return startsWith(uri, "sim://");
}

DefaultUri chooseDefaultUri(const Config &config, bool simulatorFallback)
{
    if (const char *env = std::getenv("LIBXL_NVDIMM_DEFAULT_URI"); env && *env)
        return {env, false};
    if (std::string key = config.getString("client", "uri_default", ""); !key.empty())
        return {key, false};
    if (runningInXenDom0() || !simulatorFallback)
        return {"xen:///system", false};
    return {"sim:///default", true};
}

namespace {

// $LIBXL_NVDIMM_NO_CREATE: a caller that must leave no trace (bash
// completion) gets a host that has no state directory yet from a
// throwaway one, removed again when the connection closes.
std::string stateDirOrThrowaway(const std::string &dir, std::string &throwaway)
{
    const char *noCreate = std::getenv("LIBXL_NVDIMM_NO_CREATE");
    struct stat st;
    if (!noCreate || !*noCreate || stat(dir.c_str(), &st) == 0)
        return dir;
    std::string tmpl = "/tmp/libxl-nvdimm-peek-XXXXXX";
    if (!mkdtemp(tmpl.data()))
        raiseSystem(errno, _("cannot create a temporary directory"));
    throwaway = tmpl;
    return throwaway;
}

} // namespace

Connection::~Connection()
{
    if (throwawayStateDir_.empty())
        return;
    definitions_ = nullptr;
    ownDefinitions_.reset();
    backings_.reset();
    hostInventory_.reset();
    simInventory_.reset();
    hypervisor_.reset();
    simHost_.reset();
    std::error_code ec;
    std::filesystem::remove_all(throwawayStateDir_, ec);
}

std::unique_ptr<Connection> Connection::open(const std::string &uri, const std::string &stateDir,
                                             std::optional<DomainLimitDefaults> wantedLimits)
{
    std::unique_ptr<Connection> conn(new Connection());
    conn->uri_ = uri;
    conn->config_ = Config::load();
    const DomainLimitDefaults limits = wantedLimits ? *wantedLimits : domainLimitsFromConfig(conn->config_);

    if (uri == "xen:///system" || uri == "xen:///") {
        conn->uri_ = "xen:///system";
        conn->stateDir_ = resolveStateDir(stateDir);
        conn->stateDir_ = stateDirOrThrowaway(conn->stateDir_, conn->throwawayStateDir_);
        struct stat st;
        const bool existed = stat(conn->stateDir_.c_str(), &st) == 0;
        try {
            checkStateDir(conn->stateDir_);
            conn->hypervisor_ = std::make_unique<XenctrlHypervisor>(conn->stateDir_, limits);
        } catch (const Error &e) {
            // Leave nothing behind, and say why when this is no dom0.
            if (!existed) {
                rmdir((conn->stateDir_ + "/definitions").c_str());
                rmdir(conn->stateDir_.c_str());
            }
            if (e.code() == ErrorCode::NoConnect && access("/dev/xen/privcmd", F_OK) < 0)
                raise(ErrorCode::NoConnect,
                      _("%s (/dev/xen/privcmd is missing: is this a Xen dom0 with the xen-privcmd driver "
                        "loaded? without Xen, use the simulated host: -c sim:///default)"),
                      e.detail().c_str());
            throw;
        }
        conn->ownDefinitions_ = std::make_unique<DefinitionStore>(conn->stateDir_ + "/definitions");
        conn->definitions_ = conn->ownDefinitions_.get();
        return conn;
    }
    if (startsWith(uri, "xen://"))
        raise(ErrorCode::NoConnect, _("unexpected Xen URI path '%s', try xen:///system"),
              uri.substr(6).c_str());

    if (startsWith(uri, "sim://")) {
        const std::string path = uri.substr(6);
        SimHostDescription description;
        if (path == "/default") {
            description = parseSimHostDescription(defaultSimHostXml(), "default");
        } else if (startsWith(path, "/") && path.size() > 1 && endsWith(path, ".xml")) {
            auto text = readFileIfExists(path);
            if (!text)
                raise(ErrorCode::NoConnect, _("cannot read simulated host description '%s': %s"),
                      path.c_str(), std::strerror(ENOENT));
            description = parseSimHostDescription(*text, path);
        } else {
            raise(ErrorCode::NoConnect,
                  _("unexpected simulated host URI path '%s', try sim:///default or sim:///ABSOLUTE/PATH.xml"),
                  path.c_str());
        }
        conn->stateDir_ = resolveStateDir(stateDir, true);
        conn->stateDir_ = stateDirOrThrowaway(conn->stateDir_, conn->throwawayStateDir_);
        checkStateDir(conn->stateDir_);
        conn->simHost_ = std::make_shared<SimHost>(conn->uri_, std::move(description),
                                                   conn->stateDir_, limits);
        auto hv = std::make_unique<SimHypervisor>(conn->simHost_);
        conn->simHypervisor_ = hv.get();
        conn->hypervisor_ = std::move(hv);
        conn->simInventory_ = std::make_unique<SimPmemInventory>(conn->simHost_);
        conn->definitions_ = &conn->simHost_->definitions();
        // pmem-list and friends open the inventory by URI: let "sim" find
        // this host (its state directory gives the mount paths).
        registerPmemInventoryProvider("sim", [host = conn->simHost_](const std::string &) {
            return std::unique_ptr<PmemInventory>(std::make_unique<SimPmemInventory>(host));
        });
        return conn;
    }
    raise(ErrorCode::NoConnect, _("no connection driver available for %s"), uri.c_str());
}

PmemInventory &Connection::inventory()
{
    if (simInventory_)
        return *simInventory_;
    if (!hostInventory_)
        hostInventory_ = openPmemInventory(uri_);
    return *hostInventory_;
}

HostBackings &Connection::backingResolver()
{
    if (!backings_)
        backings_ = simInventory_ ? makeSimBackings(simHost_, *simInventory_)
                                  : makeInventoryBackings(inventory());
    return *backings_;
}

SimHypervisor &Connection::requireSimulated(const char *command)
{
    if (!simHypervisor_)
        raise(ErrorCode::OperationUnsupported,
              _("'%s' works only on a simulated host (sim://), not on %s"), command, uri_.c_str());
    return *simHypervisor_;
}

} // namespace xlnv::libxl
