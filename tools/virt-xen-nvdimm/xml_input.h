// The XML input of `validate` and `format`: a FILE argument holding a
// whole <domain> or one <memory> device, read and parsed once.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "command.h"
#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"

namespace xlnv::cli {

// Exactly one of the two is set.
struct DomainOrDevice {
    std::optional<conf::NvdimmDef> device;
    std::optional<conf::DomainXml> domain;
};

// Reads FILE ('-' for standard input) and parses it as a persistent
// definition. XmlError for any other root element.
DomainOrDevice readDomainOrDevice(const std::string &file);

// Adds the required FILE positional and returns where it lands.
std::shared_ptr<std::string> addXmlFileArgument(CLI::App &sub);

} // namespace xlnv::cli
