// dumpxml DOMAIN [--inactive]: the live XML of a running domain (alias
// and address of every NVDIMM), else or with --inactive the persistent one.
// A running domain's root element carries its id, as libvirt's live XML.
#include <cstdio>

#include "command.h"
#include "driver_util.h"
#include "hypervisor/hypervisor.h"
#include "libxl/connection.h"
#include "libxl/nvdimm_driver.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

// <domain type='xen'> -> <domain type='xen' id='N'>, unless it has one.
std::string withDomainId(const std::string &xml, uint32_t id)
{
    const size_t open = xml.find("<domain");
    if (open == std::string::npos)
        return xml;
    const size_t close = xml.find('>', open);
    if (close == std::string::npos)
        return xml;
    const std::string tag = xml.substr(open, close - open);
    if (tag.find(" id=") != std::string::npos)
        return xml;
    size_t at = open + 7;
    if (const size_t type = tag.find(" type="); type != std::string::npos && type + 7 < tag.size()) {
        const char quote = tag[type + 6];
        if (const size_t end = tag.find(quote, type + 7); end != std::string::npos)
            at = open + end + 1;
    }
    return xml.substr(0, at) + " id='" + std::to_string(id) + "'" + xml.substr(at);
}

struct DumpXmlOptions {
    std::string domain;
    bool inactive = false;
};

const CommandRegistrar registrar({
    "dumpxml",
    N_("domain information in XML"),
    130,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<DumpXmlOptions>();
        sub.add_option("DOMAIN,--domain", opts->domain, _("domain name, id or uuid"))->required();
        sub.add_flag("--inactive", opts->inactive, _("show inactive defined XML"));
        return [opts](Context &ctx) {
            auto s = openDriver(ctx);
            std::string xml = s.driver->dumpXml(opts->domain, opts->inactive);
            if (!opts->inactive)
                if (auto domid = libxl::lookupDomain(s.conn->hypervisor(), opts->domain).domid)
                    xml = withDomainId(xml, *domid);
            if (xml.empty() || xml.back() != '\n')
                xml += '\n';
            std::fputs(xml.c_str(), stdout);
            return 0;
        };
    },
});

} // namespace

} // namespace xlnv::cli
