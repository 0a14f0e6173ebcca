#include "hypervisor/domain_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <cctype>
#include <memory>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/units.h"

namespace xlnv::libxl {

namespace {

struct DocFree { void operator()(xmlDoc *d) const { xmlFreeDoc(d); } };
struct XPathCtxFree { void operator()(xmlXPathContext *c) const { xmlXPathFreeContext(c); } };
struct XPathObjFree { void operator()(xmlXPathObject *o) const { xmlXPathFreeObject(o); } };

std::string nodeText(xmlNode *node)
{
    xmlChar *s = xmlNodeGetContent(node);
    std::string out = s ? reinterpret_cast<const char *>(s) : "";
    xmlFree(s);
    return trim(out);
}

std::string attr(xmlNode *node, const char *name)
{
    xmlChar *s = xmlGetProp(node, reinterpret_cast<const xmlChar *>(name));
    std::string out = s ? reinterpret_cast<const char *>(s) : "";
    xmlFree(s);
    return out;
}

std::vector<xmlNode *> select(xmlXPathContext *ctx, const char *expr)
{
    std::unique_ptr<xmlXPathObject, XPathObjFree> obj(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar *>(expr), ctx));
    std::vector<xmlNode *> nodes;
    if (obj && obj->nodesetval)
        for (int i = 0; i < obj->nodesetval->nodeNr; ++i)
            nodes.push_back(obj->nodesetval->nodeTab[i]);
    return nodes;
}

} // namespace

uint64_t scaleToKiB(const std::string &value, const std::string &unit, const char *what)
{
    uint64_t n = 0;
    if (!parseUInt64(trim(value), n))
        raise(ErrorCode::InvalidArg, _("invalid value '%s' for %s"), value.c_str(), what);
    uint64_t scale = 1024;
    try {
        scale = units::unitScale(unit, 1024);
    } catch (const Error &) {
        raise(ErrorCode::InvalidArg, _("unknown unit '%s' for %s"), unit.c_str(), what);
    }
    const unsigned __int128 kib = (static_cast<unsigned __int128>(n) * scale + 1023) / 1024;
    if (kib > UINT64_MAX / 1024)
        raise(ErrorCode::InvalidArg, _("value '%s' for %s is too large"), value.c_str(), what);
    return static_cast<uint64_t>(kib);
}

DefinitionSummary summarizeDefinition(std::string_view xml)
{
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "domain.xml", nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
    if (!doc)
        raise(ErrorCode::XmlError, _("(domain_definition):1: malformed domain XML"));
    xmlNode *root = xmlDocGetRootElement(doc.get());
    if (!root || xmlStrcmp(root->name, reinterpret_cast<const xmlChar *>("domain")) != 0)
        raise(ErrorCode::XmlError, _("expected root element 'domain'"));
    std::unique_ptr<xmlXPathContext, XPathCtxFree> ctx(xmlXPathNewContext(doc.get()));
    ctx->node = root;

    DefinitionSummary s;
    auto names = select(ctx.get(), "./name");
    if (names.empty() || nodeText(names[0]).empty())
        raise(ErrorCode::XmlError, _("missing name information"));
    s.name = nodeText(names[0]);
    if (auto u = select(ctx.get(), "./uuid"); !u.empty())
        s.uuid = nodeText(u[0]);

    std::string osType = "hvm";
    if (auto t = select(ctx.get(), "./os/type"); !t.empty())
        osType = nodeText(t[0]);
    if (osType == "hvm")
        s.kind = DomainKind::Hvm;
    else if (osType == "xenpvh")
        s.kind = DomainKind::Pvh;
    else
        s.kind = DomainKind::Pv;

    auto mem = select(ctx.get(), "./memory");
    if (mem.empty())
        raise(ErrorCode::XmlError, _("missing 'memory' element in domain '%s'"), s.name.c_str());
    s.memory_kib = scaleToKiB(nodeText(mem[0]), attr(mem[0], "unit"), "memory");
    if (auto cur = select(ctx.get(), "./currentMemory"); !cur.empty())
        s.memory_kib = scaleToKiB(nodeText(cur[0]), attr(cur[0], "unit"), "currentMemory");
    if (auto mx = select(ctx.get(), "./maxMemory"); !mx.empty()) {
        s.max_memory_kib = scaleToKiB(nodeText(mx[0]), attr(mx[0], "unit"), "maxMemory");
        unsigned slots = 0;
        if (!parseUInt(attr(mx[0], "slots"), slots))
            raise(ErrorCode::XmlError, _("Failed to parse memory slot count"));
        s.memory_slots = slots;
    }
    for (xmlNode *cell : select(ctx.get(), "./cpu/numa/cell")) {
        VnumaCell c;
        if (!parseUInt(attr(cell, "id"), c.id))
            c.id = static_cast<unsigned>(s.vnuma.size());
        c.memory_kib = scaleToKiB(attr(cell, "memory"), attr(cell, "unit"), "NUMA cell memory");
        s.vnuma.push_back(c);
    }
    return s;
}

std::string minimalDefinition(const DomainInfo &info)
{
    std::string x = "<domain type='xen'>\n";
    x += "  <name>" + info.name + "</name>\n";
    if (!info.uuid.empty())
        x += "  <uuid>" + info.uuid + "</uuid>\n";
    x += strprintf("  <maxMemory slots='%u' unit='KiB'>%llu</maxMemory>\n", info.memory_slots,
                   static_cast<unsigned long long>(info.max_memory_kib));
    x += strprintf("  <memory unit='KiB'>%llu</memory>\n", static_cast<unsigned long long>(info.memory_kib));
    x += strprintf("  <currentMemory unit='KiB'>%llu</currentMemory>\n",
                   static_cast<unsigned long long>(info.memory_kib));
    x += "  <os>\n    <type arch='x86_64'>";
    x += info.kind == DomainKind::Pvh ? "xenpvh" : info.kind == DomainKind::Pv ? "linux" : "hvm";
    x += "</type>\n  </os>\n";
    if (!info.vnuma.empty()) {
        x += "  <cpu>\n    <numa>\n";
        for (const auto &c : info.vnuma)
            x += strprintf("      <cell id='%u' cpus='%u' memory='%llu' unit='KiB'/>\n", c.id, c.id,
                           static_cast<unsigned long long>(c.memory_kib));
        x += "    </numa>\n  </cpu>\n";
    }
    x += "  <devices>\n  </devices>\n</domain>\n";
    return x;
}

} // namespace xlnv::libxl
