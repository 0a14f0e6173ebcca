#include "command.h"

#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <sstream>

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::cli {

std::vector<CommandInfo> &commandRegistry()
{
    static std::vector<CommandInfo> registry;
    return registry;
}

ProgressReporter progressReporter(const Context &ctx)
{
    return ProgressReporter(stderr, progressStyleFor(stderr, ctx.quiet));
}

std::string readInputFile(const std::string &path)
{
    std::ostringstream buf;
    if (path == "-") {
        buf << std::cin.rdbuf();
        return buf.str();
    }
    struct stat sb;
    if (stat(path.c_str(), &sb) < 0)
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    if (S_ISDIR(sb.st_mode))
        raiseSystem(EISDIR, _("Failed to read file '%s'"), path.c_str());
    std::ifstream in(path, std::ios::binary);
    if (!in)
        raiseSystem(errno, _("Failed to open file '%s'"), path.c_str());
    buf << in.rdbuf();
    if (in.bad())
        raiseSystem(errno, _("Failed to read file '%s'"), path.c_str());
    return buf.str();
}

} // namespace xlnv::cli
