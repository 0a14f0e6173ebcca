#include "util/bytesize.h"

#include <cctype>
#include <iterator>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"
#include "util/units.h"

namespace xlnv {

uint64_t parseByteSize(std::string_view text, const char *what)
{
    const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    size_t end = hex ? 2 : 0;
    while (end < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[end]))
                                     : std::isdigit(static_cast<unsigned char>(text[end]))))
        end++;
    uint64_t value = 0;
    if (end == (hex ? 2u : 0u) || !units::parseUnsigned(text.substr(0, end), value, hex ? 16 : 10))
        raise(ErrorCode::InvalidArg, _("%s '%.*s' is not a size (expected e.g. 4096, 64M, 2MiB, 16G)"),
              what, static_cast<int>(text.size()), text.data());
    const std::string_view unit = text.substr(end);
    uint64_t scale = 1;
    try {
        scale = units::unitScale(unit, 1);
    } catch (const Error &) {
        raise(ErrorCode::InvalidArg, _("%s '%.*s' has an unknown unit '%s' (use K, M, G or T)"),
              what, static_cast<int>(text.size()), text.data(), std::string(unit).c_str());
    }
    if (value > UINT64_MAX / scale)
        raise(ErrorCode::InvalidArg, _("%s '%.*s' is too large"),
              what, static_cast<int>(text.size()), text.data());
    return value * scale;
}

std::string formatByteSize(uint64_t bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    unsigned u = 0;
    while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
        bytes /= 1024;
        u++;
    }
    return strprintf("%llu %s", static_cast<unsigned long long>(bytes), units[u]);
}

std::string formatByteSizeHuman(uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024)
        return strprintf("%llu B", static_cast<unsigned long long>(bytes));
    double value = static_cast<double>(bytes) / 1024;
    unsigned u = 0;
    // 1023.999 GiB prints as "1024.00 GiB" rather than jumping a unit.
    while (u + 1 < std::size(units) && value >= 1024) {
        value /= 1024;
        u++;
    }
    return strprintf("%.2f %s", value, units[u]);
}

} // namespace xlnv
