#include "util/units.h"

#include <cctype>
#include <string>

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::units {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); i++) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

bool isCSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int digitValue(char c, unsigned base)
{
    int d;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'z')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
        d = c - 'A' + 10;
    else
        return -1;
    return d < static_cast<int>(base) ? d : -1;
}

} // namespace

uint64_t unitScale(std::string_view unit, uint64_t defaultScale)
{
    if (unit.empty())
        return defaultScale;

    const char first = static_cast<char>(std::tolower(static_cast<unsigned char>(unit[0])));
    if (first == 'b') {
        if (equalsIgnoreCase(unit, "b") || equalsIgnoreCase(unit, "byte") ||
            equalsIgnoreCase(unit, "bytes"))
            return 1;
    } else {
        static constexpr std::string_view prefixes = "kmgtpe";
        const size_t power = prefixes.find(first);
        if (power != std::string_view::npos) {
            const std::string_view rest = unit.substr(1);
            uint64_t base = 0;
            if (rest.empty() || equalsIgnoreCase(rest, "ib"))
                base = 1024;
            else if (equalsIgnoreCase(rest, "b"))
                base = 1000;
            if (base) {
                uint64_t scale = 1;
                for (size_t i = 0; i <= power; i++)
                    scale *= base;
                return scale;
            }
        }
    }
    raise(ErrorCode::InvalidArg, _("unknown suffix '%s'"), std::string(unit).c_str());
}

uint64_t scaleToBytes(uint64_t value, std::string_view unit, uint64_t defaultScale,
                      uint64_t limit)
{
    const uint64_t scale = unitScale(unit, defaultScale);
    if (value && limit / scale < value)
        raise(ErrorCode::Overflow, _("value too large: %llu%s"),
              static_cast<unsigned long long>(value), std::string(unit).c_str());
    return value * scale;
}

bool parseUnsigned(std::string_view text, uint64_t &out, unsigned base)
{
    size_t i = 0;
    while (i < text.size() && isCSpace(text[i]))
        i++;
    if (i < text.size() && text[i] == '+')
        i++;
    // strtoull(base 16) takes an optional 0x only when a hex digit follows.
    if (base == 16 && i + 2 < text.size() && text[i] == '0' &&
        (text[i + 1] == 'x' || text[i + 1] == 'X') && digitValue(text[i + 2], 16) >= 0)
        i += 2;
    if (i >= text.size())
        return false;
    uint64_t value = 0;
    for (; i < text.size(); i++) {
        const int d = digitValue(text[i], base);
        if (d < 0)
            return false;
        if (value > (UINT64_MAX - static_cast<unsigned>(d)) / base)
            return false;
        value = value * base + static_cast<unsigned>(d);
    }
    out = value;
    return true;
}

bool parseInt(std::string_view text, long long &out, long long min, long long max)
{
    size_t i = 0;
    while (i < text.size() && isCSpace(text[i]))
        i++;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        negative = text[i] == '-';
        i++;
    }
    if (i >= text.size())
        return false;
    uint64_t magnitude = 0;
    for (; i < text.size(); i++) {
        const int d = digitValue(text[i], 10);
        if (d < 0)
            return false;
        if (magnitude > (UINT64_MAX - static_cast<unsigned>(d)) / 10)
            return false;
        magnitude = magnitude * 10 + static_cast<unsigned>(d);
        if (magnitude > (1ULL << 63))
            return false;
    }
    long long value;
    if (negative)
        value = magnitude == (1ULL << 63) ? INT64_MIN : -static_cast<long long>(magnitude);
    else if (magnitude > static_cast<uint64_t>(INT64_MAX))
        return false;
    else
        value = static_cast<long long>(magnitude);
    if (value < min || value > max)
        return false;
    out = value;
    return true;
}

std::optional<uint64_t> parseScaledKiB(std::optional<std::string_view> text,
                                       std::string_view unit, const char *what,
                                       bool required)
{
    if (!text || text->empty()) {
        if (required)
            raise(ErrorCode::XmlError, _("missing element or attribute '%s'"), what);
        return std::nullopt;
    }
    uint64_t value = 0;
    // libvirt refuses any '-' (strtoull would silently negate).
    if (text->find('-') != std::string_view::npos || !parseUnsigned(*text, value))
        raise(ErrorCode::XmlError, _("Invalid value '%s' for element or attribute '%s'"),
              std::string(*text).c_str(), what);

    const uint64_t bytes = scaleToBytes(value, unit, 1024);
    const uint64_t kib = bytesToKiBRoundUp(bytes);
    if (kib >= bytesToKiBRoundUp(kMaxBytes))
        raise(ErrorCode::Overflow, "%s", _("size value too large"));
    return kib;
}

} // namespace xlnv::units
