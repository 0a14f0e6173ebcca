// event [--domain DOMAIN] [--event device-added|device-removed | --all]
// [--loop] [--timeout SECONDS] [--timestamp] | --list: follow the connection's events file from its end
// and print each event as virsh does. Without --loop it stops after the
// first event; --timeout or SIGINT end it; the count comes last.
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <optional>

#include "command.h"
#include "connection_util.h"
#include "libxl/device_event.h"
#include "hypervisor/hypervisor.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

namespace {

struct EventOptions {
    std::string domain;
    std::string event;
    bool all = false;
    bool list = false;
    bool loop = false;
    bool timestamp = false;
    std::string timeoutText;
    int timeout = 0;   // seconds; 0 = none
};

// virsh's rule for <timeout>: a decimal count of seconds, not 0, small
// enough to count in milliseconds in an int. 0: refused.
int parseTimeout(const std::string &text)
{
    uint64_t value = 0;
    const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || !parseUInt64(text, value) || value > INT_MAX / 1000)
        return 0;
    return static_cast<int>(value);
}

// Option errors in virsh's words, printed as virsh does (no error class).
int optionError(const std::string &message)
{
    std::fprintf(stderr, _("error: %s\n"), message.c_str());
    return 1;
}

// virsh's --timestamp prefix: UTC with milliseconds.
std::string timestampNow()
{
    const auto now = std::chrono::system_clock::now();
    const std::time_t secs = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm {};
    gmtime_r(&secs, &tm);
    return strprintf("%04d-%02d-%02d %02d:%02d:%02d.%03d+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
}

volatile sig_atomic_t interrupted = 0;

void onInterrupt(int) { interrupted = 1; }

// SIGINT ends the loop cleanly; the old handler comes back on scope exit.
class InterruptCatcher {
public:
    InterruptCatcher()
    {
        struct sigaction sa = {};
        sa.sa_handler = onInterrupt;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_);
    }
    ~InterruptCatcher() { sigaction(SIGINT, &old_, nullptr); }
    InterruptCatcher(const InterruptCatcher &) = delete;
    InterruptCatcher &operator=(const InterruptCatcher &) = delete;

private:
    struct sigaction old_ = {};
};

// How often the events file is looked at again.
constexpr int kPollIntervalMs = 20;

int runEvent(EventOptions &opts, Context &ctx)
{
    if (opts.list) {
        for (auto k : {libxl::DeviceEventKind::Added, libxl::DeviceEventKind::Removed})
            std::printf("%s\n", libxl::deviceEventName(k));
        return 0;
    }
    if (opts.all && !opts.event.empty())
        return optionError(strprintf(_("Options --%s and --%s are mutually exclusive"), "all", "event"));
    if (!opts.timeoutText.empty() && (opts.timeout = parseTimeout(opts.timeoutText)) == 0)
        return optionError(strprintf(_("Numeric value '%s' for <%s> option is malformed or out of range"),
                                     opts.timeoutText.c_str(), "timeout"));
    std::optional<libxl::DeviceEventKind> kind;
    if (!opts.event.empty())
        kind = libxl::deviceEventFromName(opts.event);
    auto conn = openConnection(ctx);
    std::optional<libxl::DomainInfo> domain;
    if (!opts.domain.empty())
        domain = libxl::lookupDomain(conn->hypervisor(), opts.domain);

    libxl::EventLog log(conn->stateDir());
    uint64_t offset = log.endOffset();
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::seconds(opts.timeout);

    InterruptCatcher catcher;
    interrupted = 0;
    unsigned count = 0;
    bool timedOut = false;
    bool done = false;
    while (!done) {
        for (const auto &e : log.readFrom(offset)) {
            if (domain && e.uuid != domain->uuid && e.domain != domain->name)
                continue;
            if (kind && e.kind != *kind)
                continue;
            if (opts.timestamp)
                std::printf("%s: ", timestampNow().c_str());
            std::printf("%s\n", libxl::formatDeviceEvent(e).c_str());
            std::fflush(stdout);
            ++count;
            if (!opts.loop) {
                done = true;
                break;
            }
        }
        if (done)
            break;
        if (interrupted)
            break;
        if (opts.timeout > 0 && Clock::now() >= deadline) {
            timedOut = true;
            break;
        }
        poll(nullptr, 0, kPollIntervalMs);
    }
    if (interrupted)
        std::printf("%s\n", _("event loop interrupted"));
    else if (timedOut)
        std::printf("%s\n", _("event loop timed out"));
    std::printf(_("events received: %u\n"), count);
    std::fflush(stdout);
    return 0;
}

const CommandRegistrar registrar({
    "event",
    N_("wait for domain events to occur"),
    250,
    [](CLI::App &sub) -> CommandRunner {
        auto opts = std::make_shared<EventOptions>();
        sub.add_option("--domain", opts->domain, _("filter by domain name, id or uuid"))
            ->option_text("DOMAIN");
        sub.add_option("--event", opts->event, _("which event type to wait for"))
            ->check(CLI::IsMember({"device-added", "device-removed"}));
        sub.add_flag("--all", opts->all, _("wait for all events instead of just one type"));
        sub.add_flag("--list", opts->list, _("list valid event types"));
        sub.add_flag("--loop", opts->loop, _("loop until timeout or interrupt, rather than one-shot"));
        sub.add_option("--timeout", opts->timeoutText, _("timeout seconds"))->option_text("SECONDS");
        sub.add_flag("--timestamp", opts->timestamp, _("show timestamp for each printed event"));
        return [opts](Context &ctx) { return runEvent(*opts, ctx); };
    },
});

} // namespace

} // namespace xlnv::cli
