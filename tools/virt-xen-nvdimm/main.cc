// virt-xen-nvdimm: virsh-style front end to libxl-nvdimm.
#include <algorithm>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "command.h"
#include "parser_i18n.h"
#include "libxl/domain_locks.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/interrupt.h"
#include "util/strutil.h"

using namespace xlnv;

namespace {

void printError(const std::string &message)
{
    std::fprintf(stderr, _("error: %s\n"), message.c_str());
}

} // namespace

int main(int argc, char **argv)
{
    std::setlocale(LC_ALL, "");
    i18nInit();
    textdomain(GETTEXT_PACKAGE);

    CLI::App app(_("Virtual NVDIMMs for Xen guests from libvirt domain XML"),
                 "virt-xen-nvdimm");
    cli::translateParser(app);
    app.require_subcommand(1);
    app.fallthrough();
    cli::Context ctx;
    if (const char *sd = std::getenv("LIBXL_NVDIMM_STATE_DIR"))
        ctx.stateDir = sd;
    app.add_option("-c,--connect", ctx.uri,
                   _("hypervisor connection URI (default: $LIBXL_NVDIMM_DEFAULT_URI, [client] "
                     "uri_default, xen:///system in a Xen dom0, else sim:///default)"))
        ->option_text("URI");
    app.add_option("--state-dir", ctx.stateDir,
                   _("state directory (default: $LIBXL_NVDIMM_STATE_DIR)"))
        ->option_text("DIR");
    app.add_flag("-q,--quiet", ctx.quiet, _("quiet mode: no progress output"));
    app.set_version_flag("-V,--version", std::string("virt-xen-nvdimm ") + PACKAGE_VERSION,
                         _("print the version and exit"));

    auto &registry = cli::commandRegistry();
    std::stable_sort(registry.begin(), registry.end(),
                     [](const auto &a, const auto &b) { return a.order < b.order; });
    cli::CommandRunner selected;
    for (auto &info : registry) {
        CLI::App *sub = app.add_subcommand(info.name, _(info.summary));
        cli::translateSubcommand(*sub);
        cli::CommandRunner runner = info.setup(*sub);
        sub->callback([&selected, runner] { selected = runner; });
    }

    // CLI11 takes an empty value for a missing one: refuse it first.
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool emptyNext = i + 1 < argc && argv[i + 1][0] == '\0';
        if ((a == "--state-dir" && emptyNext) || a == "--state-dir=") {
            printError(_("option --state-dir: the directory name is empty"));
            return 1;
        }
        if (((a == "-c" || a == "--connect") && emptyNext) || a == "--connect=") {
            printError(_("option --connect: the URI is empty"));
            return 1;
        }
        if (a == "help") {
            // virsh's help [COMMAND]: the overview, or one command's usage.
            if (i + 1 >= argc) {
                std::fputs(app.help().c_str(), stdout);
                return 0;
            }
            const std::string name = argv[i + 1];
            for (CLI::App *sub : app.get_subcommands({}))
                if (sub->get_name() == name) {
                    std::fputs(sub->help().c_str(), stdout);
                    return 0;
                }
            printError(strprintf(_("command or command group '%s' doesn't exist"), name.c_str()));
            return 1;
        }
        if (!a.empty() && a[0] != '-') {
            // The command: its own options follow. virsh's words for a typo.
            if (std::none_of(registry.begin(), registry.end(),
                             [&](const cli::CommandInfo &c) { return a == c.name; })) {
                printError(strprintf(_("unknown command: '%s'"), a.c_str()));
                return 1;
            }
            break;
        }
        if (a == "--state-dir" || a == "-c" || a == "--connect")
            ++i;
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp &e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion &e) {
        return app.exit(e);
    } catch (const CLI::ParseError &e) {
        printError(cli::parseErrorMessage(e));
        const std::string cmd = !app.get_subcommands().empty()
            ? std::string(" ") + app.get_subcommands().front()->get_name() : std::string();
        std::fprintf(stderr, _("Try 'virt-xen-nvdimm%s --help' for more information.\n"),
                     cmd.c_str());
        return 1;
    }

    if (app.count("--state-dir") > 0 && ctx.stateDir.empty()) {
        printError(_("option --state-dir: the directory name is empty"));
        return 1;
    }
    if (app.count("--connect") > 0 && ctx.uri.empty()) {
        printError(_("option --connect: the URI is empty"));
        return 1;
    }

    if (!app.get_subcommands().empty())
        libxl::setLockHolder(app.get_subcommands().front()->get_name());

    try {
        if (!selected)
            return 1;
        return selected(ctx);
    } catch (const xlnv::Error &e) {
        if (interruptRequested())
            printError(_("operation interrupted; everything it had changed was rolled back"));
        else
            printError(e.message());
        return 1;
    } catch (const std::bad_alloc &) {
        printError(_("out of memory"));
        return 1;
    } catch (const std::exception &e) {
        printError(std::string(_("internal error: ")) + e.what());
        return 1;
    }
}
