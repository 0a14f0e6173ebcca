// One error type for the whole project, modelled on libvirt's virError:
// a code saying what kind of failure it is, and a translated message.
// Report once, where the fault is known; callers add nothing.
#pragma once

#include <exception>
#include <string>

namespace xlnv {

enum class ErrorCode {
    Ok = 0,
    Internal,            // "internal error: %s"
    XmlError,            // "XML error: %s"
    XmlDetail,           // libxml2 syntax errors, printed as they come
    ConfigUnsupported,   // "unsupported configuration: %s"
    OperationInvalid,    // "Requested operation is not valid: %s"
    OperationFailed,     // "operation failed: %s"
    OperationUnsupported,// "Operation not supported: %s"
    OperationTimeout,    // "Timed out during operation: %s"
    SystemError,         // "<message>: <strerror(errno)>"
    NoDomain,            // "Domain not found: %s"
    InvalidArg,          // "invalid argument: %s"
    NoConnect,           // "failed to connect to the hypervisor: %s"
    AccessDenied,        // "access denied: %s"
    Overflow,            // "numerical overflow: %s"
};

// Numeric values exposed through the C API (stable, never reordered).
int errorCodeNumber(ErrorCode code);
// Symbolic name ("XML_ERROR", ...) for logs and tests.
const char *errorCodeName(ErrorCode code);

class Error : public std::exception {
public:
    // detail must already be translated.
    Error(ErrorCode code, std::string detail, int errnum = 0);

    ErrorCode code() const noexcept { return code_; }
    int errnum() const noexcept { return errnum_; }
    // The text after libvirt's per-code prefix.
    const std::string &detail() const noexcept { return detail_; }
    // Full message as virsh prints it after "error: ".
    const std::string &message() const noexcept { return message_; }
    const char *what() const noexcept override { return message_.c_str(); }

private:
    ErrorCode code_;
    int errnum_;
    std::string detail_;
    std::string message_;
};

// Convenience throwers; fmt is a translated printf format.
[[noreturn]] void raise(ErrorCode code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// System error: message + ": " + strerror(errnum).
[[noreturn]] void raiseSystem(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace xlnv
