#include "sim/sim_host_description.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>

#include "hypervisor/domain_xml.h"
#include "util/bytesize.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

struct DocFree { void operator()(xmlDoc *d) const { xmlFreeDoc(d); } };

bool isElement(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           xmlStrcmp(n->name, reinterpret_cast<const xmlChar *>(name)) == 0;
}

std::optional<std::string> attr(xmlNode *node, const char *name)
{
    xmlChar *s = xmlGetProp(node, reinterpret_cast<const xmlChar *>(name));
    if (!s)
        return std::nullopt;
    std::string out = reinterpret_cast<const char *>(s);
    xmlFree(s);
    return out;
}

std::string requiredAttr(xmlNode *node, const char *name, const std::string &source)
{
    auto v = attr(node, name);
    if (!v || v->empty())
        raise(ErrorCode::XmlError, _("missing attribute '%s' of <%s> in simulated host '%s'"),
              name, reinterpret_cast<const char *>(node->name), source.c_str());
    return *v;
}

uint64_t hexOrSize(xmlNode *node, const char *name, const std::string &source)
{
    const std::string text = requiredAttr(node, name, source);
    const std::string what = strprintf("<%s %s>", reinterpret_cast<const char *>(node->name), name);
    // The command line's grammar ("1TiB", "0x200000", "64GiB").
    return xlnv::parseByteSize(trim(text), what.c_str());
}

uint64_t frameNumber(xmlNode *node, const char *name, const std::string &source)
{
    uint64_t v = 0;
    const std::string text = requiredAttr(node, name, source);
    if (!parseUInt64(text, v, true))
        raise(ErrorCode::XmlError, _("invalid value '%s' for attribute '%s' of <%s>"),
              text.c_str(), name, reinterpret_cast<const char *>(node->name));
    return v;
}

std::string escapeXml(const std::string &text, bool attribute)
{
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\'': out += attribute ? "&apos;" : "'"; break;
        case '"': out += attribute ? "&quot;" : "\""; break;
        default: out += c;
        }
    }
    return out;
}

// The guest's definition as libvirt formats a domain: two-space indents,
// single-quoted attributes, text-only elements on one line; comments and
// layout whitespace of the description are dropped. So `dumpxml` of a
// simulated domain reads like virsh's.
void formatElement(xmlNode *node, unsigned depth, std::string &out)
{
    const std::string indent(depth * 2, ' ');
    out += indent + "<" + reinterpret_cast<const char *>(node->name);
    for (xmlAttr *a = node->properties; a; a = a->next) {
        xmlChar *v = xmlNodeGetContent(reinterpret_cast<xmlNode *>(a));
        out += std::string(" ") + reinterpret_cast<const char *>(a->name) + "='" +
               escapeXml(v ? reinterpret_cast<const char *>(v) : "", true) + "'";
        xmlFree(v);
    }
    bool hasElements = false;
    std::string text;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            hasElements = true;
        else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            text += reinterpret_cast<const char *>(c->content);
    }
    if (hasElements) {
        out += ">\n";
        for (xmlNode *c = node->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                formatElement(c, depth + 1, out);
        out += indent + "</" + reinterpret_cast<const char *>(node->name) + ">\n";
    } else if (!trim(text).empty()) {
        out += ">" + escapeXml(std::string(trim(text)), false) + "</" +
               reinterpret_cast<const char *>(node->name) + ">\n";
    } else {
        out += "/>\n";
    }
}

std::string serialize(xmlNode *node)
{
    std::string out;
    formatElement(node, 0, out);
    return out;
}

PmemMode modeFromName(const std::string &mode, const std::string &source)
{
    if (mode == "devdax") return PmemMode::Devdax;
    if (mode == "fsdax") return PmemMode::Fsdax;
    if (mode == "raw") return PmemMode::Raw;
    if (mode == "sector") return PmemMode::Sector;
    raise(ErrorCode::XmlError, _("unknown namespace mode '%s' in simulated host '%s'"),
          mode.c_str(), source.c_str());
}

bool isPlainComponent(const std::string &s)
{
    return !s.empty() && s[0] != '.' && s.find('/') == std::string::npos;
}

