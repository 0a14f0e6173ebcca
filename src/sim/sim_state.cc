#include "sim/sim_state.h"

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

const char *stateKey(DomainState s)
{
    switch (s) {
    case DomainState::Running: return "running";
    case DomainState::Paused: return "paused";
    case DomainState::Shutoff: return "shutoff";
    }
    return "shutoff";
}

DomainState stateFromKey(const std::string &s)
{
    if (s == "running") return DomainState::Running;
    if (s == "paused") return DomainState::Paused;
    return DomainState::Shutoff;
}

} // namespace

namespace {

std::vector<uint8_t> fromHex(const std::string &h)
{
    std::vector<uint8_t> out;
    if (!hexToBytes(h, out))
        raise(ErrorCode::Internal, "%s", _("corrupt simulated host state: bad hex string"));
    return out;
}

} // namespace

nlohmann::json SimState::toJson() const
{
    nlohmann::json j;
    j["version"] = 1;
    j["host"] = host_uri;
    j["next_domid"] = next_domid;
    j["domains"] = nlohmann::json::object();
    for (const auto &[name, rt] : domains) {
        nlohmann::json d;
        d["state"] = stateKey(rt.state);
        if (rt.domid)
            d["id"] = *rt.domid;
        j["domains"][name] = d;
    }
    j["ledger"] = ledger.toJson();
    j["counters"] = {
        {"map_calls", counters.map_calls},
        {"unmap_calls", counters.unmap_calls},
        {"entries_4k", counters.entries_4k},
        {"entries_2m", counters.entries_2m},
        {"unmap_entries_4k", counters.unmap_entries_4k},
        {"unmap_entries_2m", counters.unmap_entries_2m},
        {"iomem_grant_calls", counters.iomem_grant_calls},
        {"iomem_revoke_calls", counters.iomem_revoke_calls},
    };
    j["allocations"] = nlohmann::json::object();
    for (const auto &[ns, files] : allocations)
        for (const auto &[rel, a] : files)
            j["allocations"][ns][rel] = {{"ino", a.ino}, {"offset", a.offset}, {"length", a.length}};
    j["guest_views"] = nlohmann::json::object();
    for (const auto &[name, view] : guest_views) {
        nlohmann::json v;
        v["nvdimms"] = nlohmann::json::array();
        for (const auto &n : view.nvdimms)
            v["nvdimms"].push_back({{"alias", n.alias}, {"base", n.base}, {"size", n.size}});
        v["acpi_firmware"] = view.acpi_firmware;
        v["acpi_firmware_bytes"] = view.acpi_firmware_bytes;
        v["fit_booted"] = view.fit_booted;
        v["fit"] = bytesToHex(view.fit);
        v["fit_page"] = bytesToHex(view.fit_page);
        v["fit_devices"] = nlohmann::json::array();
        for (const auto &d : view.fit_devices)
            v["fit_devices"].push_back({{"slot", d.slot}, {"base", d.base}, {"size", d.size},
                                        {"readonly", d.readonly}});
        v["notifications"] = view.notifications;
        v["fit_rejections"] = view.fit_rejections;
        v["fit_error"] = view.fit_error;
        j["guest_views"][name] = v;
    }
    return j;
}

SimState SimState::fromJson(const nlohmann::json &j)
{
    try {
        SimState s;
        s.host_uri = j.at("host").get<std::string>();
        s.next_domid = j.at("next_domid").get<uint32_t>();
        for (const auto &[name, d] : j.at("domains").items()) {
            SimDomainRuntime rt;
            rt.state = stateFromKey(d.at("state").get<std::string>());
            if (d.contains("id"))
                rt.domid = d.at("id").get<uint32_t>();
            s.domains[name] = rt;
        }
        s.ledger = MappingLedger::fromJson(j.at("ledger"));
        const auto &c = j.at("counters");
        s.counters.map_calls = c.value("map_calls", 0ULL);
        s.counters.unmap_calls = c.value("unmap_calls", 0ULL);
        s.counters.entries_4k = c.value("entries_4k", 0ULL);
        s.counters.entries_2m = c.value("entries_2m", 0ULL);
        s.counters.unmap_entries_4k = c.value("unmap_entries_4k", 0ULL);
        s.counters.unmap_entries_2m = c.value("unmap_entries_2m", 0ULL);
        s.counters.iomem_grant_calls = c.value("iomem_grant_calls", 0ULL);
        s.counters.iomem_revoke_calls = c.value("iomem_revoke_calls", 0ULL);
        if (j.contains("allocations"))
            for (const auto &[ns, files] : j.at("allocations").items())
                for (const auto &[rel, a] : files.items())
                    s.allocations[ns][rel] = {a.at("ino").get<uint64_t>(), a.at("offset").get<uint64_t>(),
                                              a.at("length").get<uint64_t>()};
        if (j.contains("guest_views"))
            for (const auto &[name, v] : j.at("guest_views").items()) {
                SimGuestView view;
                for (const auto &n : v.at("nvdimms"))
                    view.nvdimms.push_back({n.at("alias").get<std::string>(), n.at("base").get<uint64_t>(),
                                            n.at("size").get<uint64_t>()});
                view.acpi_firmware = v.value("acpi_firmware", std::string());
                view.acpi_firmware_bytes = v.value("acpi_firmware_bytes", 0ULL);
                view.fit_booted = v.value("fit_booted", false);
                view.fit = fromHex(v.value("fit", std::string()));
                view.fit_page = fromHex(v.value("fit_page", std::string()));
                if (v.contains("fit_devices"))
                    for (const auto &d : v.at("fit_devices"))
                        view.fit_devices.push_back({d.at("slot").get<unsigned>(), d.at("base").get<uint64_t>(),
                                                    d.at("size").get<uint64_t>(), d.value("readonly", false)});
                view.notifications = v.value("notifications", 0ULL);
                view.fit_rejections = v.value("fit_rejections", 0ULL);
                view.fit_error = v.value("fit_error", std::string());
                s.guest_views[name] = std::move(view);
            }
        return s;
    } catch (const nlohmann::json::exception &e) {
        raise(ErrorCode::Internal, _("corrupt simulated host state: %s"), e.what());
    }
}

} // namespace xlnv::libxl
