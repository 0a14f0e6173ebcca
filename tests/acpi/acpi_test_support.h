// Shared by the ACPI test files: reading and writing files (the scratch
// directory is tests/support's), whether ACPICA's tools are installed.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "acpi/table.h"
#include "../support/test_files.h"

namespace xlnv::acpi::test {

using xlnv::test::TempDir;

inline Bytes readBytes(const std::string &path)
{
    const std::string text = xlnv::test::readFile(path);
    return Bytes(text.begin(), text.end());
}

inline std::string readText(const std::string &path)
{
    return xlnv::test::readFile(path);
}

inline void writeBytes(const std::string &path, const Bytes &bytes)
{
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

inline bool haveIasl() { return std::system("command -v iasl >/dev/null 2>&1") == 0; }
inline bool haveAcpiexec() { return std::system("command -v acpiexec >/dev/null 2>&1") == 0; }

} // namespace xlnv::acpi::test
