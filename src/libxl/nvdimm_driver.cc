// The public face of the NVDIMM driver: every operation resolves the
// domain, takes its lock, repairs what a killed process left in its
// journal, does its work (live_*.cc), and sends its events after the
// lock is released.
#include "libxl/nvdimm_driver.h"
#include "libxl/libxl_config.h"

#include <unistd.h>

#include <random>

#include "libxl/connection.h"
#include "libxl/domain_locks.h"
#include "libxl/nvdimm_driver_private.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

// Sends the queued events when the operation is over, locks released
// (declared before the lock, so destroyed after it).
struct EventFlush {
    NvdimmDriver::Impl &impl;
    ~EventFlush() { impl.flushEvents(); }
};

// One operation on one domain: the domain lock held, whatever a killed
// process left in its journal repaired, the domain looked up again under
// the lock; events go out after the lock is let go (members are
// destroyed in reverse order).
struct DomainOperation {
    DomainInfo info;
    EventFlush flush;
    DomainLock lock;

    DomainOperation(NvdimmDriver::Impl &impl, Connection &conn, const std::string &domain)
        : info(lookupDomain(conn.hypervisor(), domain)), flush{impl}, lock(conn.stateDir(), info.name)
    {
        impl.recover(info.name);
        info = conn.hypervisor().lookupByName(info.name);
    }
};

bool isActive(const DomainInfo &info)
{
    return info.domid && info.state != DomainState::Shutoff;
}

// virsh's flag rules (virDomainObjUpdateModificationImpact).
void resolveImpact(unsigned flags, const DomainInfo &info, bool persistent, bool &live, bool &config)
{
    live = flags & kAffectLive;
    config = flags & kAffectConfig;
    if (!live && !config) {
        live = isActive(info);
        config = !live;
    }
    if (live && !isActive(info))
        raise(ErrorCode::OperationInvalid, "%s", _("domain is not running"));
    if (config && !persistent)
        raise(ErrorCode::OperationInvalid, "%s", _("transient domains do not have any persistent config"));
}

// libvirt gives a domain defined without <uuid> a fresh random one; a
// redefinition of a domain keeps the uuid it has. Inserted after </name>,
// indented like <name>.
std::string withUuid(const std::string &xml, const std::string &uuid)
{
    const size_t name = xml.find("<name>");
    const size_t end = name == std::string::npos ? name : xml.find("</name>", name);
    if (end == std::string::npos)
        return xml;
    const size_t lineStart = xml.rfind('\n', name);
    std::string indent;
    if (lineStart != std::string::npos && xml.find_first_not_of(" \t", lineStart + 1) == name)
        indent = "\n" + xml.substr(lineStart + 1, name - lineStart - 1);
    const size_t at = end + 7;
    return xml.substr(0, at) + indent + "<uuid>" + uuid + "</uuid>" + xml.substr(at);
}

std::string randomUuid()
{
    unsigned char b[16];
    std::random_device rd;
    for (auto &c : b)
        c = static_cast<unsigned char>(rd());
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);   // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);   // RFC 4122 variant
    std::string out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += strprintf("%02x", b[i]);
    }
    return out;
}

} // namespace

unsigned persistentFlags(bool domainActive)
{
    return kAffectConfig | (domainActive ? kAffectLive : 0u);
}

DriverOptions driverOptionsFromConfig(const Config &config)
{
    DriverOptions o;
    o.eject_timeout_ms = static_cast<unsigned>(config.getUInt("hypervisor", "eject_timeout_ms", o.eject_timeout_ms));
    o.advisory_readonly = config.getBool("hypervisor", "advisory_readonly", o.advisory_readonly);
    return o;
}

NvdimmDriver::NvdimmDriver(Connection &conn, DriverOptions options)
    : conn_(conn), impl_(std::make_unique<Impl>(conn, options))
{
}

NvdimmDriver::~NvdimmDriver() = default;

std::string NvdimmDriver::define(const std::string &xml)
{
    conf::DomainXml dom = conf::DomainXml::parseString(xml, conf::NVDIMM_INACTIVE);
    validateWithoutHost(dom);
    conf::validateXenRules(dom);   // its PVH warning
    const std::string name = dom.name();
    DomainLock lock(conn_.stateDir(), name);
    if (dom.uuid().empty()) {
        std::string uuid;
        if (auto old = conn_.definitions().get(name))
            uuid = conf::DomainXml::parseString(*old, conf::NVDIMM_INACTIVE).uuid();
        else
            try {
                uuid = conn_.hypervisor().lookupByName(name).uuid;   // a running transient domain
            } catch (const Error &e) {
                if (e.code() != ErrorCode::NoDomain)
                    throw;
            }
        dom = conf::DomainXml::parseString(withUuid(xml, uuid.empty() ? randomUuid() : uuid),
                                           conf::NVDIMM_INACTIVE);
    }
    conn_.definitions().define(name, dom.format());
    return name;
}

