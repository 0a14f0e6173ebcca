// The argument parser's own words (CLI11: "Usage:", "Options:", "is
// required", ...) in the user's language, like every other message.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace xlnv::cli {

// Before any option or subcommand is added: translated help labels,
// group names and help flag, which subcommands inherit.
void translateParser(CLI::App &app);

// After add_subcommand: the help flag again (a subcommand creates it
// before it inherits the option group).
void translateSubcommand(CLI::App &sub);

// A parse error in the user's language; CLI11's English text when it is
// not one the tool knows.
std::string parseErrorMessage(const CLI::ParseError &e);

} // namespace xlnv::cli
