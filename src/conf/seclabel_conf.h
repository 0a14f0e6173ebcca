// What the domain-level <seclabel> (src/security) and the NVDIMM's
// per-device one (nvdimm_conf) read alike.
#pragma once

#include <string>

namespace xlnv::conf {

// libvirt's yes/no of a <seclabel> attribute ("relabel"); XmlError
// "invalid security WHAT value 'VALUE'" otherwise.
bool parseSeclabelYesNo(const std::string &value, const char *what);

} // namespace xlnv::conf
