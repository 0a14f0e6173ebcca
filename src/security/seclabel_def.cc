#include "security/seclabel_def.h"

#include <cstring>

#include "conf/seclabel_conf.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::security {

namespace {

bool isElement(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE &&
           std::strcmp(reinterpret_cast<const char *>(node->name), name) == 0;
}

bool hasProp(xmlNode *node, const char *name)
{
    return xmlHasProp(node, reinterpret_cast<const xmlChar *>(name)) != nullptr;
}

std::string prop(xmlNode *node, const char *name)
{
    xmlChar *v = xmlGetProp(node, reinterpret_cast<const xmlChar *>(name));
    if (!v)
        return {};
    std::string out(reinterpret_cast<const char *>(v));
    xmlFree(v);
    return out;
}

std::string text(xmlNode *node)
{
    xmlChar *v = xmlNodeGetContent(node);
    if (!v)
        return {};
    std::string out(reinterpret_cast<const char *>(v));
    xmlFree(v);
    // Labels never contain surrounding blanks; formatted XML may.
    size_t b = out.find_first_not_of(" \t\r\n");
    size_t e = out.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : out.substr(b, e - b + 1);
}

xmlNode *child(xmlNode *node, const char *name)
{
    for (xmlNode *c = node ? node->children : nullptr; c; c = c->next)
        if (isElement(c, name))
            return c;
    return nullptr;
}

SeclabelDef parseSeclabel(xmlNode *node)
{
    SeclabelDef def;
    def.model = prop(node, "model");
    if (!def.model.empty() && def.model != "dac" && def.model != "selinux")
        raise(ErrorCode::XmlError, _("unsupported security model '%s' in <seclabel>"),
              def.model.c_str());

    std::string type = prop(node, "type");
    if (type.empty() || type == "dynamic")
        def.type = SeclabelType::Dynamic;
    else if (type == "static")
        def.type = SeclabelType::Static;
    else if (type == "none")
        def.type = SeclabelType::None;
    else
        raise(ErrorCode::XmlError, _("invalid security type '%s'"), type.c_str());

    // libvirt's defaults: relabel is required for dynamic labels,
    // defaults to 'no' for static ones and must be 'no' for 'none'.
    if (hasProp(node, "relabel"))
        def.relabel = conf::parseSeclabelYesNo(prop(node, "relabel"), "relabel");
    else
        def.relabel = def.type == SeclabelType::Dynamic;

    if (def.type == SeclabelType::Dynamic && !def.relabel)
        raise(ErrorCode::XmlError, _("dynamic label type must use resource relabeling"));
    if (def.type == SeclabelType::None && def.relabel)
        raise(ErrorCode::XmlError,
              _("resource relabeling is not compatible with 'none' label type"));

    if (xmlNode *l = child(node, "label"))
        def.label = text(l);
    if (xmlNode *l = child(node, "imagelabel"))
        def.imagelabel = text(l);
    if (xmlNode *l = child(node, "baselabel"))
        def.baselabel = text(l);

    if (def.type == SeclabelType::Static && def.label.empty())
        raise(ErrorCode::XmlError, _("security label is missing for static <seclabel> model '%s'"),
              def.model.empty() ? "-" : def.model.c_str());
    return def;
}

xmlNode *domainRoot(xmlDocPtr doc)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : nullptr;
    if (!isElement(root, "domain"))
        raise(ErrorCode::XmlError, _("expected root element <domain> in domain XML"));
    return root;
}

} // namespace

const char *seclabelTypeName(SeclabelType type)
{
    switch (type) {
    case SeclabelType::Dynamic: return "dynamic";
    case SeclabelType::Static: return "static";
    case SeclabelType::None: return "none";
    }
    return "dynamic";
}

std::vector<SeclabelDef> parseDomainSeclabels(xmlDocPtr doc)
{
    std::vector<SeclabelDef> out;
    for (xmlNode *c = domainRoot(doc)->children; c; c = c->next)
        if (isElement(c, "seclabel"))
            out.push_back(parseSeclabel(c));

    if (out.size() > 1) {
        for (size_t i = 0; i < out.size(); i++) {
            if (out[i].model.empty())
                raise(ErrorCode::XmlError,
                      _("missing security model when using multiple labels"));
            for (size_t j = 0; j < i; j++)
                if (out[i].model == out[j].model)
                    raise(ErrorCode::XmlError, _("seclabel for model %s is already defined"),
                          out[i].model.c_str());
        }
    }
    return out;
}

std::vector<conf::NvdimmDef> parseNvdimmBackings(xmlDocPtr doc)
{
    std::vector<conf::NvdimmDef> out;
    xmlNode *devices = child(domainRoot(doc), "devices");
    for (xmlNode *c = devices ? devices->children : nullptr; c; c = c->next) {
        if (!isElement(c, "memory") || prop(c, "model") != "nvdimm")
            continue;
        conf::NvdimmDef def = conf::parseNvdimm(c, 0);
        if (!def.path.empty())
            out.push_back(std::move(def));
    }
    return out;
}

const SeclabelDef *findSeclabel(const std::vector<SeclabelDef> &labels, const std::string &model,
                                const std::string &primaryModel)
{
    for (const auto &l : labels)
        if (l.model == model)
            return &l;
    if (labels.size() == 1 && labels[0].model.empty() && model == primaryModel)
        return &labels[0];
    return nullptr;
}

} // namespace xlnv::security
