// libvirt's scaled sizes: a number plus an optional unit, stored in KiB.
// Default unit KiB; units are case-insensitive: b/byte/bytes, k m g t p e
// alone or with "iB" are powers of 1024, with "B" powers of 1000. Values
// are rounded up to whole KiB; anything past libvirt's limit (LLONG_MAX
// bytes) is an overflow error, never a wrap.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace xlnv {

// The page: Xen's frame, the smallest mapping unit, the granularity of
// backings and of the guest layout; and the 2 MiB superpage.
inline constexpr uint64_t kPageSize = 4096;
inline constexpr uint64_t kSuperpageSize = 2ull << 20;

} // namespace xlnv

namespace xlnv::units {

// Largest byte count libvirt accepts for a memory size (LLONG_MAX).
inline constexpr uint64_t kMaxBytes = 0x7fffffffffffffffULL;

// Multiplier of a unit suffix; an empty unit means defaultScale.
// Throws InvalidArg "unknown suffix '...'".
uint64_t unitScale(std::string_view unit, uint64_t defaultScale);

// value in `unit` as bytes; Overflow "value too large: <value><unit>" past limit.
uint64_t scaleToBytes(uint64_t value, std::string_view unit, uint64_t defaultScale,
                      uint64_t limit = kMaxBytes);

// Parse as C's strtoull does for libvirt's "unsigned, positive" helpers:
// leading white space and one '+' allowed, no '-' anywhere, the whole
// string consumed, no overflow. base 10 or 16 (optional 0x for 16).
bool parseUnsigned(std::string_view text, uint64_t &out, unsigned base = 10);

// Parse as strtol does for a signed int (libvirt's virXPathInt).
bool parseInt(std::string_view text, long long &out, long long min, long long max);

// A scaled memory size from its text and unit attribute, in KiB rounded
// up. `what` names the element in messages ("./size"). text absent or
// empty: nullopt, or XmlError "missing element or attribute" when required.
std::optional<uint64_t> parseScaledKiB(std::optional<std::string_view> text,
                                       std::string_view unit, const char *what,
                                       bool required);

// Bytes to KiB, rounding up.
constexpr uint64_t bytesToKiBRoundUp(uint64_t bytes)
{
    return bytes / 1024 + (bytes % 1024 ? 1 : 0);
}

} // namespace xlnv::units
