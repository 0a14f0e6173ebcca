#include "util/fault_injection.h"

#include <signal.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::fault {

namespace {

constexpr size_t kDomains = 3;

struct DomainState {
    unsigned failAt = 0;
    Action action = Action::Fail;
    unsigned passed = 0;
    std::string last;
};

struct FaultState {
    std::mutex lock;
    std::array<DomainState, kDomains> domains;
    std::string reportPath;
};

FaultState &state()
{
    static FaultState s;
    return s;
}

size_t indexOf(Domain d) { return static_cast<size_t>(d); }

// "security:3,live:7:kill,sim:2"; unknown or malformed items are ignored
// (a test-only switch must never change what a normal run does).
void parseSpecLocked(FaultState &s, const std::string &spec)
{
    for (const auto &item : split(spec, ',')) {
        auto parts = split(item, ':');
        if (parts.size() < 2)
            continue;
        unsigned n = 0;
        if (!parseUInt(parts[1], n))
            continue;
        Domain d;
        if (parts[0] == "security")
            d = Domain::Security;
        else if (parts[0] == "live")
            d = Domain::Live;
        else if (parts[0] == "sim")
            d = Domain::Sim;
        else
            continue;
        DomainState &ds = s.domains[indexOf(d)];
        ds.failAt = n;
        ds.passed = 0;
        ds.action = parts.size() > 2 && parts[2] == "kill" ? Action::Kill : Action::Fail;
    }
}

void writeReport()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    if (s.reportPath.empty())
        return;
    if (FILE *f = std::fopen(s.reportPath.c_str(), "a")) {
        std::fprintf(f, "live=%u sim=%u security=%u\n", s.domains[indexOf(Domain::Live)].passed,
                     s.domains[indexOf(Domain::Sim)].passed,
                     s.domains[indexOf(Domain::Security)].passed);
        std::fclose(f);
    }
}

void readEnvironmentLocked(FaultState &s)
{
    for (auto &d : s.domains)
        d = DomainState{};
    if (const char *spec = std::getenv("LIBXL_NVDIMM_FAULT"))
        parseSpecLocked(s, spec);
    const char *report = std::getenv("LIBXL_NVDIMM_FAULT_REPORT");
    const bool first = s.reportPath.empty();
    s.reportPath = report ? report : "";
    if (first && !s.reportPath.empty())
        std::atexit(writeReport);
}

// Read the environment before main(), so a command that passes no point
// still reports zeros.
const bool environmentRead = [] {
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    readEnvironmentLocked(s);
    return true;
}();

} // namespace

const char *domainName(Domain domain)
{
    switch (domain) {
    case Domain::Security: return "security";
    case Domain::Live: return "live";
    case Domain::Sim: return "sim";
    }
    return "?";
}

void point(Domain domain, const char *what)
{
    FaultState &s = state();
    std::unique_lock<std::mutex> guard(s.lock);
    DomainState &d = s.domains[indexOf(domain)];
    d.passed++;
    d.last = what;
    if (d.failAt == 0 || d.passed != d.failAt)
        return;
    const unsigned step = d.passed;
    const Action action = d.action;
    d.failAt = 0;   // one shot: the rollback must not fail too
    guard.unlock();
    if (action == Action::Kill)
        ::raise(SIGKILL);
    switch (domain) {
    case Domain::Security:
        raise(ErrorCode::OperationFailed, _("injected fault at security step %u (%s)"), step, what);
    case Domain::Live:
        raise(ErrorCode::OperationFailed, _("injected fault at live step %u (%s)"), step, what);
    case Domain::Sim:
        raise(ErrorCode::OperationFailed,
              _("injected fault at simulated hypercall %u (%s): Device or resource busy"), step, what);
    }
}

void setFaultAt(Domain domain, unsigned n, Action action)
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    DomainState &d = s.domains[indexOf(domain)];
    d.failAt = n;
    d.action = action;
    d.passed = 0;
}

unsigned pointsPassed(Domain domain)
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    return s.domains[indexOf(domain)].passed;
}

void resetFaultCount(Domain domain)
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    s.domains[indexOf(domain)].passed = 0;
}

void armFromEnvironment()
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    readEnvironmentLocked(s);
}

std::string lastPoint(Domain domain)
{
    FaultState &s = state();
    std::lock_guard<std::mutex> guard(s.lock);
    return s.domains[indexOf(domain)].last;
}

} // namespace xlnv::fault
