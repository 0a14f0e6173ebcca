#include "security/fault_injection.h"

#include <cstdlib>
#include <mutex>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::security {

namespace {

struct FaultState {
    std::mutex lock;
    unsigned failAt = 0;
    unsigned passed = 0;
    std::string last;
    bool envRead = false;
};

FaultState &state()
{
    static FaultState s;
    return s;
}

void readEnvLocked(FaultState &s)
{
    if (s.envRead)
        return;
    s.envRead = true;
    const char *env = std::getenv("LIBXL_NVDIMM_FAULT");
    if (!env)
        return;
    std::string spec(env);
    const std::string prefix = "security:";
    unsigned n = 0;
    if (startsWith(spec, prefix) && parseUInt(spec.substr(prefix.size()), n))
        s.failAt = n;
}

} // namespace

void faultPoint(const char *what)
{
    FaultState &s = state();
    std::unique_lock<std::mutex> guard(s.lock);
    readEnvLocked(s);
    s.passed++;
    s.last = what;
    if (s.failAt != 0 && s.passed == s.failAt) {
        unsigned step = s.passed;
        s.failAt = 0;   // one shot: the rollback must not fail too
        guard.unlock();
        raise(ErrorCode::OperationFailed, _("injected fault at security step %u (%s)"), step, what);
    }
}

void setFaultAt(unsigned n)
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    s.envRead = true;
    s.failAt = n;
    s.passed = 0;
}

unsigned faultPointsPassed()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    return s.passed;
}

void resetFaultCount()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    s.envRead = true;
    s.passed = 0;
}

void armFaultFromEnvironment()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    s.envRead = false;
    s.failAt = 0;
    s.passed = 0;
    readEnvLocked(s);
}

std::string lastFaultPoint()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    return s.last;
}

} // namespace xlnv::security
