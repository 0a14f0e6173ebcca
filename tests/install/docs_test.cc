// The man page documents every command the program registers, with its
// options, and renders with man(1) without a warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_help.h"

namespace fs = std::filesystem;
using namespace xlnv::test;

namespace {

std::string manSource()
{
    std::ifstream in(fs::path(envOr("abs_top_srcdir", PROJECT_SOURCE_DIR)) / "docs" /
                     "virt-xen-nvdimm.rst");
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

// The text of the "COMMAND\n-----" subsection, up to the next one.
std::string commandSection(const std::string &rst, const std::string &command)
{
    const std::string heading = "\n" + command + "\n" + std::string(command.size(), '-') + "\n";
    const size_t start = rst.find(heading);
    if (start == std::string::npos)
        return {};
    size_t end = rst.find("\n-", start + heading.size());
    end = end == std::string::npos ? rst.size() : rst.rfind('\n', end - 1);
    return rst.substr(start, end - start);
}

} // namespace

TEST(ManPage, DocumentsEveryRegisteredCommandAndOption)
{
    const std::vector<std::string> commands = registeredCommands();
    ASSERT_FALSE(commands.empty()) << "no commands in `virt-xen-nvdimm --help`";
    const std::string rst = manSource();
    ASSERT_FALSE(rst.empty()) << "docs/virt-xen-nvdimm.rst is missing";
    for (const auto &command : commands) {
        const std::string section = commandSection(rst, command);
        if (section.empty()) {
            ADD_FAILURE() << "command '" << command << "' is registered but has no section in "
                          << "docs/virt-xen-nvdimm.rst (add a \"" << command << "\" subsection "
                          << "under COMMANDS with its options and an example)";
            continue;
        }
        for (const auto &option : commandOptions(command))
            EXPECT_NE(section.find("``" + option + "``"), std::string::npos)
                << "option " << option << " of '" << command
                << "' is not documented in docs/virt-xen-nvdimm.rst";
        EXPECT_NE(section.find("Example::"), std::string::npos)
            << "command '" << command << "' has no example in docs/virt-xen-nvdimm.rst";
    }
    for (const char *heading : {"SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "CONNECTION URIS",
                                "ENVIRONMENT", "FILES", "EXIT STATUS", "SEE ALSO"})
        EXPECT_NE(rst.find(std::string("\n") + heading + "\n="), std::string::npos)
            << "docs/virt-xen-nvdimm.rst lacks the " << heading << " section";
    std::cout << "[          ] " << commands.size() << " commands documented\n";
}

TEST(ManPage, DocumentsEveryEnvironmentVariableTheSourcesRead)
{
    // Every getenv("LIBXL_NVDIMM_...") in src/ and tools/ is in ENVIRONMENT.
    const std::string rst = manSource();
    const size_t env = rst.find("\nENVIRONMENT\n");
    ASSERT_NE(env, std::string::npos);
    const std::string section = rst.substr(env, rst.find("\nFILES\n") - env);
    const fs::path top = envOr("abs_top_srcdir", PROJECT_SOURCE_DIR);
    int found = 0;
    for (const char *dir : {"src", "tools"}) {
        for (const auto &e : fs::recursive_directory_iterator(top / dir)) {
            if (!e.is_regular_file())
                continue;
            std::ifstream in(e.path());
            std::ostringstream buf;
            buf << in.rdbuf();
            const std::string text = buf.str();
            for (size_t pos = 0; (pos = text.find("getenv(\"LIBXL_NVDIMM_", pos)) != std::string::npos;) {
                pos += 8;
                const std::string name = text.substr(pos, text.find('"', pos) - pos);
                ++found;
                EXPECT_NE(section.find("``" + name + "``"), std::string::npos)
                    << fs::relative(e.path(), top).string() << " reads $" << name
                    << ", which the ENVIRONMENT section of docs/virt-xen-nvdimm.rst does not describe";
            }
        }
    }
    EXPECT_GT(found, 0);
}

TEST(ManPage, RendersWithoutWarnings)
{
    const std::string page = envOr("VIRT_XEN_NVDIMM_MAN");
    ASSERT_TRUE(fs::exists(page)) << "man page not built: " << page;
    const ProcessResult r = runProcess({"man", "--warnings", "-E", "UTF-8", "-l", page},
                                       {{"MANWIDTH", "80"}, {"MAN_KEEP_FORMATTING", ""},
                                        {"MANPAGER", "cat"}, {"PAGER", "cat"}});
    if (!r.spawnError.empty())
        GTEST_SKIP() << "man(1) is not installed (Debian man-db): " << r.spawnError;
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "") << "man -l warns about " << page;
    EXPECT_NE(r.out.find("VIRT-XEN-NVDIMM(1)"), std::string::npos) << r.out.substr(0, 400);
    for (const auto &command : registeredCommands())
        EXPECT_NE(r.out.find(command), std::string::npos) << "rendered page lacks " << command;
}
