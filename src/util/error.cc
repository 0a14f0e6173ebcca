#include "util/error.h"

#include <cstdarg>
#include <cstring>

#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

std::string compose(ErrorCode code, const std::string &detail)
{
    const char *prefix = nullptr;
    switch (code) {
    case ErrorCode::Ok: return detail;
    case ErrorCode::Internal: prefix = _("internal error: %s"); break;
    case ErrorCode::XmlError: prefix = _("XML error: %s"); break;
    case ErrorCode::XmlDetail: return detail;
    case ErrorCode::ConfigUnsupported: prefix = _("unsupported configuration: %s"); break;
    case ErrorCode::OperationInvalid: prefix = _("Requested operation is not valid: %s"); break;
    case ErrorCode::OperationFailed: prefix = _("operation failed: %s"); break;
    case ErrorCode::OperationUnsupported: prefix = _("Operation not supported: %s"); break;
    case ErrorCode::OperationTimeout: prefix = _("Timed out during operation: %s"); break;
    case ErrorCode::SystemError: return detail;
    case ErrorCode::NoDomain: prefix = _("Domain not found: %s"); break;
    case ErrorCode::InvalidArg: prefix = _("invalid argument: %s"); break;
    case ErrorCode::NoConnect: prefix = _("failed to connect to the hypervisor: %s"); break;
    case ErrorCode::AccessDenied: prefix = _("access denied: %s"); break;
    case ErrorCode::Overflow: prefix = _("numerical overflow: %s"); break;
    }
    return strprintf(prefix, detail.c_str());
}

} // namespace

int errorCodeNumber(ErrorCode code)
{
    return static_cast<int>(code);
}

const char *errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::Ok: return "OK";
    case ErrorCode::Internal: return "INTERNAL_ERROR";
    case ErrorCode::XmlError: return "XML_ERROR";
    case ErrorCode::XmlDetail: return "XML_DETAIL";
    case ErrorCode::ConfigUnsupported: return "CONFIG_UNSUPPORTED";
    case ErrorCode::OperationInvalid: return "OPERATION_INVALID";
    case ErrorCode::OperationFailed: return "OPERATION_FAILED";
    case ErrorCode::OperationUnsupported: return "OPERATION_UNSUPPORTED";
    case ErrorCode::OperationTimeout: return "OPERATION_TIMEOUT";
    case ErrorCode::SystemError: return "SYSTEM_ERROR";
    case ErrorCode::NoDomain: return "NO_DOMAIN";
    case ErrorCode::InvalidArg: return "INVALID_ARG";
    case ErrorCode::NoConnect: return "NO_CONNECT";
    case ErrorCode::AccessDenied: return "ACCESS_DENIED";
    case ErrorCode::Overflow: return "OVERFLOW";
    }
    return "UNKNOWN";
}

Error::Error(ErrorCode code, std::string detail, int errnum)
    : code_(code), errnum_(errnum), detail_(std::move(detail)),
      message_(compose(code, detail_))
{
}

void raise(ErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string detail = vstrprintf(fmt, ap);
    va_end(ap);
    throw Error(code, std::move(detail));
}

void raiseSystem(int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string detail = vstrprintf(fmt, ap);
    va_end(ap);
    char buf[256];
    detail += ": ";
    detail += strerror_r(errnum, buf, sizeof(buf));
    throw Error(ErrorCode::SystemError, std::move(detail), errnum);
}

} // namespace xlnv
