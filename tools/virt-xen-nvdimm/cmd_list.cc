// list [--all | --inactive] [--name] [--uuid]: domains in virsh's table
// format, or names and/or uuids only.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "connection_util.h"
#include "hypervisor/hypervisor.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

// virsh's table: a leading space, columns padded to their widest cell and
// separated by three spaces (the last one unpadded), a dash line two
// longer than the header, and a blank line at the end.
std::string formatTable(const std::vector<std::vector<std::string>> &rows)
{
    std::vector<size_t> widths(rows.front().size(), 0);
    for (const auto &row : rows)
        for (size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], row[i].size());
    auto line = [&](const std::vector<std::string> &row) {
        std::string out = " ";
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size())
                out += std::string(widths[i] - row[i].size() + 3, ' ');
        }
        return out + "\n";
    };
    size_t total = 1;
    for (size_t w : widths)
        total += w;
    total += 3 * (widths.size() - 1) + 2;
    std::string out = line(rows.front()) + std::string(total, '-') + "\n";
    for (size_t r = 1; r < rows.size(); ++r)
        out += line(rows[r]);
    return out + "\n";
}

struct ListOptions {
    bool all = false;
    bool inactive = false;
    bool name = false;
    bool uuid = false;
};

CommandRunner setupList(CLI::App &sub)
{
    auto opts = std::make_shared<ListOptions>();
    sub.add_flag("--all", opts->all, _("list inactive & active domains"));
    sub.add_flag("--inactive", opts->inactive, _("list inactive domains"));
    sub.add_flag("--name", opts->name, _("list domain names only"));
    sub.add_flag("--uuid", opts->uuid, _("list uuid's only"));
    return [opts](Context &ctx) {
        auto conn = openConnection(ctx);
        auto domains = conn->hypervisor().listDomains(opts->all || opts->inactive);
        if (opts->inactive && !opts->all)
            std::erase_if(domains, [](const auto &d) { return d.domid.has_value(); });
        // virsh: running ones by id, then inactive ones by name.
        std::stable_sort(domains.begin(), domains.end(), [](const auto &a, const auto &b) {
            if (a.domid.has_value() != b.domid.has_value())
                return a.domid.has_value();
            if (a.domid)
                return *a.domid < *b.domid;
            return a.name < b.name;
        });
        if (opts->name || opts->uuid) {
            // virsh: one domain a line (uuid, then name when both are
            // asked for), then a blank line.
            for (const auto &d : domains) {
                if (opts->uuid && opts->name)
                    std::printf("%-36s %s\n", d.uuid.c_str(), d.name.c_str());
                else
                    std::printf("%s\n", opts->uuid ? d.uuid.c_str() : d.name.c_str());
            }
            std::printf("\n");
            return 0;
        }
        std::vector<std::vector<std::string>> rows;
        rows.push_back({_("Id"), _("Name"), _("State")});
        for (const auto &d : domains)
            rows.push_back({d.domid ? std::to_string(*d.domid) : std::string("-"), d.name,
                            _(libxl::domainStateName(d.state))});
        std::fputs(formatTable(rows).c_str(), stdout);
        return 0;
    };
}

CommandRegistrar registrar({"list", N_("list domains"), 100, setupList});

} // namespace

} // namespace xlnv::cli
