// libxl-nvdimm-hook: run by libvirt's libxl driver from
// /etc/libvirt/hooks/libxl.d/ as
//     libxl-nvdimm-hook DOMAIN OP SUBOP EXTRA      (EXTRA is "-")
// with the full domain XML on standard input (docs/hook.rst).
//   prepare begin  prepare the domain's NVDIMMs: from its <devices>, or,
//                  when those hold none, from this project's <metadata>
//   release end    release them
//   anything else  nothing
// A failure prints "libxl-nvdimm-hook: error: MESSAGE" on stderr and exits
// 1, which makes libvirt abort the start.
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>

#include "conf/domain_conf.h"
#include "libxl/connection.h"
#include "libvirt/libvirt_metadata.h"
#include "libxl/nvdimm_driver.h"
#include "util/config.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

using namespace xlnv;

namespace {

enum class HookAction { None, Prepare, Release };

HookAction actionFor(const std::string &op, const std::string &subop)
{
    if (op == "prepare" && subop == "begin")
        return HookAction::Prepare;
    if (op == "release" && subop == "end")
        return HookAction::Release;
    return HookAction::None;
}

// $LIBXL_NVDIMM_DEFAULT_URI, else [hook] uri, else the real host.
std::string connectionUri(const Config &config)
{
    const char *env = std::getenv("LIBXL_NVDIMM_DEFAULT_URI");
    if (env && *env)
        return env;
    return config.getString("hook", "uri", "xen:///system");
}

std::unique_ptr<libxl::Connection> openConnection(const Config &config)
{
    return libxl::Connection::open(connectionUri(config), "", libxl::domainLimitsFromConfig(config));
}

void runPrepare(const std::string &domain, const std::string &stdinXml)
{
    const std::string xml = libxl::domainXmlWithMetadataDevices(stdinXml);
    const conf::DomainXml dom = conf::DomainXml::parseString(xml, 0);
    // Prepared under one name, released under the other would leave the
    // backings labeled and pinned for good.
    if (dom.name() != domain)
        raise(ErrorCode::InvalidArg,
              _("the hook was called for domain '%s' but the domain XML on standard input is '%s'"),
              quoteBounded(domain).c_str(), quoteBounded(dom.name()).c_str());
    if (dom.nvdimms().empty())
        return;
    const Config config = Config::load();
    auto conn = openConnection(config);
    libxl::NvdimmDriver driver(*conn, libxl::driverOptionsFromConfig(config));
    driver.prepare(xml);
}

void runRelease(const std::string &domain)
{
    const Config config = Config::load();
    auto conn = openConnection(config);
    libxl::NvdimmDriver driver(*conn, libxl::driverOptionsFromConfig(config));
    driver.release(domain);
}

} // namespace

int main(int argc, char **argv)
{
    std::setlocale(LC_ALL, "");
    i18nInit();
    textdomain(GETTEXT_PACKAGE);

    if (argc == 2 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
        std::printf(_("usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA]\n"
                      "libvirt's libxl hook: on 'prepare begin' it prepares the NVDIMMs of the domain "
                      "XML read from standard input, on 'release end' it releases them; other "
                      "operations are ignored.\n"),
                    "libxl-nvdimm-hook");
        return 0;
    }
    try {
        if (argc < 4)
            raise(ErrorCode::InvalidArg, _("usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA]"),
                  "libxl-nvdimm-hook");
        const std::string domain = argv[1];
        // Read all of standard input whatever the operation, so libvirt's
        // write of the XML never meets a closed pipe.
        std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());

        switch (actionFor(argv[2], argv[3])) {
        case HookAction::Prepare:
            runPrepare(domain, input);
            break;
        case HookAction::Release:
            runRelease(domain);
            break;
        case HookAction::None:
            break;
        }
        return 0;
    } catch (const Error &e) {
        std::fprintf(stderr, _("libxl-nvdimm-hook: error: %s\n"), e.message().c_str());
    } catch (const std::exception &e) {
        std::fprintf(stderr, _("libxl-nvdimm-hook: error: %s\n"),
                     Error(ErrorCode::Internal, e.what()).message().c_str());
    }
    return 1;
}
