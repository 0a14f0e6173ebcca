#include "util/bytesize.h"

#include <cctype>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

uint64_t parseByteSize(std::string_view text, const char *what)
{
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        digits++;
    uint64_t value = 0;
    if (digits == 0 || !parseUInt64(text.substr(0, digits), value))
        raise(ErrorCode::InvalidArg, _("%s '%.*s' is not a size (expected e.g. 4096, 64M, 2MiB, 16G)"),
              what, static_cast<int>(text.size()), text.data());
    std::string unit(text.substr(digits));
    for (char &c : unit)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    unsigned shift;
    if (unit.empty() || unit == "b")
        shift = 0;
    else if (unit == "k" || unit == "kib")
        shift = 10;
    else if (unit == "m" || unit == "mib")
        shift = 20;
    else if (unit == "g" || unit == "gib")
        shift = 30;
    else if (unit == "t" || unit == "tib")
        shift = 40;
    else
        raise(ErrorCode::InvalidArg, _("%s '%.*s' has an unknown unit '%s' (use K, M, G or T)"),
              what, static_cast<int>(text.size()), text.data(), std::string(text.substr(digits)).c_str());
    if (shift && value > (UINT64_MAX >> shift))
        raise(ErrorCode::InvalidArg, _("%s '%.*s' is too large"),
              what, static_cast<int>(text.size()), text.data());
    return value << shift;
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

} // namespace xlnv
