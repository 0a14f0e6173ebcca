// Mode names, JSON views, the fixture inventory and the inventory factory.
#include "pmem/inventory.h"

#include <cstdlib>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

const char *pmemModeName(PmemMode mode)
{
    switch (mode) {
    case PmemMode::Fsdax: return "fsdax";
    case PmemMode::Devdax: return "devdax";
    case PmemMode::Raw: return "raw";
    case PmemMode::Sector: return "sector";
    case PmemMode::Unknown: break;
    }
    return "unknown";
}

PmemMode pmemModeFromName(const std::string &name)
{
    for (PmemMode m : {PmemMode::Fsdax, PmemMode::Devdax, PmemMode::Raw, PmemMode::Sector})
        if (name == pmemModeName(m))
            return m;
    return PmemMode::Unknown;
}

const char *backingKindName(BackingKind kind)
{
    switch (kind) {
    case BackingKind::Devdax: return "devdax";
    case BackingKind::FsdaxBlock: return "fsdax";
    case BackingKind::DaxFile: return "file";
    }
    return "unknown";
}

// ndctl's key names and conventions: numbers as JSON numbers, a key with
// no value (no name, no uuid, no NUMA node) left out rather than "".
nlohmann::json pmemRegionToJson(const PmemRegion &region)
{
    nlohmann::json j = {{"dev", region.dev}, {"spa", region.spa}, {"size", region.size},
                        {"align", region.align}};
    if (region.numa_node >= 0)
        j["numa_node"] = region.numa_node;
    return j;
}

nlohmann::json pmemNamespaceToJson(const PmemNamespace &ns)
{
    nlohmann::json j = {
        {"dev", ns.dev}, {"region", ns.region}, {"mode", pmemModeName(ns.mode)},
        {"size", ns.size}, {"spa", ns.spa}, {"align", ns.align},
    };
    auto optional = [&j](const char *key, const std::string &value) {
        if (!value.empty())
            j[key] = value;
    };
    optional("name", ns.name);
    optional("uuid", ns.uuid);
    optional("blockdev", ns.blockdev);
    optional("chardev", ns.chardev);
    optional("mount", ns.mount);
    if (ns.numa_node >= 0)
        j["numa_node"] = ns.numa_node;
    return j;
}

nlohmann::json resolvedBackingToJson(const ResolvedBacking &backing)
{
    nlohmann::json extents = nlohmann::json::array();
    for (const Extent &e : backing.extents)
        extents.push_back({{"offset", e.offset}, {"spa", e.spa}, {"length", e.length}});
    nlohmann::json j = {{"path", backing.path}, {"kind", backingKindName(backing.kind)},
                        {"size", backing.size}, {"superpage", backing.superpage}, {"extents", std::move(extents)}};
    if (!backing.namespace_dev.empty())
        j["namespace"] = backing.namespace_dev;
    if (backing.numa_node >= 0)
        j["numa_node"] = backing.numa_node;
    return j;
}

namespace {

// Fixture field readers: every fault names the file, the entry and the field.
struct FixtureReader {
    const std::string &origin;
    std::string entry;

    [[noreturn]] void bad(const char *field, const char *what) const
    {
        raise(ErrorCode::ConfigUnsupported,
              _("pmem fixture '%s': %s: field '%s' %s"),
              origin.c_str(), entry.c_str(), field, what);
    }

    uint64_t number(const nlohmann::json &obj, const char *field, bool required) const
    {
        auto it = obj.find(field);
        if (it == obj.end()) {
            if (required)
                bad(field, _("is missing"));
            return 0;
        }
        if (it->is_number_unsigned())
            return it->get<uint64_t>();
        uint64_t v = 0;
        if (it->is_string() && parseUInt64(it->get<std::string>(), v, true))
            return v;
        bad(field, _("must be an unsigned number or a 0x hex string"));
    }

    int node(const nlohmann::json &obj) const
    {
        auto it = obj.find("numa_node");
        if (it == obj.end())
            return -1;
        if (!it->is_number_integer())
            bad("numa_node", _("must be an integer"));
        return it->get<int>();
    }

    std::string text(const nlohmann::json &obj, const char *field, bool required) const
    {
        auto it = obj.find(field);
        if (it == obj.end()) {
            if (required)
                bad(field, _("is missing"));
            return {};
        }
        if (!it->is_string())
            bad(field, _("must be a string"));
        return it->get<std::string>();
    }
};

class FixtureInventory : public PmemInventory {
public:
    FixtureInventory(std::vector<PmemRegion> regions, std::vector<PmemNamespace> namespaces)
        : regions_(std::move(regions)), namespaces_(std::move(namespaces)) {}
    std::vector<PmemRegion> regions() override { return regions_; }
    std::vector<PmemNamespace> namespaces() override { return namespaces_; }

private:
    std::vector<PmemRegion> regions_;
    std::vector<PmemNamespace> namespaces_;
};

std::map<std::string, PmemInventoryProvider> &providers()
{
    static std::map<std::string, PmemInventoryProvider> registry;
    return registry;
}

std::mutex providersLock;

} // namespace

