#include "conf/nvdimm_conf.h"

#include <libxml/parser.h>

#include <cstring>
#include <vector>

#include "conf/seclabel_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/units.h"

namespace xlnv::conf {

namespace {

// Memory models libvirt knows besides nvdimm: valid libvirt XML, but not
// something this project handles.
constexpr const char *kOtherModels[] = {"dimm", "virtio-pmem", "virtio-mem", "sgx-epc"};

// Address types libvirt knows; only 'dimm' makes sense for an NVDIMM here.
constexpr const char *kOtherAddressTypes[] = {
    "pci", "drive", "virtio-serial", "ccid", "usb", "spapr-vio", "virtio-s390",
    "ccw", "virtio-mmio", "isa", "unassigned",
};

std::vector<xmlNodePtr> childElements(xmlNodePtr parent, const char *name)
{
    std::vector<xmlNodePtr> out;
    if (!parent)
        return out;
    for (xmlNodePtr cur = parent->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST name))
            out.push_back(cur);
    }
    return out;
}

// A scaled size as libvirt reads it with XPath: the value is the string
// of the first matching element, the unit the first matching @unit.
std::optional<uint64_t> scaledChild(const std::vector<xmlNodePtr> &parents, const char *name,
                                    const char *what, bool required)
{
    std::optional<std::string> text;
    std::string unit;
    bool haveUnit = false;
    for (xmlNodePtr parent : parents) {
        for (xmlNodePtr el : childElements(parent, name)) {
            if (!text)
                text = xmlText(el);
            if (!haveUnit) {
                if (auto u = xmlAttr(el, "unit")) {
                    unit = *u;
                    haveUnit = true;
                }
            }
        }
    }
    std::optional<std::string_view> view;
    if (text)
        view = *text;
    return units::parseScaledKiB(view, unit, what, required);
}

[[noreturn]] void invalidAttr(const char *attr, const char *element, const std::string &value)
{
    raise(ErrorCode::XmlError, _("Invalid value for attribute '%s' in element '%s': '%s'."),
          attr, element, value.c_str());
}

[[noreturn]] void invalidNumberAttr(const char *attr, const char *element, const std::string &value)
{
    raise(ErrorCode::XmlError,
          _("Invalid value for attribute '%s' in element '%s': '%s'. Expected non-negative integer value"),
          attr, element, value.c_str());
}

// libvirt's UUID reader: hex pairs, '-' or ' ' between them anywhere,
// white space around.
bool parseUuid(const std::string &text, std::array<unsigned char, 16> &out)
{
    auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    auto hexValue = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    size_t pos = 0;
    while (pos < text.size() && isSpace(text[pos]))
        pos++;
    for (size_t i = 0; i < out.size();) {
        if (pos >= text.size())
            return false;
        if (text[pos] == '-' || text[pos] == ' ') {
            pos++;
            continue;
        }
        const int hi = hexValue(text[pos]);
        if (hi < 0 || pos + 1 >= text.size())
            return false;
        const int lo = hexValue(text[pos + 1]);
        if (lo < 0)
            return false;
        out[i++] = static_cast<unsigned char>(hi * 16 + lo);
        pos += 2;
    }
    for (; pos < text.size(); pos++) {
        if (!isSpace(text[pos]))
            return false;
    }
    return true;
}

std::string formatUuid(const std::array<unsigned char, 16> &uuid)
{
    std::string out;
    for (size_t i = 0; i < uuid.size(); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out += '-';
        out += strprintf("%02x", uuid[i]);
    }
    return out;
}

// Escape text for an element body or a single-quoted attribute, as
// libvirt's formatter does.
std::string escapeXml(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '\'': out += "&apos;"; break;
        case '"': out += "&quot;"; break;
        default: out += c; break;
        }
    }
    return out;
}

// Only the opt-out is meaningful for a backing: no type, no labels.
NvdimmSeclabel parseSeclabel(xmlNodePtr node)
{
    NvdimmSeclabel label;
    label.model = xmlAttr(node, "model").value_or("");
    if (!label.model.empty() && label.model != "dac" && label.model != "selinux")
        raise(ErrorCode::XmlError, _("unsupported security model '%s' in <seclabel>"),
              label.model.c_str());
    if (xmlAttr(node, "type") || xmlChildElement(node, "label") ||
        xmlChildElement(node, "imagelabel") || xmlChildElement(node, "baselabel"))
        raise(ErrorCode::XmlError, "%s",
              _("a <seclabel> inside an NVDIMM <source> only supports relabel='no'"));
    label.relabel = parseSeclabelYesNo(xmlAttr(node, "relabel").value_or("yes"), "relabel");
    return label;
}

