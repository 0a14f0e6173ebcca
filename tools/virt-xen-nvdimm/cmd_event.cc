// event [--domain DOMAIN] [--event device-added|device-removed] [--loop]
// [--timeout SECONDS]: follow the connection's events file from its end
// and print each event as virsh does. Without --loop it stops after the
// first event; --timeout or SIGINT end it; the count comes last.
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "command.h"
#include "connection_util.h"
#include "libxl/device_event.h"
#include "hypervisor/hypervisor.h"
#include "util/i18n.h"

namespace xlnv::cli {

namespace {

struct EventOptions {
    std::string domain;
    std::string event;
    bool loop = false;
    int timeout = 0;   // seconds; 0 = none
};

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

int runEvent(const EventOptions &opts, Context &ctx)
{
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
        sub.add_flag("--loop", opts->loop, _("loop until timeout or interrupt, rather than one-shot"));
        sub.add_option("--timeout", opts->timeout, _("timeout seconds"))
            ->option_text("SECONDS")
            ->check(CLI::NonNegativeNumber);
        return [opts](Context &ctx) { return runEvent(*opts, ctx); };
    },
});

} // namespace

} // namespace xlnv::cli
