// A xentoollog logger that prints nothing and keeps the last error, so
// libxenctrl/libxenlight failures reach the user once, inside our
// xlnv::Error, instead of on stderr behind our back.
#pragma once

extern "C" {
#include <xentoollog.h>
}

#include <string>

namespace xlnv::libxl {

class CapturingXenLogger {
public:
    CapturingXenLogger();
    CapturingXenLogger(const CapturingXenLogger &) = delete;
    CapturingXenLogger &operator=(const CapturingXenLogger &) = delete;

    xentoollog_logger *get() { return &logger_.base; }
    const std::string &lastError() const { return lastError_; }
    void clear() { lastError_.clear(); }

private:
    struct Logger {
        xentoollog_logger base;
        CapturingXenLogger *owner;
    };
    static void vmessage(xentoollog_logger *logger, xentoollog_level level, int errnoval,
                         const char *context, const char *format, va_list al);
    static void destroy(xentoollog_logger *) {}

    Logger logger_;
    std::string lastError_;
};

} // namespace xlnv::libxl
