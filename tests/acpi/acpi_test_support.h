// Shared by the ACPI test files: a scratch directory, reading and writing
// files, whether ACPICA's tools are installed.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "acpi/table.h"

namespace xlnv::acpi::test {

struct TempDir {
    std::string path;
    TempDir()
    {
        char tmpl[] = "/tmp/xlnv-acpi-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

inline Bytes readBytes(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string readText(const std::string &path)
{
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void writeBytes(const std::string &path, const Bytes &bytes)
{
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

inline bool haveIasl() { return std::system("command -v iasl >/dev/null 2>&1") == 0; }
inline bool haveAcpiexec() { return std::system("command -v acpiexec >/dev/null 2>&1") == 0; }

} // namespace xlnv::acpi::test
