// Progress of long work (filling a backing, resolving its extents,
// labelling, mapping ranges): the library reports it through a callback
// its caller passes down and never prints. ProgressReporter is the one
// way to show it (the CLI's, on stderr): an updating line on a terminal,
// a line per coarse step otherwise, nothing when quiet. Only long work
// shows: nothing until a fill of `longFill` bytes or more starts (then
// that and every later step), so a quick attach stays as silent as
// virsh. (Not a time threshold: output must not depend on the load.) It draws only when what it shows changes,
// so reporting costs nothing measurable (bench/progress_bench.cc).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace xlnv {

enum class ProgressPhase {
    Provisioning,   // subject: the backing path; done/total: bytes filled
    Resolving,      // subject: the backing path (its extents)
    Labelling,      // subject: the domain
    Mapping,        // subject: the domain; done/total: ranges mapped
};

struct ProgressUpdate {
    ProgressPhase phase;
    std::string_view subject;
    uint64_t done = 0;
    uint64_t total = 0;    // 0: a step without a measure
};

// Called now and then by the work; an empty function reports nothing.
using ProgressFn = std::function<void(const ProgressUpdate &)>;

enum class ProgressStyle {
    Quiet,   // nothing
    Lines,   // one line per step and per 10% of it
    Bar,     // one line rewritten with '\r', ended by finish()
};

// Bar when `out` is a terminal, else Lines; Quiet when asked.
ProgressStyle progressStyleFor(std::FILE *out, bool quiet);

class ProgressReporter {
public:
    static constexpr uint64_t kLongFill = 1ull << 30;
    // `longFill` 0: every step shows.
    ProgressReporter(std::FILE *out, ProgressStyle style, uint64_t longFill = kLongFill);
    // Ends an open bar line, so an error printed next starts on its own line.
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter &) = delete;
    ProgressReporter &operator=(const ProgressReporter &) = delete;

    void update(const ProgressUpdate &u);
    // Ends the bar line (a newline) if one is shown; before printing results.
    void finish();
    // A callback bound to this reporter (which must outlive it).
    ProgressFn callback();

private:
    void draw(const std::string &text);

    std::FILE *out_;
    ProgressStyle style_;
    ProgressPhase phase_ = ProgressPhase::Provisioning;
    std::string subject_;
    uint64_t longFill_;
    bool active_ = false;     // showing
    bool started_ = false;    // a step was seen
    unsigned shown_ = 0;      // Lines: tenths shown + 1; Bar: percent shown + 1
    uint64_t lastDrawNs_ = 0;
    size_t width_ = 0;        // Bar: length of the text on the line, 0 = no line open
};

} // namespace xlnv
