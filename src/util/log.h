// Warnings and informational messages for the user. The CLI prints them
// on stderr as "warning: ..."; the C API and tests can capture them.
#pragma once

#include <functional>
#include <string>

namespace xlnv {

using WarningSink = std::function<void(const std::string &message)>;

// Report a translated warning (printf-style).
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Replace the sink (default: "warning: <msg>" on stderr). Returns the old one.
WarningSink setWarningSink(WarningSink sink);

} // namespace xlnv
