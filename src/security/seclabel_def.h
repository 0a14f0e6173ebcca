// libvirt's <seclabel> elements, read straight from a domain's libxml2
// document (the conf layer's DomainXml::doc() or any xmlDocPtr):
//
//   <domain> ... <seclabel type='dynamic|static|none' model='dac|selinux'
//                          relabel='yes|no'>
//                  <label>...</label> <imagelabel>...</imagelabel>
//                  <baselabel>...</baselabel>
//                </seclabel>
//
// The per-backing opt-out inside an NVDIMM <source> (this project's
// extension) belongs to the NVDIMM model: conf::NvdimmDef::seclabels.
#pragma once

#include <libxml/tree.h>

#include <string>
#include <vector>

#include "conf/nvdimm_conf.h"

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

// Domain-level <seclabel> elements, in document order. Throws
// xlnv::Error (XmlError) for values libvirt would refuse.
std::vector<SeclabelDef> parseDomainSeclabels(xmlDocPtr doc);

// <memory model='nvdimm'> devices with a <source><path>, in order, as
// the conf layer parses them (their seclabels included).
std::vector<conf::NvdimmDef> parseNvdimmBackings(xmlDocPtr doc);

// The domain-level seclabel for `model`; a single model-less seclabel
// belongs to `primaryModel`. nullptr when none applies.
const SeclabelDef *findSeclabel(const std::vector<SeclabelDef> &labels, const std::string &model,
                                const std::string &primaryModel);

} // namespace xlnv::security
