// Byte sizes as users type them: "4096", "64M", "2MiB", "16G", "1T".
// Suffixes are binary (K = KiB = 1024), like libvirt's units and dd's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace xlnv {

// Throws xlnv::Error (InvalidArg) naming `what` on a malformed or
// overflowing value.
uint64_t parseByteSize(std::string_view text, const char *what = "size");

// "4 GiB", "128 KiB", "4097 B": the largest unit that divides it exactly
// (for messages).
std::string formatByteSize(uint64_t bytes);

} // namespace xlnv
