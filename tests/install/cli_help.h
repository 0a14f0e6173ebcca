// What the built virt-xen-nvdimm says about itself in its --help (C
// locale): the registered commands and each command's options, so docs
// and completion tests follow the program instead of a list kept by hand.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "subprocess.h"

namespace xlnv::test {

struct HelpEntry {
    std::vector<std::string> names;   // "-c", "--connect" / "validate" / "FILE"
    std::string placeholder;          // "URI", "TEXT", ... (empty for flags)
};

// Entries of one section ("Options", "Positionals", "Subcommands").
inline std::vector<HelpEntry> helpSection(const std::string &help, const std::string &section)
{
    std::vector<HelpEntry> entries;
    std::istringstream in(help);
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line[0] != ' ') {
            inside = line == section + ":";
            continue;
        }
        if (!inside || line.size() < 3 || line[2] == ' ')
            continue;
        std::string head = line.substr(2, line.find("  ", 2) - 2);
        std::istringstream words(head);
        std::string names, placeholder;
        words >> names >> placeholder;
        HelpEntry e;
        std::istringstream parts(names);
        for (std::string n; std::getline(parts, n, ',');)
            e.names.push_back(n);
        e.placeholder = placeholder;
        entries.push_back(e);
    }
    return entries;
}

inline std::string cliHelp(const std::vector<std::string> &commandWords)
{
    std::vector<std::string> argv = {envOr("VIRT_XEN_NVDIMM")};
    argv.insert(argv.end(), commandWords.begin(), commandWords.end());
    argv.push_back("--help");
    return runProcess(argv, {{"LC_ALL", "C"}, {"LANGUAGE", "C"}}).out;
}

inline std::vector<std::string> registeredCommands()
{
    std::vector<std::string> commands;
    for (const auto &e : helpSection(cliHelp({}), "Subcommands"))
        commands.push_back(e.names.front());
    return commands;
}

// Long option names of a command, without --help.
inline std::vector<std::string> commandOptions(const std::string &command)
{
    std::vector<std::string> options;
    for (const auto &e : helpSection(cliHelp({command}), "Options"))
        for (const auto &n : e.names)
            if (n.rfind("--", 0) == 0 && n != "--help")
                options.push_back(n);
    return options;
}

} // namespace xlnv::test
