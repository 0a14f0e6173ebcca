#include "sim/sim_host.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>

#include "hypervisor/domain_xml.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::libxl {

namespace {

std::string stateFile(const std::string &dir)
{
    return dir + "/host.json";
}

// Creates (or grows) a sparse file of `size` bytes; existing data stays.
void ensureSparseFile(const std::string &path, uint64_t size)
{
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        raiseSystem(errno, _("cannot create backing file '%s'"), path.c_str());
    off_t cur = lseek(fd, 0, SEEK_END);
    if (cur >= 0 && static_cast<uint64_t>(cur) < size && ftruncate(fd, static_cast<off_t>(size)) < 0) {
        int err = errno;
        close(fd);
        raiseSystem(err, _("cannot size backing file '%s'"), path.c_str());
    }
    close(fd);
}

} // namespace

SimHost::SimHost(std::string uri, SimHostDescription description, std::string stateDir,
                 DomainLimitDefaults limits)
    : uri_(std::move(uri)), description_(std::move(description)), stateDir_(std::move(stateDir)),
      limits_(limits), definitions_((makeDirectories(stateDir_), stateDir_ + "/definitions")),
      live_(stateDir_ + "/live", Durability::Volatile)
{
    initialize();
}

std::string SimHost::backingFile(const SimNamespaceDescription &ns) const
{
    return stateDir_ + "/pmem/" + ns.ns.dev + ".img";
}

std::string SimHost::mountPath(const SimNamespaceDescription &ns) const
{
    return ns.mount_name.empty() ? std::string() : stateDir_ + "/mnt/" + ns.mount_name;
}

const SimNamespaceDescription *SimHost::namespaceForFrames(uint64_t mfn, uint64_t nr) const
{
    const unsigned __int128 start = static_cast<unsigned __int128>(mfn) * kPageSize;
    const unsigned __int128 end = start + static_cast<unsigned __int128>(nr) * kPageSize;
    for (const auto &d : description_.namespaces)
        if (start >= d.ns.spa && end <= static_cast<unsigned __int128>(d.ns.spa) + d.ns.size)
            return &d;
    return nullptr;
}

void SimHost::initialize()
{
    StateLock lock(lockPath(), StateLock::Mode::Exclusive);
    if (auto text = readFileIfExists(stateFile(stateDir_))) {
        nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
        const std::string owner = j.is_object() ? j.value("host", std::string()) : std::string();
        if (owner != uri_)
            raise(ErrorCode::OperationInvalid,
                  _("state directory '%s' holds the simulated host '%s', not '%s'"),
                  stateDir_.c_str(), owner.c_str(), uri_.c_str());
        return;
    }
    // First use (or after a reset): lay the host out, host.json last so an
    // interrupted initialization is simply redone.
    makeDirectories(stateDir_ + "/pmem");
    for (const auto &ns : description_.namespaces) {
        ensureSparseFile(backingFile(ns), ns.ns.size);
        if (!ns.mount_name.empty())
            makeDirectories(mountPath(ns));
    }
    SimState state;
    state.host_uri = uri_;
    for (const auto &g : description_.guests) {
        definitions_.define(g.name, g.definition);
        SimDomainRuntime rt;
        rt.state = g.state;
        rt.domid = g.domid;
        if (g.domid) {
            live_.define(g.name, g.definition);
            state.next_domid = std::max(state.next_domid, *g.domid + 1);
        }
        state.domains[g.name] = rt;
    }
    writeFileAtomic(stateFile(stateDir_), state.toJson().dump(1) + "\n", 0600, Durability::Volatile);
}

DefinitionSummary SimHost::summarize(const std::string &name, const std::string &xml)
{
    std::lock_guard<std::mutex> guard(parsedMutex_);
    auto it = parsed_.find(name);
    if (it != parsed_.end() && it->second.xml == xml)
        return it->second.summary;
    DefinitionSummary s = summarizeDefinition(xml);
    parsed_[name] = {xml, s};
    return s;
}

void SimHost::storeLiveDefinition(const std::string &name, const std::string &xml)
{
    live_.define(name, xml, summarize(name, xml));
}

