// Shared by the ACPI test files: a scratch directory and reading a file's
// bytes back.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
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

} // namespace xlnv::acpi::test
