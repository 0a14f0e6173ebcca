// printf-style formatting into std::string (gettext keeps %s order stable
// for translators; <format> is not in g++ 12's libstdc++).
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xlnv {

std::string strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string vstrprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
std::vector<std::string> split(std::string_view s, char sep);
std::string trim(std::string_view s);

// Strict unsigned parsing: the whole string, base 10 (or 0x hex when
// allowHex); no sign, no spaces, no overflow. Returns false on any fault.
bool parseUInt64(std::string_view s, uint64_t &out, bool allowHex = false);
bool parseUInt(std::string_view s, unsigned &out, bool allowHex = false);

// User text for an error message: at most `max` bytes of it, control
// characters and NUL shown as \xNN, "..." and the full length when cut
// (a 100 MB <path> must not become a 100 MB error line).
std::string quoteBounded(std::string_view text, size_t max = 256);

// "0x1f" lower-case hex with prefix.
std::string hex(uint64_t v);

// Bytes as lower-case hex digits, two per byte, and back; hexToBytes
// returns false on an odd length or anything but lower-case hex digits.
std::string bytesToHex(const std::vector<uint8_t> &bytes);
bool hexToBytes(std::string_view text, std::vector<uint8_t> &out);

} // namespace xlnv
