#include "util/log.h"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

std::mutex sinkLock;

void defaultSink(const std::string &message)
{
    std::fprintf(stderr, _("warning: %s\n"), message.c_str());
}

WarningSink &currentSink()
{
    static WarningSink sink = defaultSink;
    return sink;
}

} // namespace

void warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string msg = vstrprintf(fmt, ap);
    va_end(ap);
    std::lock_guard<std::mutex> guard(sinkLock);
    currentSink()(msg);
}

WarningSink setWarningSink(WarningSink sink)
{
    std::lock_guard<std::mutex> guard(sinkLock);
    WarningSink old = std::move(currentSink());
    currentSink() = sink ? std::move(sink) : WarningSink(defaultSink);
    return old;
}

} // namespace xlnv