void parseRegion(xmlNode *node, const std::string &source, SimHostDescription &host)
{
    PmemRegion region;
    region.dev = requiredAttr(node, "dev", source);
    region.spa = frameNumber(node, "spa", source);
    region.size = hexOrSize(node, "size", source);
    region.align = attr(node, "align") ? hexOrSize(node, "align", source) : 2 << 20;
    if (auto n = attr(node, "node")) {
        unsigned v = 0;
        if (!parseUInt(*n, v))
            raise(ErrorCode::XmlError, _("invalid NUMA node '%s' of region '%s'"), n->c_str(), region.dev.c_str());
        region.numa_node = static_cast<int>(v);
    }
    if (region.spa % kPageSize || region.size % kPageSize || region.size == 0)
        raise(ErrorCode::ConfigUnsupported,
              _("region '%s' must start and end on a 4 KiB boundary and not be empty"), region.dev.c_str());
    host.regions.push_back(region);

    for (xmlNode *c = node->children; c; c = c->next) {
        if (!isElement(c, "namespace"))
            continue;
        SimNamespaceDescription d;
        d.ns.dev = requiredAttr(c, "dev", source);
        d.ns.region = region.dev;
        d.ns.mode = modeFromName(requiredAttr(c, "mode", source), source);
        d.offset = attr(c, "offset") ? hexOrSize(c, "offset", source) : 0;
        d.ns.size = hexOrSize(c, "size", source);
        d.ns.align = attr(c, "align") ? hexOrSize(c, "align", source) : 2 << 20;
        d.ns.spa = region.spa + d.offset;
        d.ns.numa_node = region.numa_node;
        d.ns.name = attr(c, "name").value_or("");
        d.ns.uuid = attr(c, "uuid").value_or("");
        d.ns.chardev = attr(c, "chardev").value_or("");
        d.ns.blockdev = attr(c, "blockdev").value_or("");
        d.mount_name = attr(c, "mount").value_or("");
        if (d.offset % kPageSize || d.ns.size % kPageSize || d.ns.size == 0 ||
            d.offset + d.ns.size > region.size)
            raise(ErrorCode::ConfigUnsupported,
                  _("namespace '%s' must be 4 KiB aligned, not empty and inside region '%s'"),
                  d.ns.dev.c_str(), region.dev.c_str());
        if (d.ns.mode == PmemMode::Devdax && !isPlainComponent(d.ns.chardev))
            raise(ErrorCode::XmlError, _("devdax namespace '%s' needs a 'chardev' name such as 'dax0.0'"),
                  d.ns.dev.c_str());
        if (d.ns.mode == PmemMode::Fsdax && !isPlainComponent(d.ns.blockdev))
            raise(ErrorCode::XmlError, _("fsdax namespace '%s' needs a 'blockdev' name such as 'pmem0'"),
                  d.ns.dev.c_str());
        if (!d.mount_name.empty() && (d.ns.mode != PmemMode::Fsdax || !isPlainComponent(d.mount_name)))
            raise(ErrorCode::ConfigUnsupported,
                  _("namespace '%s': a 'mount' must be a plain directory name on an fsdax namespace"),
                  d.ns.dev.c_str());
        host.namespaces.push_back(d);
    }
}

// A physical address width attribute (phys_bits='40'), or `fallback`.
unsigned physBits(xmlNode *node, unsigned fallback, const std::string &source)
{
    const auto text = attr(node, "phys_bits");
    if (!text)
        return fallback;
    unsigned v = 0;
    if (!parseUInt(*text, v) || v < kSimMinPhysBits || v > kSimMaxPhysBits)
        raise(ErrorCode::XmlError,
              _("invalid value '%s' for attribute 'phys_bits' of <%s> in simulated host '%s', expected %u to %u"),
              text->c_str(), reinterpret_cast<const char *>(node->name), source.c_str(), kSimMinPhysBits,
              kSimMaxPhysBits);
    return v;
}