std::unique_ptr<PmemInventory> makeFixtureInventory(const std::string &json_text,
                                                    const std::string &origin)
{
    nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        raise(ErrorCode::ConfigUnsupported,
              _("pmem fixture '%s' is not a JSON object"), origin.c_str());

    std::vector<PmemRegion> regions;
    std::vector<PmemNamespace> namespaces;
    const nlohmann::json empty = nlohmann::json::array();
    const nlohmann::json &jregions = doc.contains("regions") ? doc["regions"] : empty;
    const nlohmann::json &jnamespaces = doc.contains("namespaces") ? doc["namespaces"] : empty;
    if (!jregions.is_array() || !jnamespaces.is_array())
        raise(ErrorCode::ConfigUnsupported,
              _("pmem fixture '%s': 'regions' and 'namespaces' must be arrays"), origin.c_str());

    for (size_t i = 0; i < jregions.size(); i++) {
        FixtureReader rd{origin, strprintf("regions[%zu]", i)};
        const auto &o = jregions[i];
        if (!o.is_object())
            rd.bad("dev", _("is missing"));
        PmemRegion r;
        r.dev = rd.text(o, "dev", true);
        r.spa = rd.number(o, "spa", true);
        r.size = rd.number(o, "size", true);
        r.align = rd.number(o, "align", false);
        r.numa_node = rd.node(o);
        regions.push_back(std::move(r));
    }
    for (size_t i = 0; i < jnamespaces.size(); i++) {
        FixtureReader rd{origin, strprintf("namespaces[%zu]", i)};
        const auto &o = jnamespaces[i];
        if (!o.is_object())
            rd.bad("dev", _("is missing"));
        PmemNamespace ns;
        ns.dev = rd.text(o, "dev", true);
        ns.region = rd.text(o, "region", false);
        std::string mode = rd.text(o, "mode", true);
        ns.mode = pmemModeFromName(mode);
        if (ns.mode == PmemMode::Unknown)
            rd.bad("mode", _("must be one of fsdax, devdax, raw, sector"));
        ns.name = rd.text(o, "name", false);
        ns.uuid = rd.text(o, "uuid", false);
        ns.size = rd.number(o, "size", true);
        ns.spa = rd.number(o, "spa", true);
        ns.align = rd.number(o, "align", false);
        ns.numa_node = rd.node(o);
        ns.blockdev = rd.text(o, "blockdev", false);
        ns.chardev = rd.text(o, "chardev", false);
        ns.mount = rd.text(o, "mount", false);
        if (ns.mode == PmemMode::Devdax && ns.chardev.empty())
            rd.bad("chardev", _("is required for a devdax namespace"));
        if (ns.mode == PmemMode::Fsdax && ns.blockdev.empty())
            rd.bad("blockdev", _("is required for an fsdax namespace"));
        namespaces.push_back(std::move(ns));
    }
    return std::make_unique<FixtureInventory>(std::move(regions), std::move(namespaces));
}

std::unique_ptr<PmemInventory> loadFixtureInventory(const std::string &path)
{
    FILE *f = std::fopen(path.c_str(), "rbe");
    if (!f)
        raiseSystem(errno, _("cannot open pmem fixture '%s'"), path.c_str());
    std::string text;
    char buf[8192];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
        text.append(buf, n);
    bool failed = std::ferror(f);
    std::fclose(f);
    if (failed)
        raise(ErrorCode::SystemError, _("cannot read pmem fixture '%s'"), path.c_str());
    return makeFixtureInventory(text, path);
}

void registerPmemInventoryProvider(const std::string &scheme, PmemInventoryProvider provider)
{
    std::lock_guard<std::mutex> guard(providersLock);
    providers()[scheme] = std::move(provider);
}

std::unique_ptr<PmemInventory> openPmemInventory(const std::string &uri)
{
    const char *fixture = std::getenv("LIBXL_NVDIMM_PMEM_FIXTURE");
    if (fixture && *fixture)
        return loadFixtureInventory(fixture);
    if (!uri.empty()) {
        std::string scheme = uri.substr(0, uri.find(':'));
        std::lock_guard<std::mutex> guard(providersLock);
        auto it = providers().find(scheme);
        if (it != providers().end())
            return it->second(uri);
    }
    return makeNdctlInventory();
}

} // namespace xlnv
