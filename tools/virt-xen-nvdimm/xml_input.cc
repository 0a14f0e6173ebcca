#include "xml_input.h"

#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::cli {

DomainOrDevice readDomainOrDevice(const std::string &file)
{
    const std::string text = readInputFile(file);
    const std::string name = file == "-" ? "(stdin)" : file;
    const conf::XmlDocUPtr doc = conf::parseXmlDocument(text, name);
    const std::string root = conf::xmlName(xmlDocGetRootElement(doc.get()));
    DomainOrDevice out;
    if (root == "memory")
        out.device = conf::parseNvdimm(xmlDocGetRootElement(doc.get()), conf::NVDIMM_INACTIVE);
    else if (root == "domain")
        out.domain = conf::DomainXml::parseNamed(text, conf::NVDIMM_INACTIVE, name);
    else
        raise(ErrorCode::XmlError, _("unexpected root element <%s>, expecting <%s> or <%s>"),
              root.c_str(), "domain", "memory");
    return out;
}

std::shared_ptr<std::string> addXmlFileArgument(CLI::App &sub)
{
    auto file = std::make_shared<std::string>();
    sub.add_option("FILE,--file", *file,
                   _("XML file holding a <domain> or a <memory> device ('-' for standard input)"))
        ->required();
    return file;
}

} // namespace xlnv::cli
