#include "xen/xenctrl_logger.h"

#include <cstring>

#include "util/strutil.h"

namespace xlnv::libxl {

CapturingXenLogger::CapturingXenLogger()
{
    logger_.base.vmessage = &CapturingXenLogger::vmessage;
    logger_.base.progress = nullptr;
    logger_.base.destroy = &CapturingXenLogger::destroy;
    logger_.owner = this;
}

void CapturingXenLogger::vmessage(xentoollog_logger *logger, xentoollog_level level, int errnoval,
                                  const char *context, const char *format, va_list al)
{
    if (level < XTL_ERROR)
        return;
    auto *self = reinterpret_cast<Logger *>(logger)->owner;
    std::string msg = vstrprintf(format, al);
    if (errnoval > 0)
        msg += ": " + std::string(std::strerror(errnoval));
    self->lastError_ = context ? std::string(context) + ": " + msg : msg;
}

} // namespace xlnv::libxl
