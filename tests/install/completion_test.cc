// The bash completion, sourced into a real bash and driven the way bash
// drives it (COMP_WORDS / COMP_CWORD), completes what the program offers.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_help.h"

namespace fs = std::filesystem;
using namespace xlnv::test;

namespace {

// COMPREPLY for the command line `words` (the last one being completed).
std::set<std::string> complete(const std::vector<std::string> &words,
                               const std::map<std::string, std::string> &env = {})
{
    std::string script = "source \"$COMPLETION\" || exit 3\nCOMP_WORDS=(";
    for (size_t i = 0; i < words.size(); ++i)
        script += "\"${WORD_" + std::to_string(i) + "}\" ";
    script += ")\nCOMP_CWORD=" + std::to_string(words.size() - 1) +
              "\nCOMPREPLY=()\n_virt_xen_nvdimm\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n";
    std::map<std::string, std::string> vars = env;
    vars["COMPLETION"] = envOr("BASH_COMPLETION_FILE");
    for (size_t i = 0; i < words.size(); ++i)
        vars["WORD_" + std::to_string(i)] = words[i].empty() ? std::string(1, '\x01') : words[i];
    // An empty value unsets a variable in runProcess: mark empty words and
    // turn them back inside bash.
    std::string unmark;
    for (size_t i = 0; i < words.size(); ++i)
        if (words[i].empty())
            unmark += "WORD_" + std::to_string(i) + "=\n";
    const ProcessResult r = runProcess({"bash", "--norc", "--noprofile", "-c", unmark + script}, vars);
    EXPECT_EQ(r.status, 0) << r.spawnError << r.err;
    std::set<std::string> reply;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            reply.insert(line);
    return reply;
}

std::string program() { return envOr("VIRT_XEN_NVDIMM"); }

} // namespace

TEST(BashCompletion, CompletesEveryRegisteredCommand)
{
    const std::vector<std::string> commands = registeredCommands();
    ASSERT_FALSE(commands.empty());
    EXPECT_EQ(complete({program(), ""}), std::set<std::string>(commands.begin(), commands.end()));
}

TEST(BashCompletion, CompletesCommandPrefix)
{
    std::set<std::string> expected;
    for (const auto &c : registeredCommands())
        if (c.rfind("pmem-", 0) == 0)
            expected.insert(c);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(complete({program(), "-c", "sim:///default", "pmem-"}), expected);
}

TEST(BashCompletion, CompletesOptionsOfOneCommand)
{
    const std::vector<std::string> commands = registeredCommands();
    // The command with the most options shows the most.
    std::string best;
    size_t most = 0;
    for (const auto &c : commands)
        if (size_t n = commandOptions(c).size(); n > most)
            most = n, best = c;
    ASSERT_GT(most, 0u) << "no command has options";
    std::vector<std::string> options = commandOptions(best);
    options.push_back("--help");
    const std::set<std::string> reply = complete({program(), best, "--"});
    EXPECT_EQ(reply, std::set<std::string>(options.begin(), options.end())) << best;
}

TEST(BashCompletion, CompletesGlobalOptionValues)
{
    EXPECT_EQ(complete({program(), "--connect", "sim"}), std::set<std::string>{"sim:///default"});
}

TEST(BashCompletion, CompletesFileNamesForFileArguments)
{
    const fs::path dir = fs::path(envOr("abs_builddir", "/tmp")) / "completion-files";
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char *name : {"guest-a.xml", "guest-b.xml", "other.txt"})
        std::ofstream(dir / name) << "<domain/>";
    const auto commands = registeredCommands();
    if (std::find(commands.begin(), commands.end(), "validate") == commands.end())
        GTEST_SKIP() << "no 'validate' command to complete a FILE for";
    EXPECT_EQ(complete({program(), "validate", (dir / "guest-").string()}),
              (std::set<std::string>{(dir / "guest-a.xml").string(), (dir / "guest-b.xml").string()}));
}

