#include "util/strutil.h"

#include <cctype>
#include <climits>
#include <cstdio>

namespace xlnv {

std::string vstrprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = std::vsnprintf(nullptr, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return fmt;
    std::string out(static_cast<size_t>(n), '\0');
    std::vsnprintf(out.data(), out.size() + 1, fmt, ap);
    return out;
}

std::string strprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string s = vstrprintf(fmt, ap);
    va_end(ap);
    return s;
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<std::string> split(std::string_view s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
        if (pos == std::string_view::npos)
            break;
        start = pos + 1;
    }
    return out;
}

std::string trim(std::string_view s)
{
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        b++;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        e--;
    return std::string(s.substr(b, e - b));
}

bool parseUInt64(std::string_view s, uint64_t &out, bool allowHex)
{
    unsigned base = 10;
    if (allowHex && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    }
    if (s.empty())
        return false;
    uint64_t v = 0;
    for (char c : s) {
        unsigned d;
        if (c >= '0' && c <= '9')
            d = static_cast<unsigned>(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = static_cast<unsigned>(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = static_cast<unsigned>(c - 'A' + 10);
        else
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    out = v;
    return true;
}

bool parseUInt(std::string_view s, unsigned &out, bool allowHex)
{
    uint64_t v;
    if (!parseUInt64(s, v, allowHex) || v > UINT_MAX)
        return false;
    out = static_cast<unsigned>(v);
    return true;
}

std::string hex(uint64_t v)
{
    return strprintf("0x%llx", static_cast<unsigned long long>(v));
}

std::string bytesToHex(const std::vector<uint8_t> &bytes)
{
    static const char digits[] = "0123456789abcdef";
    std::string h;
    h.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        h += digits[b >> 4];
        h += digits[b & 15];
    }
    return h;
}

bool hexToBytes(std::string_view text, std::vector<uint8_t> &out)
{
    if (text.size() % 2 || text.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return false;
    auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.clear();
    for (size_t i = 0; i < text.size(); i += 2)
        out.push_back(static_cast<uint8_t>(nib(text[i]) * 16 + nib(text[i + 1])));
    return true;
}

std::string quoteBounded(std::string_view text, size_t max)
{
    std::string out;
    for (size_t i = 0; i < text.size() && i < max; i++) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7f)
            out += strprintf("\\x%02x", c);
        else
            out += static_cast<char>(c);
    }
    if (text.size() > max)
        out += strprintf("... (%zu bytes)", text.size());
    return out;
}

} // namespace xlnv
