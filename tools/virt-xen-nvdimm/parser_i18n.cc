#include "parser_i18n.h"

#include <regex>

#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

namespace {

const char *helpText()
{
    return _("print this help message and exit");
}

} // namespace

// The English words stay CLI11's: the bash completion reads the sections
// of --help in the C locale.
void translateParser(CLI::App &app)
{
    auto fmt = app.get_formatter();
    fmt->label("Usage", _("Usage"));
    fmt->label("OPTIONS", _("OPTIONS"));
    fmt->label("SUBCOMMAND", _("SUBCOMMAND"));
    fmt->label("SUBCOMMANDS", _("SUBCOMMANDS"));
    fmt->label("Positionals", _("Positionals"));
    fmt->label("REQUIRED", _("REQUIRED"));
    fmt->label("TEXT", _("TEXT"));
    fmt->label("Env", _("Env"));
    fmt->label("Needs", _("Needs"));
    fmt->label("Excludes", _("Excludes"));
    app.option_defaults()->group(_("Options"));
    app.group(_("Subcommands"));   // what subcommands inherit as their group
    app.set_help_flag("-h,--help", helpText());
}

void translateSubcommand(CLI::App &sub)
{
    sub.set_help_flag("-h,--help", helpText());
}

std::string parseErrorMessage(const CLI::ParseError &e)
{
    // CLI11 builds its messages in English when it throws; these are the
    // ones a user can provoke (Error.hpp of CLI11 2.x).
    const std::string what = e.what();
    std::smatch m;
    static const std::regex required("^(\\S+) is required$");
    static const std::regex extra("^The following arguments? (?:was|were) not expected: (.*)$");
    static const std::regex missing("^(\\S+): (\\d+) required (\\S+) missing$");
    static const std::regex count("^Expected (?:exactly|at least) (\\d+) arguments to (\\S+), got (\\d+)$");
    static const std::regex convert("^Could not convert: (\\S+) = (.*)$");
    static const std::regex notFound("^(\\S+) not found$");
    static const std::regex excludes("^(\\S+) excludes (\\S+)$");
    static const std::regex requires_("^(\\S+) requires (\\S+)$");
    if (std::regex_match(what, m, required))
        return strprintf(_("%s is required"), m[1].str().c_str());
    if (std::regex_match(what, m, extra))
        return strprintf(_("unexpected argument: %s"), m[1].str().c_str());
    if (std::regex_match(what, m, missing))
        return strprintf(_("option %s needs a value"), m[1].str().c_str());
    if (std::regex_match(what, m, count))
        return strprintf(_("option %s needs %s value(s), got %s"), m[2].str().c_str(),
                         m[1].str().c_str(), m[3].str().c_str());
    if (std::regex_match(what, m, convert))
        return strprintf(_("option %s: invalid value '%s'"), m[1].str().c_str(), m[2].str().c_str());
    if (std::regex_match(what, m, notFound))
        return strprintf(_("unknown option: %s"), m[1].str().c_str());
    if (std::regex_match(what, m, excludes))
        return strprintf(_("option %s cannot be used with %s"), m[1].str().c_str(), m[2].str().c_str());
    if (std::regex_match(what, m, requires_))
        return strprintf(_("option %s needs %s"), m[1].str().c_str(), m[2].str().c_str());
    return what;
}

} // namespace xlnv::cli
