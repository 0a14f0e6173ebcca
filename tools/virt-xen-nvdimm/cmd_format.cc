// virt-xen-nvdimm format FILE: print a <memory> device as libvirt formats
// it, or a whole <domain> with its NVDIMMs canonical and the rest as given.
#include "command.h"

#include <cstdio>

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

void writeOut(const std::string &text)
{
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
        raiseSystem(errno, "%s", _("cannot write to standard output"));
}

int runFormat(const std::string &file)
{
    const std::string text = readInputFile(file);
    const std::string name = file == "-" ? "(stdin)" : file;
    const conf::XmlDocUPtr doc = conf::parseXmlDocument(text, name);
    const std::string root = conf::xmlName(xmlDocGetRootElement(doc.get()));
    if (root == "memory") {
        const conf::NvdimmDef def = conf::parseNvdimm(xmlDocGetRootElement(doc.get()),
                                                      conf::NVDIMM_INACTIVE);
        writeOut(conf::formatNvdimm(def, conf::NVDIMM_INACTIVE));
        return 0;
    }
    if (root != "domain")
        raise(ErrorCode::XmlError, _("unexpected root element <%s>, expecting <%s> or <%s>"),
              root.c_str(), "domain", "memory");
    const conf::DomainXml dom = conf::DomainXml::parseNamed(text, conf::NVDIMM_INACTIVE, name);
    writeOut(dom.format());
    return 0;
}

const CommandRegistrar registrar({
    "format",
    N_("print NVDIMM devices the way libvirt formats them"),
    11,
    [](CLI::App &sub) -> CommandRunner {
        auto file = std::make_shared<std::string>();
        sub.add_option("FILE", *file, _("XML file holding a <domain> or a <memory> device ('-' for standard input)"))
            ->required();
        return [file](Context &) { return runFormat(*file); };
    },
});

} // namespace

} // namespace xlnv::cli
