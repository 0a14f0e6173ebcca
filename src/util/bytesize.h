// Byte sizes as users type them, in libvirt's units (util/units.h) with
// bytes as the default: "4096", "0x1000", "64M", "2MiB", "16G", "1T",
// "1GB" (K, M, ... alone or with "iB" are powers of 1024, with "B" of
// 1000). The one grammar of the command line and of the simulated host's
// description; domain XML adds its unit attribute (units::parseScaledKiB).
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

// "1.00 TiB", "63.99 GiB", "512 B": two decimals in the largest binary
// unit not above it, as `ndctl -u` and `virsh vol-list --details` print
// sizes (for tables; rounded, so not for values a user copies).
std::string formatByteSizeHuman(uint64_t bytes);

} // namespace xlnv
