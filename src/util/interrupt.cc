#include "util/interrupt.h"

#include <signal.h>

#include <atomic>
#include <cstring>

#include "util/error.h"
#include "util/i18n.h"

namespace xlnv {

namespace {

volatile sig_atomic_t requested = 0;
std::atomic<bool> delivered{false};

void onSignal(int)
{
    requested = 1;
}

} // namespace

void installInterruptHandlers()
{
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bool interruptRequested() noexcept
{
    return requested != 0;
}

void checkInterrupted()
{
    if (!requested || delivered.exchange(true))
        return;
    raise(ErrorCode::OperationFailed, _("operation interrupted"));
}

} // namespace xlnv
