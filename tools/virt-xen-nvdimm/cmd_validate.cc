// virt-xen-nvdimm validate FILE: check a <domain> or one <memory> device
// with libvirt's rules plus the Xen rules; silent on success.
#include "command.h"
#include "xml_input.h"

#include "libxl/libxl_config.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

int runValidate(const std::string &file)
{
    const DomainOrDevice input = readDomainOrDevice(file);
    if (input.device) {
        conf::validateNvdimm(*input.device, "");
        return 0;
    }
    // Everything start checks before it needs the host.
    libxl::validateWithoutHost(*input.domain);
    conf::validateXenRules(*input.domain);   // its PVH warning
    return 0;
}

const CommandRegistrar registrar({
    "validate",
    N_("check a domain XML or one <memory model='nvdimm'> device"),
    10,
    [](CLI::App &sub) -> CommandRunner {
        auto file = addXmlFileArgument(sub);
        return [file](Context &) { return runValidate(*file); };
    },
});

} // namespace

} // namespace xlnv::cli
