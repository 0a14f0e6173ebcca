#include "hypervisor/domain_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cctype>
#include <memory>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/units.h"

namespace xlnv::libxl {

namespace {

struct DocFree { void operator()(xmlDoc *d) const { xmlFreeDoc(d); } };

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

// Element children by name, in document order: a walk, not XPath (every
// session of the simulated host summarizes each definition it has not
// seen). conf's xmlChildElement is above this layer.
bool isElementNamed(const xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE && xmlStrcmp(node->name, reinterpret_cast<const xmlChar *>(name)) == 0;
}

std::vector<xmlNode *> children(xmlNode *parent, const char *name)
{
    std::vector<xmlNode *> out;
    for (xmlNode *c = parent ? parent->children : nullptr; c; c = c->next)
        if (isElementNamed(c, name))
            out.push_back(c);
    return out;
}

xmlNode *child(xmlNode *parent, const char *name)
{
    for (xmlNode *c = parent ? parent->children : nullptr; c; c = c->next)
        if (isElementNamed(c, name))
            return c;
    return nullptr;
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
    // COMPACT: the tree is only read.
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "domain.xml", nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_COMPACT));
    if (!doc)
        raise(ErrorCode::XmlError, _("(domain_definition):1: malformed domain XML"));
    xmlNode *root = xmlDocGetRootElement(doc.get());
    if (!root || xmlStrcmp(root->name, reinterpret_cast<const xmlChar *>("domain")) != 0)
        raise(ErrorCode::XmlError, _("expected root element 'domain'"));
    DefinitionSummary s;
    xmlNode *name = child(root, "name");
    if (!name || nodeText(name).empty())
        raise(ErrorCode::XmlError, _("missing name information"));
    s.name = nodeText(name);
    if (xmlNode *u = child(root, "uuid"))
        s.uuid = nodeText(u);

    std::string osType = "hvm";
    if (xmlNode *t = child(child(root, "os"), "type"))
        osType = nodeText(t);
    if (osType == "hvm")
        s.kind = DomainKind::Hvm;
    else if (osType == "xenpvh")
        s.kind = DomainKind::Pvh;
    else
        s.kind = DomainKind::Pv;

    xmlNode *mem = child(root, "memory");
    if (!mem)
        raise(ErrorCode::XmlError, _("missing 'memory' element in domain '%s'"), s.name.c_str());
    s.memory_kib = scaleToKiB(nodeText(mem), attr(mem, "unit"), "memory");
    if (xmlNode *cur = child(root, "currentMemory"))
        s.memory_kib = scaleToKiB(nodeText(cur), attr(cur, "unit"), "currentMemory");
    if (xmlNode *mx = child(root, "maxMemory")) {
        s.max_memory_kib = scaleToKiB(nodeText(mx), attr(mx, "unit"), "maxMemory");
        unsigned slots = 0;
        if (!parseUInt(attr(mx, "slots"), slots))
            raise(ErrorCode::XmlError, _("Failed to parse memory slot count"));
        s.memory_slots = slots;
    }
    for (xmlNode *cpu : children(root, "cpu"))
        for (xmlNode *numa : children(cpu, "numa"))
            for (xmlNode *cell : children(numa, "cell")) {
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
