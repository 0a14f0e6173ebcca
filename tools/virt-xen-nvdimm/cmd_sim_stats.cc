// sim-stats [--json]: what the simulated hypervisor has been asked to do.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "command.h"
#include "connection_util.h"
#include "sim/sim_hypervisor.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

namespace {

struct SimStatsOptions {
    bool json = false;
};

// Frame numbers, addresses and sizes are JSON numbers, as in every
// --json output of the tool.
nlohmann::json statsToJson(const libxl::SimStats &st)
{
    nlohmann::json j;
    j["map_calls"] = st.counters.map_calls;
    j["unmap_calls"] = st.counters.unmap_calls;
    j["entries_4k"] = st.counters.entries_4k;
    j["entries_2m"] = st.counters.entries_2m;
    j["unmap_entries_4k"] = st.counters.unmap_entries_4k;
    j["unmap_entries_2m"] = st.counters.unmap_entries_2m;
    j["iomem_grant_calls"] = st.counters.iomem_grant_calls;
    j["iomem_revoke_calls"] = st.counters.iomem_revoke_calls;
    j["domains"] = nlohmann::json::object();
    for (const auto &d : st.domains) {
        nlohmann::json dj;
        dj["id"] = d.domid;
        dj["mapped_bytes"] = d.mapped_bytes;
        dj["mappings"] = nlohmann::json::array();
        for (const auto &m : d.mappings)
            dj["mappings"].push_back({{"gfn", m.gfn}, {"mfn", m.mfn}, {"nr", m.nr}});
        dj["iomem_ranges"] = nlohmann::json::array();
        for (const auto &r : d.iomem)
            dj["iomem_ranges"].push_back({{"mfn", r.mfn}, {"nr", r.nr}});
        // What the guest was told (its NFIT): the devices it can find.
        dj["nvdimms"] = nlohmann::json::array();
        for (const auto &n : d.guest.nvdimms)
            dj["nvdimms"].push_back({{"alias", n.alias}, {"base", n.base}, {"size", n.size}});
        if (!d.guest.acpi_firmware.empty()) {
            dj["acpi_firmware"] = d.guest.acpi_firmware;
            dj["acpi_firmware_bytes"] = d.guest.acpi_firmware_bytes;
        }
        // The guest's OS (modelled on Linux's nfit driver): what it read
        // from its FIT at boot and on each hotplug notification.
        if (d.guest.fit_booted) {
            nlohmann::json g;
            g["nvdimms"] = nlohmann::json::array();
            for (const auto &f : d.guest.fit_devices)
                g["nvdimms"].push_back({{"slot", f.slot}, {"base", f.base}, {"size", f.size},
                                        {"readonly", f.readonly}});
            g["fit_bytes"] = d.guest.fit.size();
            g["notifications"] = d.guest.notifications;
            g["fit_rejections"] = d.guest.fit_rejections;
            if (!d.guest.fit_error.empty())
                g["fit_error"] = d.guest.fit_error;
            dj["guest_os"] = std::move(g);
        }
        j["domains"][d.name] = std::move(dj);
    }
    return j;
}

void printText(const libxl::SimStats &st)
{
    const auto &c = st.counters;
    std::printf("%-20s %llu\n", _("Mapping calls:"), static_cast<unsigned long long>(c.map_calls));
    std::printf("%-20s %llu\n", _("Unmapping calls:"), static_cast<unsigned long long>(c.unmap_calls));
    std::printf("%-20s %llu\n", _("Entries 4 KiB:"), static_cast<unsigned long long>(c.entries_4k));
    std::printf("%-20s %llu\n", _("Entries 2 MiB:"), static_cast<unsigned long long>(c.entries_2m));
    std::printf("%-20s %llu\n", _("Permission grants:"), static_cast<unsigned long long>(c.iomem_grant_calls));
    std::printf("%-20s %llu\n", _("Permission revokes:"), static_cast<unsigned long long>(c.iomem_revoke_calls));
    for (const auto &d : st.domains) {
        std::printf("\n");
        std::printf(_("Domain '%s' (id %u): %llu bytes mapped\n"), d.name.c_str(), d.domid,
                    static_cast<unsigned long long>(d.mapped_bytes));
        for (const auto &m : d.mappings)
            std::printf(_("  mapping: gfn %s <- mfn %s, %llu frames\n"), hex(m.gfn).c_str(),
                        hex(m.mfn).c_str(), static_cast<unsigned long long>(m.nr));
        for (const auto &r : d.iomem)
            std::printf(_("  iomem permission: mfn %s, %llu frames\n"), hex(r.mfn).c_str(),
                        static_cast<unsigned long long>(r.nr));
        for (const auto &n : d.guest.nvdimms)
            std::printf(_("  guest sees NVDIMM %s at %s, %llu bytes\n"), n.alias.c_str(),
                        hex(n.base).c_str(), static_cast<unsigned long long>(n.size));
        if (d.guest.notifications || d.guest.fit_rejections) {
            std::printf(_("  guest OS notified %llu times, refused %llu FITs\n"),
                        static_cast<unsigned long long>(d.guest.notifications),
                        static_cast<unsigned long long>(d.guest.fit_rejections));
            for (const auto &f : d.guest.fit_devices)
                std::printf(_("  guest OS has NVDIMM slot %u at %s, %llu bytes\n"), f.slot, hex(f.base).c_str(),
                            static_cast<unsigned long long>(f.size));
        }
    }
}

CommandRunner setupSimStats(CLI::App &sub)
{
    auto opts = std::make_shared<SimStatsOptions>();
    sub.add_flag("--json", opts->json, _("print JSON"));
    return [opts](Context &ctx) {
        requireSimulatorUri(ctx, "sim-stats");
        auto conn = openConnection(ctx);
        const libxl::SimStats st = conn->requireSimulated("sim-stats").stats();
        if (opts->json)
            std::printf("%s\n", statsToJson(st).dump(2).c_str());
        else
            printText(st);
        return 0;
    };
}

CommandRegistrar registrar({"sim-stats", N_("mapping calls and mappings of the simulated host"),
                            900, setupSimStats});

} // namespace

} // namespace xlnv::cli
