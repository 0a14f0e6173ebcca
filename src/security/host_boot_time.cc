#include "security/host_boot_time.h"

#include <utmpx.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::security {

namespace {

uint64_t bootTimeFromUtmp()
{
    struct utmpx id = {};
    id.ut_type = BOOT_TIME;
    setutxent();
    struct utmpx *rec = getutxid(&id);
    uint64_t when = rec ? static_cast<uint64_t>(rec->ut_tv.tv_sec) : 0;
    endutxent();
    return when;
}

uint64_t bootTimeFromUptime()
{
    struct timespec now = {};
    clock_gettime(CLOCK_REALTIME, &now);
    FILE *f = std::fopen("/proc/uptime", "re");
    if (!f)
        raiseSystem(errno, _("Unable to get host boot time"));
    double up = 0;
    int n = std::fscanf(f, "%lf", &up);
    std::fclose(f);
    if (n != 1)
        raise(ErrorCode::Internal, _("Unable to parse uptime value in '%s'"), "/proc/uptime");
    // Milliseconds truncated to seconds first, then rounded, as libvirt does.
    uint64_t now_ms = static_cast<uint64_t>(now.tv_sec) * 1000 + static_cast<uint64_t>(now.tv_nsec / 1000000);
    return static_cast<uint64_t>(static_cast<double>(now_ms / 1000) - up + 0.5);
}

} // namespace

uint64_t hostBootTime()
{
    static std::once_flag once;
    static uint64_t bootTime = 0;
    static bool failed = false;
    std::call_once(once, [] {
        bootTime = bootTimeFromUtmp();
        if (bootTime == 0) {
            try {
                bootTime = bootTimeFromUptime();
            } catch (const Error &) {
                failed = true;
            }
        }
    });
    if (failed || bootTime == 0)
        return bootTimeFromUptime();   // reports the error
    return bootTime;
}

std::string hostBootTimeString()
{
    return strprintf("%llu", static_cast<unsigned long long>(hostBootTime()));
}

bool isCurrentBoot(const std::string &recorded)
{
    uint64_t value = 0;
    if (!parseUInt64(recorded, value))
        return false;
    uint64_t now = hostBootTime();
    return value + 1 >= now && value <= now + 1;
}

} // namespace xlnv::security