void parseSource(xmlNodePtr memory, NvdimmDef &def)
{
    xmlNodePtr source = xmlChildElement(memory, "source");
    if (!source)
        return;
    if (xmlNodePtr path = xmlChildElement(source, "path"))
        def.path = xmlText(path);
    def.alignsize_kib = scaledChild({source}, "alignsize", "./alignsize", false).value_or(0);
    def.pmem = xmlChildElement(source, "pmem") != nullptr;
    for (xmlNodePtr node : childElements(source, "seclabel")) {
        NvdimmSeclabel label = parseSeclabel(node);
        for (const auto &other : def.seclabels)
            if (other.model == label.model)
                raise(ErrorCode::XmlError, _("seclabel for model %s is already defined"),
                      label.model.empty() ? "-" : label.model.c_str());
        def.seclabels.push_back(std::move(label));
    }
}

void parseTarget(xmlNodePtr memory, NvdimmDef &def)
{
    xmlNodePtr target = xmlChildElement(memory, "target");
    if (!target)
        raise(ErrorCode::XmlError, "%s", _("missing <target> element for <memory> device"));

    // libvirt reads the node as a signed int: "-0" and " 1" pass, an empty
    // element means no node.
    if (xmlNodePtr node = xmlChildElement(target, "node")) {
        const std::string text = xmlText(node);
        if (!text.empty()) {
            long long value = 0;
            if (!units::parseInt(text, value, INT32_MIN, INT32_MAX) || value < 0)
                raise(ErrorCode::XmlError, "%s", _("invalid value of memory device node"));
            def.node = static_cast<unsigned>(value);
        }
    }

    def.size_kib = *scaledChild({target}, "size", "./size", true);
    def.label_size_kib =
        scaledChild(childElements(target, "label"), "size", "./label/size", false).value_or(0);
    checkNvdimmParse(def);
    def.readonly = xmlChildElement(target, "readonly") != nullptr;
}

void parseAddress(xmlNodePtr address, NvdimmDef &def)
{
    const auto type = xmlAttr(address, "type");
    if (!type)
        raise(ErrorCode::Internal, "%s", _("No type specified for device address"));
    if (*type != "dimm") {
        for (const char *known : kOtherAddressTypes) {
            if (*type == known)
                raise(ErrorCode::ConfigUnsupported,
                      _("address type '%s' is not supported for NVDIMM devices, only 'dimm'"),
                      type->c_str());
        }
        raise(ErrorCode::ConfigUnsupported, _("unknown address type '%s'"), type->c_str());
    }

    const auto slot = xmlAttr(address, "slot");
    if (!slot)
        raise(ErrorCode::XmlError, _("Missing required attribute '%s' in element '%s'"),
              "slot", "address");
    uint64_t slotValue = 0;
    if (slot->find('-') != std::string::npos || !units::parseUnsigned(*slot, slotValue) ||
        slotValue > UINT32_MAX)
        invalidNumberAttr("slot", "address", *slot);

    uint64_t baseValue = 0;
    if (const auto base = xmlAttr(address, "base")) {
        if (base->find('-') != std::string::npos || !units::parseUnsigned(*base, baseValue, 16))
            invalidNumberAttr("base", "address", *base);
    }
    def.address.present = true;
    def.address.slot = static_cast<unsigned>(slotValue);
    def.address.base = baseValue;
}

} // namespace

std::string defaultNvdimmAlias(unsigned slot)
{
    return strprintf("nvdimm%u", slot);
}

std::string nvdimmAliasOr(const NvdimmDef &def, unsigned slot)
{
    return def.alias.empty() ? defaultNvdimmAlias(slot) : def.alias;
}

