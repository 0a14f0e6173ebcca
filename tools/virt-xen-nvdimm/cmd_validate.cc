// virt-xen-nvdimm validate FILE: check a <domain> or one <memory> device
// with libvirt's rules plus the Xen rules; silent on success.
#include "command.h"

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

int runValidate(const std::string &file)
{
    const std::string text = readInputFile(file);
    const std::string name = file == "-" ? "(stdin)" : file;
    const conf::XmlDocUPtr doc = conf::parseXmlDocument(text, name);
    const std::string root = conf::xmlName(xmlDocGetRootElement(doc.get()));
    if (root == "memory") {
        const conf::NvdimmDef def = conf::parseNvdimm(xmlDocGetRootElement(doc.get()),
                                                      conf::NVDIMM_INACTIVE);
        conf::validateNvdimm(def, "");
        return 0;
    }
    if (root != "domain")
        raise(ErrorCode::XmlError, _("unexpected root element <%s>, expecting <%s> or <%s>"),
              root.c_str(), "domain", "memory");
    const conf::DomainXml dom = conf::DomainXml::parseNamed(text, conf::NVDIMM_INACTIVE, name);
    conf::validateDomain(dom);
    conf::validateXenRules(dom);
    return 0;
}

const CommandRegistrar registrar({
    "validate",
    N_("check a domain XML or one <memory model='nvdimm'> device"),
    10,
    [](CLI::App &sub) -> CommandRunner {
        auto file = std::make_shared<std::string>();
        sub.add_option("FILE", *file, _("XML file holding a <domain> or a <memory> device ('-' for standard input)"))
            ->required();
        return [file](Context &) { return runValidate(*file); };
    },
});

} // namespace

} // namespace xlnv::cli
