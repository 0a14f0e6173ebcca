#include "pmem/host_fixture.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {


uint64_t number(const nlohmann::json &obj, const char *key, const std::string &where)
{
    if (!obj.contains(key))
        raise(ErrorCode::ConfigUnsupported, _("%s: missing '%s'"), where.c_str(), key);
    const auto &v = obj[key];
    uint64_t out = 0;
    if (v.is_number_unsigned())
        return v.get<uint64_t>();
    if (v.is_string() && parseUInt64(v.get<std::string>(), out, true))
        return out;
    raise(ErrorCode::ConfigUnsupported, _("%s: '%s' is not an unsigned number"),
          where.c_str(), key);
}

BackingKind kindFromName(const std::string &name, const std::string &where)
{
    if (name == "devdax")
        return BackingKind::Devdax;
    if (name == "fsdax")
        return BackingKind::FsdaxBlock;
    if (name == "file")
        return BackingKind::DaxFile;
    raise(ErrorCode::ConfigUnsupported, _("%s: unknown backing kind '%s'"),
          where.c_str(), name.c_str());
}

} // namespace

FixtureHost FixtureHost::fromString(const std::string &json_text, const std::string &origin)
{
    FixtureHost host;
    host.origin_ = origin;
    host.inventory_ = makeFixtureInventory(json_text, origin);
    nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        raise(ErrorCode::ConfigUnsupported, _("%s: not a JSON object"), origin.c_str());
    if (!doc.contains("backings"))
        return host;
    const auto namespaces = host.inventory_->namespaces();
    size_t i = 0;
    for (const auto &jb : doc["backings"]) {
        const std::string where = strprintf("%s: backings[%zu]", origin.c_str(), i++);
        ResolvedBacking b;
        if (!jb.contains("path") || !jb["path"].is_string())
            raise(ErrorCode::ConfigUnsupported, _("%s: missing '%s'"), where.c_str(), "path");
        b.path = jb["path"].get<std::string>();
        b.kind = kindFromName(jb.value("kind", std::string("file")), where);
        b.namespace_dev = jb.value("namespace", std::string());
        const PmemNamespace *ns = nullptr;
        for (const auto &n : namespaces)
            if (n.dev == b.namespace_dev)
                ns = &n;
        if (ns)
            b.numa_node = ns->numa_node;
        if (jb.contains("extents")) {
            for (const auto &je : jb["extents"]) {
                Extent e;
                e.offset = number(je, "offset", where);
                e.spa = number(je, "spa", where);
                e.length = number(je, "length", where);
                b.extents.push_back(e);
            }
        } else if (ns) {
            b.extents.push_back(Extent{0, ns->spa, ns->size});
        } else {
            raise(ErrorCode::ConfigUnsupported, _("%s: needs 'extents' or a known 'namespace'"),
                  where.c_str());
        }
        b.superpage = true;
        for (const auto &e : b.extents) {
            b.size += e.length;
            if (e.spa % kSuperpageSize || e.offset % kSuperpageSize || e.length % kSuperpageSize)
                b.superpage = false;
        }
        host.backings_.push_back(std::move(b));
    }
    return host;
}

FixtureHost FixtureHost::fromFile(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    std::ostringstream text;
    text << in.rdbuf();
    return fromString(text.str(), path);
}

ResolvedBacking FixtureHost::resolve(const conf::NvdimmDef &def)
{
    for (const auto &b : backings_)
        if (b.path == def.path)
            return b;
    raise(ErrorCode::OperationInvalid,
          _("NVDIMM backing '%s' is not persistent memory on this host (%s)"),
          def.path.c_str(), origin_.c_str());
}

} // namespace xlnv::libxl