long findNvdimmByDef(const std::vector<NvdimmDef> &devices, const NvdimmDef &match)
{
    for (size_t i = 0; i < devices.size(); i++) {
        const NvdimmDef &d = devices[i];
        if (!match.alias.empty()) {
            if (d.alias == match.alias)
                return static_cast<long>(i);
            continue;
        }
        if (d.path != match.path)
            continue;
        if (match.size_kib && d.size_kib != match.size_kib)
            continue;
        if (match.node && d.node != match.node)
            continue;
        if (match.address.present && (d.address.slot != match.address.slot ||
                                      (match.address.base && d.address.base != match.address.base)))
            continue;
        return static_cast<long>(i);
    }
    return -1;
}

bool isUserAlias(std::string_view alias)
{
    if (!startsWith(alias, "ua-"))
        return false;
    for (char c : alias) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

void checkNvdimmParse(const NvdimmDef &def)
{
    if (def.label_size_kib && def.label_size_kib < 128)
        raise(ErrorCode::XmlError, "%s", _("nvdimm label must be at least 128KiB"));
    if (def.label_size_kib >= def.size_kib)
        raise(ErrorCode::XmlError, "%s", _("label size must be smaller than NVDIMM size"));
}

NvdimmDef parseNvdimm(xmlNodePtr node, unsigned flags)
{
    if (!node || node->type != XML_ELEMENT_NODE || !xmlStrEqual(node->name, BAD_CAST "memory"))
        raise(ErrorCode::XmlError, _("expected a <memory> element, got <%s>"), xmlName(node).c_str());

    NvdimmDef def;
    const auto model = xmlAttr(node, "model");
    if (!model)
        raise(ErrorCode::XmlError, _("Missing required attribute '%s' in element '%s'"),
              "model", "memory");
    if (*model != "nvdimm") {
        for (const char *other : kOtherModels) {
            if (*model == other)
                raise(ErrorCode::ConfigUnsupported,
                      _("memory model '%s' is not supported by this project, only model 'nvdimm'"),
                      model->c_str());
        }
        invalidAttr("model", "memory", *model);
    }

    if (const auto access = xmlAttr(node, "access")) {
        if (*access == "shared")
            def.access = MemoryAccess::Shared;
        else if (*access == "private")
            def.access = MemoryAccess::Private;
        else
            invalidAttr("access", "memory", *access);
    }
    if (const auto discard = xmlAttr(node, "discard")) {
        if (*discard == "yes")
            def.discard = TristateBool::Yes;
        else if (*discard == "no")
            def.discard = TristateBool::No;
        else
            invalidAttr("discard", "memory", *discard);
    }

    if (xmlNodePtr uuidNode = xmlChildElement(node, "uuid")) {
        const std::string text = xmlText(uuidNode);
        if (!text.empty()) {
            std::array<unsigned char, 16> uuid{};
            if (!parseUuid(text, uuid))
                raise(ErrorCode::Internal, "%s", _("malformed uuid element"));
            def.uuid = uuid;
        }
    }

    parseSource(node, def);
    parseTarget(node, def);

    if (xmlNodePtr alias = xmlChildElement(node, "alias")) {
        const auto name = xmlAttr(alias, "name");
        // A persistent definition keeps only user aliases; the rest are
        // assigned when the domain runs.
        if (name && !name->empty() && (!(flags & NVDIMM_INACTIVE) || isUserAlias(*name)))
            def.alias = *name;
    }
    if (xmlNodePtr address = xmlChildElement(node, "address"))
        parseAddress(address, def);
    return def;
}

NvdimmDef parseNvdimmString(std::string_view xml, unsigned flags, const std::string &name)
{
    XmlDocUPtr doc = parseXmlDocument(xml, name);
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    if (!xmlStrEqual(root->name, BAD_CAST "memory"))
        raise(ErrorCode::XmlError, _("unexpected root element <%s>, expecting <%s>"),
              xmlName(root).c_str(), "memory");
    return parseNvdimm(root, flags);
}

std::string formatNvdimm(const NvdimmDef &def, unsigned flags, int indent)
{
    const std::string pad(static_cast<size_t>(indent < 0 ? 0 : indent), ' ');
    std::string out;
    auto line = [&](int depth, const std::string &text) {
        out += pad;
        out.append(static_cast<size_t>(depth) * 2, ' ');
        out += text;
        out += '\n';
    };

    std::string open = "<memory model='nvdimm'";
    if (def.access == MemoryAccess::Shared)
        open += " access='shared'";
    else if (def.access == MemoryAccess::Private)
        open += " access='private'";
    if (def.discard == TristateBool::Yes)
        open += " discard='yes'";
    else if (def.discard == TristateBool::No)
        open += " discard='no'";
    line(0, open + ">");

    if (def.uuid)
        line(1, "<uuid>" + formatUuid(*def.uuid) + "</uuid>");

    if (!def.path.empty() || def.alignsize_kib || def.pmem || !def.seclabels.empty()) {
        line(1, "<source>");
        if (!def.path.empty())
            line(2, "<path>" + escapeXml(def.path) + "</path>");
        for (const auto &label : def.seclabels) {
            std::string element = "<seclabel";
            if (!label.model.empty())
                element += " model='" + escapeXml(label.model) + "'";
            line(2, element + (label.relabel ? " relabel='yes'/>" : " relabel='no'/>"));
        }
        if (def.alignsize_kib)
            line(2, strprintf("<alignsize unit='KiB'>%llu</alignsize>",
                              static_cast<unsigned long long>(def.alignsize_kib)));
        if (def.pmem)
            line(2, "<pmem/>");
        line(1, "</source>");
    }

    line(1, "<target>");
    line(2, strprintf("<size unit='KiB'>%llu</size>", static_cast<unsigned long long>(def.size_kib)));
    if (def.node)
        line(2, strprintf("<node>%u</node>", *def.node));
    if (def.label_size_kib) {
        line(2, "<label>");
        line(3, strprintf("<size unit='KiB'>%llu</size>",
                          static_cast<unsigned long long>(def.label_size_kib)));
        line(2, "</label>");
    }
    if (def.readonly)
        line(2, "<readonly/>");
    line(1, "</target>");

    if (!def.alias.empty() && (!(flags & NVDIMM_INACTIVE) || isUserAlias(def.alias)))
        line(1, "<alias name='" + escapeXml(def.alias) + "'/>");
    if (def.address.present) {
        std::string address = strprintf("<address type='dimm' slot='%u'", def.address.slot);
        if (def.address.base)
            address += " base='" + hex(def.address.base) + "'";
        line(1, address + "/>");
    }
    line(0, "</memory>");
    return out;
}

void validateNvdimm(const NvdimmDef &def, const std::string &arch)
{
    if (def.path.empty())
        raise(ErrorCode::XmlDetail, "%s", _("path is required for model 'nvdimm'"));
    if (def.discard == TristateBool::Yes)
        raise(ErrorCode::ConfigUnsupported, "%s", _("discard is not supported for nvdimms"));
    const bool ppc64 = arch == "ppc64" || arch == "ppc64le";
    if (ppc64) {
        if (!def.label_size_kib)
            raise(ErrorCode::ConfigUnsupported, "%s", _("label size is required for NVDIMM device"));
    } else if (def.uuid) {
        raise(ErrorCode::ConfigUnsupported, "%s", _("UUID is not supported for NVDIMM device"));
    }
    checkNvdimmParse(def);
}

bool parseSeclabelYesNo(const std::string &value, const char *what)
{
    if (value == "yes")
        return true;
    if (value == "no")
        return false;
    raise(ErrorCode::XmlError, _("invalid security %s value '%s'"), what, value.c_str());
}

bool NvdimmDef::relabel(std::string_view model) const
{
    for (const auto &label : seclabels)
        if ((label.model.empty() || label.model == model) && !label.relabel)
            return false;
    return true;
}

std::string nvdimmDisplayName(const NvdimmDef &def)
{
    if (!def.alias.empty())
        return def.alias;
    if (!def.path.empty())
        return def.path;
    return _("(unnamed NVDIMM)");
}

std::string describeNvdimm(const NvdimmDef &def, std::optional<unsigned> slot)
{
    if (!def.alias.empty())
        return strprintf(_("NVDIMM '%s'"), def.alias.c_str());
    if (slot)
        return strprintf(_("NVDIMM in slot %u"), *slot);
    if (!def.path.empty())
        return strprintf(_("NVDIMM with backing '%s'"), def.path.c_str());
    return _("(unnamed NVDIMM)");
}

} // namespace xlnv::conf
