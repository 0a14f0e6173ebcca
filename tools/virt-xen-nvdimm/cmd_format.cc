// virt-xen-nvdimm format FILE: print a <memory> device as libvirt formats
// it, or a whole <domain> with its NVDIMMs canonical and the rest as given.
#include "command.h"
#include "xml_input.h"

#include <cerrno>
#include <cstdio>

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
    const DomainOrDevice input = readDomainOrDevice(file);
    writeOut(input.device ? conf::formatNvdimm(*input.device, conf::NVDIMM_INACTIVE)
                          : input.domain->format());
    return 0;
}

const CommandRegistrar registrar({
    "format",
    N_("print NVDIMM devices the way libvirt formats them"),
    11,
    [](CLI::App &sub) -> CommandRunner {
        auto file = addXmlFileArgument(sub);
        return [file](Context &) { return runFormat(*file); };
    },
});

} // namespace

} // namespace xlnv::cli
