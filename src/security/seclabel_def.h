// libvirt's <seclabel> elements, read straight from a domain's libxml2
// document (the conf layer's DomainXml::doc() or any xmlDocPtr):
//
//   <domain> ... <seclabel type='dynamic|static|none' model='dac|selinux'
//                          relabel='yes|no'>
//                  <label>...</label> <imagelabel>...</imagelabel>
//                  <baselabel>...</baselabel>
//                </seclabel>
//
// and, as this project's extension (libvirt's <memory> device has no
// per-device seclabel), a per-backing opt-out inside an NVDIMM source:
//
//   <memory model='nvdimm'><source><path>...</path>
//     <seclabel model='dac' relabel='no'/></source> ... </memory>
//
// model may be omitted there (then it applies to every driver).
#pragma once

#include <libxml/tree.h>

#include <string>
#include <vector>

namespace xlnv::security {

enum class SeclabelType { Dynamic, Static, None };
const char *seclabelTypeName(SeclabelType type);

struct SeclabelDef {
    std::string model;          // "dac", "selinux"; "" = not given
    SeclabelType type = SeclabelType::Dynamic;
    bool relabel = true;
    std::string label;          // <label>
    std::string imagelabel;     // <imagelabel>
    std::string baselabel;      // <baselabel>
};

// One NVDIMM backing of the domain and its per-device seclabels.
struct NvdimmBacking {
    std::string path;
    std::vector<SeclabelDef> seclabels;
    // False when a per-device <seclabel relabel='no'/> covers `model`.
    bool relabel(const std::string &model) const;
};

// Domain-level <seclabel> elements, in document order. Throws
// xlnv::Error (XmlError) for values libvirt would refuse.
std::vector<SeclabelDef> parseDomainSeclabels(xmlDocPtr doc);

// <memory model='nvdimm'> devices with a <source><path>, in order.
std::vector<NvdimmBacking> parseNvdimmBackings(xmlDocPtr doc);

// The domain-level seclabel for `model`; a single model-less seclabel
// belongs to `primaryModel`. nullptr when none applies.
const SeclabelDef *findSeclabel(const std::vector<SeclabelDef> &labels, const std::string &model,
                                const std::string &primaryModel);

} // namespace xlnv::security
