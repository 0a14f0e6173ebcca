// Shared by the ACPI test files: reading a file's bytes back (the scratch
// directory is tests/support's).
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
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

} // namespace xlnv::acpi::test
