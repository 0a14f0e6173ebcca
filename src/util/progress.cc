#include "util/progress.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

// A terminal line is redrawn at most this often (besides a new step and the last value).
constexpr uint64_t kBarIntervalNs = 100'000'000;

uint64_t monotonicNs()
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

unsigned percentOf(const ProgressUpdate &u)
{
    if (u.total == 0)
        return 100;
    return static_cast<unsigned>(std::min(u.done, u.total) * 100 / u.total);
}

std::string describe(const ProgressUpdate &u, bool bar)
{
    using ull = unsigned long long;
    const std::string subject(u.subject);
    const unsigned pct = percentOf(u);
    switch (u.phase) {
    case ProgressPhase::Provisioning:
        if (bar)
            return strprintf(_("Provisioning %s: %3u%% (%llu of %llu MiB)"), subject.c_str(), pct,
                             (ull)(u.done >> 20), (ull)(u.total >> 20));
        return strprintf(_("Provisioning %s: %u%%"), subject.c_str(), pct);
    case ProgressPhase::Resolving:
        return strprintf(_("Resolving the extents of %s"), subject.c_str());
    case ProgressPhase::Labelling:
        return strprintf(_("Labelling the NVDIMM backings of domain '%s'"), subject.c_str());
    case ProgressPhase::Mapping:
        return strprintf(_("Mapping into domain '%s': range %llu of %llu"), subject.c_str(),
                         (ull)u.done, (ull)u.total);
    }
    return subject;
}

} // namespace

ProgressStyle progressStyleFor(std::FILE *out, bool quiet)
{
    if (quiet)
        return ProgressStyle::Quiet;
    return isatty(fileno(out)) ? ProgressStyle::Bar : ProgressStyle::Lines;
}

ProgressReporter::ProgressReporter(std::FILE *out, ProgressStyle style, uint64_t longFill)
    : out_(out), style_(style), longFill_(longFill)
{
}

ProgressReporter::~ProgressReporter()
{
    finish();
}

void ProgressReporter::update(const ProgressUpdate &u)
{
    if (style_ == ProgressStyle::Quiet)
        return;
    if (!active_) {
        if (longFill_ && (u.phase != ProgressPhase::Provisioning || u.total < longFill_))
            return;
        active_ = true;
    }
    const bool newStep = !started_ || u.phase != phase_ || u.subject != subject_;
    if (newStep) {
        started_ = true;
        phase_ = u.phase;
        subject_.assign(u.subject);
        shown_ = 0;
    }
    const unsigned pct = percentOf(u);
    if (style_ == ProgressStyle::Lines) {
        // The step's first report, then one per tenth crossed.
        const unsigned mark = pct / 10 + 1;
        if (mark == shown_)
            return;
        shown_ = mark;
        std::fprintf(out_, "%s\n", describe(u, false).c_str());
        std::fflush(out_);
        return;
    }
    const unsigned mark = pct + 1;
    if (mark == shown_)
        return;
    const uint64_t now = monotonicNs();
    const bool last = u.total && u.done >= u.total;
    if (!newStep && !last && now - lastDrawNs_ < kBarIntervalNs)
        return;
    shown_ = mark;
    lastDrawNs_ = now;
    draw(describe(u, true));
}

void ProgressReporter::draw(const std::string &text)
{
    // Spaces over what a longer earlier text left on the line.
    const size_t pad = width_ > text.size() ? width_ - text.size() : 0;
    std::fprintf(out_, "\r%s%*s", text.c_str(), static_cast<int>(pad), "");
    std::fflush(out_);
    width_ = text.size();
}

void ProgressReporter::finish()
{
    if (style_ == ProgressStyle::Bar && width_) {
        std::fputc('\n', out_);
        std::fflush(out_);
        width_ = 0;
    }
    started_ = false;
}

ProgressFn ProgressReporter::callback()
{
    if (style_ == ProgressStyle::Quiet)
        return {};
    return [this](const ProgressUpdate &u) { update(u); };
}

} // namespace xlnv