void NvdimmDriver::undefine(const std::string &domain)
{
    DomainInfo info = lookupDomain(conn_.hypervisor(), domain);
    DomainLock lock(conn_.stateDir(), info.name);
    if (!conn_.definitions().get(info.name))
        raise(ErrorCode::OperationInvalid, "%s", _("cannot undefine transient domain"));
    // A running domain keeps running, as a transient one.
    conn_.definitions().undefine(info.name);
}

std::string NvdimmDriver::dumpXml(const std::string &domain, bool inactive)
{
    DomainInfo info = lookupDomain(conn_.hypervisor(), domain);
    EventFlush flush{*impl_};
    DomainLock lock(conn_.stateDir(), info.name);
    impl_->recover(info.name);
    if (!inactive && isActive(info)) {
        conf::DomainXml dom = conf::DomainXml::parseString(impl_->liveXml(info), 0);
        return dom.format();
    }
    auto xml = conn_.definitions().get(info.name);
    if (!xml) {
        if (isActive(info))
            return conf::DomainXml::parseString(impl_->liveXml(info), 0).format();
        raise(ErrorCode::NoDomain, _("no domain with matching name '%s'"), info.name.c_str());
    }
    return conf::DomainXml::parseString(*xml, conf::NVDIMM_INACTIVE).format();
}

PreparedDomain NvdimmDriver::prepare(const std::string &domainXml)
{
    conf::DomainXml dom = conf::DomainXml::parseString(domainXml, 0);
    const std::string name = dom.name();
    EventFlush flush{*impl_};
    DomainLock lock(conn_.stateDir(), name);
    impl_->recover(name);
    if (auto st = impl_->store.load(name); st && st->domid && impl_->activeDomid(*st))
        raise(ErrorCode::OperationInvalid, _("domain '%s' is already running"), name.c_str());
    impl_->releaseLocked(name, false);   // prepare twice: the second wins
    DomainStatus st;
    try {
        UndoStack undo;
        PreparedDomain out = impl_->prepareLocked(dom, "prepare", undo, st);
        // The completed XML is the live definition from now on: a later
        // live attach must see these devices, or it reuses their slots.
        st.xml = out.xml;
        liveStep("prepare: record the status");
        st.pending.reset();
        impl_->saveOrRemove(st);
        undo.commit();
        return out;
    } catch (...) {
        impl_->store.remove(name);
        throw;
    }
}

void NvdimmDriver::release(const std::string &domain)
{
    EventFlush flush{*impl_};
    DomainLock lock(conn_.stateDir(), domain);
    impl_->recover(domain);
    impl_->releaseLocked(domain, false);
}

DomainInfo NvdimmDriver::start(const std::string &domain, bool paused)
{
    DomainOperation op(*impl_, conn_, domain);
    return impl_->start(op.info.name, paused);
}

void NvdimmDriver::destroy(const std::string &domain)
{
    DomainOperation op(*impl_, conn_, domain);
    impl_->destroy(op.info.name);
}

std::string NvdimmDriver::attachDevice(const std::string &domain, const std::string &deviceXml,
                                       unsigned flags)
{
    DomainOperation op(*impl_, conn_, domain);
    bool live = false, config = false;
    resolveImpact(flags, op.info, conn_.definitions().get(op.info.name).has_value(), live, config);
    return impl_->attach(op.info, deviceXml, live, config);
}

std::string NvdimmDriver::detachDevice(const std::string &domain, const std::string &deviceXml,
                                       unsigned flags, bool force)
{
    conf::NvdimmDef match = conf::parseNvdimmString(deviceXml, conf::NVDIMM_INACTIVE, "device XML");
    DomainOperation op(*impl_, conn_, domain);
    bool live = false, config = false;
    resolveImpact(flags, op.info, conn_.definitions().get(op.info.name).has_value(), live, config);
    return impl_->detach(op.info, &match, "", live, config, force);
}

std::string NvdimmDriver::detachDeviceAlias(const std::string &domain, const std::string &alias,
                                            unsigned flags, bool force)
{
    DomainOperation op(*impl_, conn_, domain);
    bool live = false, config = false;
    resolveImpact(flags, op.info, conn_.definitions().get(op.info.name).has_value(), live, config);
    return impl_->detach(op.info, nullptr, alias, live, config, force);
}

std::vector<std::string> NvdimmDriver::recoverAll()
{
    std::vector<std::string> repaired;
    EventFlush flush{*impl_};
    impl_->sweepSharedTemps(true);
    for (const auto &name : impl_->store.names()) {
        DomainLock lock(conn_.stateDir(), name);
        if (impl_->recover(name))
            repaired.push_back(name);
    }
    return repaired;
}

int NvdimmDriver::addEventCallback(EventCallback cb)
{
    std::lock_guard<std::mutex> guard(impl_->callbackLock);
    const int id = impl_->nextCallbackId++;
    impl_->callbacks[id] = std::move(cb);
    return id;
}

void NvdimmDriver::removeEventCallback(int id)
{
    std::lock_guard<std::mutex> guard(impl_->callbackLock);
    impl_->callbacks.erase(id);
}

} // namespace xlnv::libxl