void parseGuest(xmlNode *node, const std::string &source, SimHostDescription &host)
{
    SimGuestDescription g;
    const std::string state = attr(node, "state").value_or("shutoff");
    if (state == "running")
        g.state = DomainState::Running;
    else if (state == "paused")
        g.state = DomainState::Paused;
    else if (state == "shutoff")
        g.state = DomainState::Shutoff;
    else
        raise(ErrorCode::XmlError, _("unknown guest state '%s' in simulated host '%s'"),
              state.c_str(), source.c_str());
    if (attr(node, "id")) {
        const uint64_t id = frameNumber(node, "id", source);
        if (id == 0 || id >= 0x7FF0)
            raise(ErrorCode::ConfigUnsupported, _("guest id %llu is out of range 1..32751"),
                  static_cast<unsigned long long>(id));
        g.domid = static_cast<uint32_t>(id);
    }
    const std::string eject = attr(node, "eject").value_or("ack");
    if (eject == "ack")
        g.eject = SimEjectBehaviour::Ack;
    else if (eject == "refuse")
        g.eject = SimEjectBehaviour::Refuse;
    else if (eject == "ignore")
        g.eject = SimEjectBehaviour::Ignore;
    else
        raise(ErrorCode::XmlError,
              _("invalid value '%s' for attribute 'eject' of <guest> in simulated host '%s', expected ack, refuse or ignore"),
              eject.c_str(), source.c_str());
    g.phys_bits = physBits(node, 0, source);
    for (xmlNode *c = node->children; c; c = c->next) {
        if (isElement(c, "ram"))
            g.ram.push_back({frameNumber(c, "gfn", source), frameNumber(c, "frames", source)});
        else if (isElement(c, "domain"))
            g.definition = serialize(c);
    }
    if (g.definition.empty())
        raise(ErrorCode::XmlError, _("a <guest> in simulated host '%s' has no <domain> definition"),
              source.c_str());
    g.name = summarizeDefinition(g.definition).name;
    if (g.state == DomainState::Shutoff)
        g.domid.reset();
    host.guests.push_back(std::move(g));
}

} // namespace

const char *simEjectBehaviourName(SimEjectBehaviour behaviour)
{
    switch (behaviour) {
    case SimEjectBehaviour::Ack: return "ack";
    case SimEjectBehaviour::Refuse: return "refuse";
    case SimEjectBehaviour::Ignore: return "ignore";
    }
    return "ack";
}

SimHostDescription parseSimHostDescription(std::string_view xml, const std::string &source)
{
    std::unique_ptr<xmlDoc, DocFree> doc(
        xmlReadMemory(xml.data(), static_cast<int>(xml.size()), source.c_str(), nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS));
    if (!doc)
        raise(ErrorCode::XmlError, _("malformed simulated host description '%s'"), source.c_str());
    xmlNode *root = xmlDocGetRootElement(doc.get());
    if (!root || !isElement(root, "simhost"))
        raise(ErrorCode::XmlError, _("expected root element 'simhost' in '%s'"), source.c_str());

    SimHostDescription host;
    host.name = attr(root, "name").value_or("");
    host.phys_bits = physBits(root, kSimDefaultPhysBits, source);
    for (xmlNode *c = root->children; c; c = c->next) {
        if (isElement(c, "pmem")) {
            for (xmlNode *r = c->children; r; r = r->next)
                if (isElement(r, "region"))
                    parseRegion(r, source, host);
        } else if (isElement(c, "guests")) {
            for (xmlNode *g = c->children; g; g = g->next)
                if (isElement(g, "guest"))
                    parseGuest(g, source, host);
        }
    }

    // Namespaces must not share host frames; names must be unique.
    std::vector<const PmemNamespace *> byspa;
    std::set<std::string> devs;
    for (const auto &d : host.namespaces) {
        if (!devs.insert(d.ns.dev).second)
            raise(ErrorCode::ConfigUnsupported, _("namespace '%s' is described twice"), d.ns.dev.c_str());
        byspa.push_back(&d.ns);
    }
    std::sort(byspa.begin(), byspa.end(), [](auto *a, auto *b) { return a->spa < b->spa; });
    for (size_t i = 1; i < byspa.size(); ++i)
        if (byspa[i - 1]->spa + byspa[i - 1]->size > byspa[i]->spa)
            raise(ErrorCode::ConfigUnsupported, _("namespaces '%s' and '%s' overlap"),
                  byspa[i - 1]->dev.c_str(), byspa[i]->dev.c_str());

    std::set<std::string> names;
    std::set<uint32_t> ids;
    uint32_t nextId = 1;
    for (const auto &g : host.guests)
        if (g.domid)
            nextId = std::max(nextId, *g.domid + 1);
    for (auto &g : host.guests) {
        if (!names.insert(g.name).second)
            raise(ErrorCode::ConfigUnsupported, _("domain '%s' is described twice"), g.name.c_str());
        if (g.state != DomainState::Shutoff && !g.domid)
            g.domid = nextId++;
        if (g.domid && !ids.insert(*g.domid).second)
            raise(ErrorCode::ConfigUnsupported, _("domain id %u is used twice"), *g.domid);
    }
    return host;
}

} // namespace xlnv::libxl
