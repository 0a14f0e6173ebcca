// virt-xen-nvdimm domxml-to-native FORMAT FILE: the libxl configuration
// for a domain XML with NVDIMMs, as xl.cfg text (xen-xl, what `virsh
// domxml-to-native xen-xl` prints plus iomem and acpi_firmware) or as
// libxenlight JSON (libxl-json). Writes the acpi_firmware blob under the
// domain's state directory; --xml-out saves the XML with the slots and
// bases that were assigned, so the next run gives the same addresses.
#include "command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "conf/domain_conf.h"
#include "connection_util.h"
#include "libxl/libxl_config.h"
#include "pmem/host_backings.h"
#include "pmem/host_fixture.h"
#include "pmem/host_resolver.h"
#include "util/state_dir.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

struct Options {
    std::string format;
    std::string file;
    std::string xml_out;
};


int run(Context &ctx, const Options &opt)
{
    if (opt.format != "xen-xl" && opt.format != "libxl-json")
        raise(ErrorCode::InvalidArg, _("unsupported config type %s"), opt.format.c_str());
    const std::string text = readInputFile(opt.file);
    conf::DomainXml dom = conf::DomainXml::parseNamed(text, conf::NVDIMM_INACTIVE,
                                                      opt.file == "-" ? "(stdin)" : opt.file);

    libxl::NativeOptions native;
    std::unique_ptr<libxl::Connection> conn;
    std::unique_ptr<libxl::BackingResolver> ownResolver;
    libxl::BackingResolver *resolver = nullptr;
    std::string state_dir = ctx.stateDir;
    // A host described in a JSON file (tests, trying the tool without
    // persistent memory); otherwise the connection's host.
    const char *fixture = std::getenv("LIBXL_NVDIMM_HOST_FIXTURE");
    if (fixture && *fixture) {
        auto host = std::make_unique<libxl::FixtureHost>(libxl::FixtureHost::fromFile(fixture));
        native.layout.namespaces = host->inventory().namespaces();
        ownResolver = std::move(host);
        resolver = ownResolver.get();
        state_dir = libxl::resolveStateDir(ctx.stateDir);
    } else {
        conn = openConnection(ctx);
        native.layout.namespaces = conn->inventory().namespaces();
        native.layout.phys_addr_bits = libxl::guestPhysAddrBits(conn->hypervisor(), dom);
        // The paths attach-device and pmem-extents resolve: the
        // connection's host (a simulated host's devdax and DAX mount).
        resolver = &conn->backingResolver();
        state_dir = conn->stateDir();
    }
    native.domain_state_dir = state_dir + "/domains/" + dom.name();

    libxl::DomainConfig cfg = libxl::buildNativeConfig(dom, *resolver, native);
    const std::string out = opt.format == "xen-xl" ? libxl::formatXlConfig(*cfg.get())
                                                   : cfg.toJson();
    if (!opt.xml_out.empty())
        libxl::writeFileAtomic(opt.xml_out, dom.format(), 0644);
    std::cout << out;
    if (!out.empty() && out.back() != '\n')
        std::cout << '\n';
    return 0;
}

const CommandRegistrar registrar({
    "domxml-to-native",
    N_("convert a domain XML with NVDIMMs to xl.cfg text or libxl JSON"),
    40,
    [](CLI::App &sub) -> CommandRunner {
        auto opt = std::make_shared<Options>();
        sub.add_option("FORMAT", opt->format, _("xen-xl or libxl-json"))->required();
        sub.add_option("FILE", opt->file, _("domain XML file ('-' for standard input)"))->required();
        sub.add_option("--xml-out", opt->xml_out,
                       _("also write the domain XML with the assigned slots and bases to FILE"))
            ->option_text("FILE");
        return [opt](Context &ctx) { return run(ctx, *opt); };
    },
});

} // namespace

} // namespace xlnv::cli