DomainInfo SimHost::buildInfo(const std::string &name, const SimDomainRuntime &rt)
{
    const bool active = rt.state != DomainState::Shutoff && rt.domid;
    std::optional<std::string> xml = active ? live_.get(name) : std::nullopt;
    if (!xml)
        xml = definitions_.get(name);
    if (!xml)
        raise(ErrorCode::Internal, _("simulated domain '%s' has no definition"), name.c_str());
    const DefinitionSummary s = summarize(name, *xml);

    DomainInfo info;
    info.name = name;
    info.uuid = s.uuid;
    std::transform(info.uuid.begin(), info.uuid.end(), info.uuid.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    info.kind = s.kind;
    info.state = active ? rt.state : DomainState::Shutoff;
    if (active)
        info.domid = rt.domid;
    info.memory_kib = s.memory_kib;
    info.max_memory_kib = s.max_memory_kib.value_or(limits_.max_memory_kib);
    info.memory_slots = s.max_memory_kib ? s.memory_slots : limits_.memory_slots;
    info.vnuma = s.vnuma;
    info.phys_addr_bits = description_.phys_bits;
    for (const auto &g : description_.guests) {
        if (g.name != name)
            continue;
        if (!g.ram.empty())
            info.ram = g.ram;
        if (g.phys_bits)
            info.phys_addr_bits = g.phys_bits;
    }
    if (info.ram.empty())
        info.ram = hvmRamLayout(s.memory_kib);
    return info;
}

SimHost::Session::Session(SimHost &host, bool write)
    : host_(host),
      lock_(host.lockPath(), write ? StateLock::Mode::Exclusive : StateLock::Mode::Shared),
      write_(write)
{
    auto text = readFileIfExists(stateFile(host.stateDir_));
    if (!text)
        raise(ErrorCode::OperationInvalid,
              _("the simulated host's state in '%s' is gone; run the command again to reset it"),
              host.stateDir_.c_str());
    state_ = host.loadState(*text);
}

SimState SimHost::loadState(const std::string &text)
{
    {
        std::lock_guard<std::mutex> guard(stateMutex_);
        if (!stateText_.empty() && text == stateText_)
            return stateParsed_;
    }
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
        raise(ErrorCode::Internal, _("corrupt simulated host state '%s'"), stateFile(stateDir_).c_str());
    SimState state = SimState::fromJson(j);
    rememberState(text, state);
    return state;
}

void SimHost::rememberState(std::string text, const SimState &state)
{
    std::lock_guard<std::mutex> guard(stateMutex_);
    stateText_ = std::move(text);
    stateParsed_ = state;
}

void SimHost::Session::commit()
{
    if (!write_)
        raise(ErrorCode::Internal, _("commit of a read-only simulated host session"));
    // The state kept is the state a later session would read back.
    state_.ledger.dropEmptyRecords();
    // The simulated hypervisor's memory: volatile, like Xen's.
    std::string text = state_.toJson().dump(1) + "\n";
    writeFileAtomic(stateFile(host_.stateDir_), text, 0600, Durability::Volatile);
    host_.rememberState(std::move(text), state_);
}

const std::vector<DomainInfo> &SimHost::Session::domains()
{
    if (domains_)
        return *domains_;
    std::vector<DomainInfo> out;
    std::set<std::string> seen;
    for (const auto &name : host_.definitions_.names()) {
        auto it = state_.domains.find(name);
        out.push_back(host_.buildInfo(name, it == state_.domains.end() ? SimDomainRuntime{} : it->second));
        seen.insert(name);
    }
    // Transient domains: running without a persistent definition.
    for (const auto &[name, rt] : state_.domains)
        if (!seen.count(name) && rt.state != DomainState::Shutoff && rt.domid)
            out.push_back(host_.buildInfo(name, rt));
    domains_ = std::move(out);
    return *domains_;
}

const DomainInfo &SimHost::Session::activeDomain(uint32_t domid)
{
    if (active_ && active_->domid == domid)
        return *active_;
    // An active domain has a runtime record with its id, defined or not.
    for (const auto &[name, rt] : state_.domains)
        if (rt.domid && *rt.domid == domid && rt.state != DomainState::Shutoff) {
            active_ = host_.buildInfo(name, rt);
            return *active_;
        }
    raise(ErrorCode::NoDomain, _("no domain with matching id %u"), domid);
}

std::optional<DomainInfo> SimHost::Session::domainNamed(const std::string &name)
{
    auto it = state_.domains.find(name);
    const SimDomainRuntime rt = it == state_.domains.end() ? SimDomainRuntime{} : it->second;
    if (host_.definitions_.has(name) || (rt.state != DomainState::Shutoff && rt.domid))
        return host_.buildInfo(name, rt);
    return std::nullopt;
}

} // namespace xlnv::libxl