TEST(BashCompletion, CompletesDirectoriesForDirOptions)
{
    // The first command option whose placeholder is DIR (e.g. --pmem-root).
    std::string command, option;
    for (const auto &c : registeredCommands()) {
        for (const auto &e : helpSection(cliHelp({c}), "Options"))
            if (e.placeholder == "DIR" && e.names.back().rfind("--", 0) == 0) {
                command = c;
                option = e.names.back();
                break;
            }
        if (!command.empty())
            break;
    }
    if (command.empty())
        GTEST_SKIP() << "no command has an option taking a DIR";
    const fs::path dir = fs::path(envOr("abs_builddir", "/tmp")) / "completion-dirs";
    fs::remove_all(dir);
    fs::create_directories(dir / "pmem-a");
    std::ofstream(dir / "pmem-file") << "not a directory";
    EXPECT_EQ(complete({program(), command, option, (dir / "pmem-").string()}),
              std::set<std::string>{(dir / "pmem-a").string()})
        << command << " " << option;
    fs::remove_all(dir);
}

TEST(BashCompletion, CompletesDomainNamesFromList)
{
    // No command takes a DOMAIN yet in every build; the domain completer
    // is checked directly against the simulated host's `list --all`.
    const fs::path state = fs::path(envOr("abs_builddir", "/tmp")) / "completion-state";
    fs::remove_all(state);
    const std::map<std::string, std::string> env = {{"LIBXL_NVDIMM_STATE_DIR", state.string()},
                                                    {"LIBXL_NVDIMM_DEFAULT_URI", "sim:///default"}};
    const ProcessResult list = runProcess({program(), "list", "--all"}, env);
    if (list.status != 0)
        GTEST_SKIP() << "`list --all` fails on sim:///default: " << list.err;
    std::set<std::string> expected;
    std::istringstream in(list.out);
    std::string line;
    for (int n = 0; std::getline(in, line); ++n) {
        std::istringstream cols(line);
        std::string id, name;
        if (n >= 2 && cols >> id >> name)
            expected.insert(name);
    }
    ASSERT_FALSE(expected.empty()) << list.out;
    std::map<std::string, std::string> vars = env;
    vars["COMPLETION"] = envOr("BASH_COMPLETION_FILE");
    vars["PROGRAM"] = program();
    const ProcessResult r = runProcess(
        {"bash", "--norc", "--noprofile", "-c",
         "source \"$COMPLETION\"; COMPREPLY=(); _virt_xen_nvdimm_value DOMAIN '' \"$PROGRAM\";"
         " printf '%s\\n' \"${COMPREPLY[@]}\""}, vars);
    std::set<std::string> reply;
    std::istringstream out(r.out);
    for (std::string l; std::getline(out, l);)
        if (!l.empty())
            reply.insert(l);
    EXPECT_EQ(reply, expected) << r.err;
    fs::remove_all(state);
}

TEST(BashCompletion, CompletesDomainArgumentsOfDomainCommands)
{
    // attach-device DOMAIN FILE: the first positional is a domain of the
    // connection given on the command line, the second a file.
    const auto commands = registeredCommands();
    if (std::find(commands.begin(), commands.end(), "attach-device") == commands.end())
        GTEST_SKIP() << "no 'attach-device' command";
    const fs::path state = fs::path(envOr("abs_builddir", "/tmp")) / "completion-domain-state";
    fs::remove_all(state);
    EXPECT_EQ(complete({program(), "-c", "sim:///default", "--state-dir", state.string(), "attach-device", "de"}),
              (std::set<std::string>{"demo", "demo2"}));
    EXPECT_EQ(complete({program(), "-c", "sim:///default", "--state-dir", state.string(), "event", "--domain",
                        "demo2"}),
              std::set<std::string>{"demo2"});
    // Completing leaves no trace: the host without state stays so.
    EXPECT_FALSE(fs::exists(state)) << "bash completion created " << state;
    fs::remove_all(state);
}
