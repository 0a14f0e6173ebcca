// ProgressReporter (util/progress.h): what each style writes for a long
// fill, a one-shot step and a mapping loop; that it never floods; that a
// bar line is always ended.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>


#include "util/progress.h"

using namespace xlnv;

namespace {

// Everything a reporter writes, captured in memory.
class Capture {
public:
    Capture() : f_(open_memstream(&buf_, &len_)) {}
    ~Capture()
    {
        if (f_)
            std::fclose(f_);
        std::free(buf_);
    }
    std::FILE *file() { return f_; }
    std::string text()
    {
        std::fflush(f_);
        return std::string(buf_, len_);
    }

private:
    char *buf_ = nullptr;
    size_t len_ = 0;
    std::FILE *f_;
};

size_t count(const std::string &s, char c)
{
    return static_cast<size_t>(std::count(s.begin(), s.end(), c));
}

constexpr uint64_t MiB = 1ull << 20;

// A 16 GiB fill reported every 64 MiB, as fillFile does.
void fill16G(ProgressReporter &r)
{
    const uint64_t total = 16384 * MiB;
    for (uint64_t done = 0; done <= total; done += 64 * MiB)
        r.update({ProgressPhase::Provisioning, "/mnt/pmem1/vm.img", done, total});
}

} // namespace

TEST(ProgressReporter, LinesGiveOneLinePerTenthAndNoCarriageReturn)
{
    Capture c;
    {
        ProgressReporter r(c.file(), ProgressStyle::Lines);
        fill16G(r);
        r.update({ProgressPhase::Resolving, "/mnt/pmem1/vm.img"});
        r.update({ProgressPhase::Resolving, "/mnt/pmem1/vm.img"});   // same step: not again
    }
    const std::string out = c.text();
    EXPECT_EQ(count(out, '\r'), 0u) << out;
    EXPECT_EQ(count(out, '\n'), 12u) << out;   // 0%, 10% ... 100%, resolving
    EXPECT_EQ(out.rfind("Provisioning /mnt/pmem1/vm.img: 0%\n", 0), 0u) << out;
    EXPECT_NE(out.find("Provisioning /mnt/pmem1/vm.img: 50%\n"), std::string::npos) << out;
    EXPECT_NE(out.find("Provisioning /mnt/pmem1/vm.img: 100%\nResolving the extents of /mnt/pmem1/vm.img\n"),
              std::string::npos) << out;
}

TEST(ProgressReporter, LinesForManyRangesStayFew)
{
    Capture c;
    {
        ProgressReporter r(c.file(), ProgressStyle::Lines, 0);
        for (uint64_t i = 1; i <= 5000; ++i)
            r.update({ProgressPhase::Mapping, "demo", i, 5000});
    }
    const std::string out = c.text();
    EXPECT_LE(count(out, '\n'), 11u) << out;
    EXPECT_NE(out.find("Mapping into domain 'demo': range 5000 of 5000\n"), std::string::npos) << out;
}

TEST(ProgressReporter, QuickWorkWithoutAFillStaysSilent)
{
    Capture c;
    for (ProgressStyle style : {ProgressStyle::Lines, ProgressStyle::Bar}) {
        ProgressReporter r(c.file(), style);
        r.update({ProgressPhase::Labelling, "demo"});
        r.update({ProgressPhase::Mapping, "demo", 1, 1});
        r.update({ProgressPhase::Provisioning, "/x.img", 0, 0});   // nothing to fill
        r.update({ProgressPhase::Provisioning, "/y.img", 0, 64 * MiB});   // a small fill
    }
    EXPECT_EQ(c.text(), "");
}

TEST(ProgressReporter, StepsAfterABigFillShow)
{
    Capture c;
    {
        ProgressReporter r(c.file(), ProgressStyle::Lines);
        r.update({ProgressPhase::Provisioning, "/x.img", 0, 1024 * MiB});
        r.update({ProgressPhase::Provisioning, "/x.img", 1024 * MiB, 1024 * MiB});
        r.update({ProgressPhase::Mapping, "demo", 1, 3});
        r.update({ProgressPhase::Mapping, "demo", 3, 3});
    }
    EXPECT_EQ(c.text(), "Provisioning /x.img: 0%\nProvisioning /x.img: 100%\n"
                        "Mapping into domain 'demo': range 1 of 3\nMapping into domain 'demo': range 3 of 3\n");
}

TEST(ProgressReporter, BarRewritesOneLineAndEndsIt)
{
    Capture c;
    {
        ProgressReporter r(c.file(), ProgressStyle::Bar);
        fill16G(r);
        r.update({ProgressPhase::Mapping, "demo", 1, 1});
        r.finish();
        EXPECT_EQ(c.text().back(), '\n');
        r.finish();   // a second finish adds nothing
    }
    const std::string out = c.text();
    EXPECT_EQ(count(out, '\n'), 1u) << out;
    EXPECT_GE(count(out, '\r'), 3u) << out;      // first, last, the mapping
    EXPECT_LE(count(out, '\r'), 110u) << out;    // at most once per percent
    EXPECT_NE(out.find("Provisioning /mnt/pmem1/vm.img: 100% (16384 of 16384 MiB)"), std::string::npos) << out;
    // The shorter mapping text blanks what the longer one left.
    const size_t last = out.rfind('\r');
    const std::string tail = out.substr(last + 1, out.size() - last - 2);
    EXPECT_EQ(tail.rfind("Mapping into domain 'demo': range 1 of 1", 0), 0u) << tail;
    EXPECT_EQ(tail.size(), std::string("Provisioning /mnt/pmem1/vm.img: 100% (16384 of 16384 MiB)").size());
}

TEST(ProgressReporter, BarLineEndedWhenTheWorkFails)
{
    Capture c;
    try {
        ProgressReporter r(c.file(), ProgressStyle::Bar);
        r.update({ProgressPhase::Provisioning, "/x.img", 0, 1024 * MiB});
        throw std::runtime_error("interrupted");
    } catch (const std::runtime_error &) {
        std::fputs("error: operation interrupted\n", c.file());
    }
    const std::string out = c.text();
    EXPECT_NE(out.find("MiB)\nerror: operation interrupted\n"), std::string::npos) << out;
}

TEST(ProgressReporter, QuietWritesNothingAndHandsOutNoCallback)
{
    Capture c;
    {
        ProgressReporter r(c.file(), ProgressStyle::Quiet);
        EXPECT_FALSE(r.callback());
        fill16G(r);
        r.finish();
    }
    EXPECT_EQ(c.text(), "");
}

TEST(ProgressReporter, StyleFollowsQuietAndTheTerminal)
{
    std::FILE *f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(progressStyleFor(f, false), ProgressStyle::Lines);
    EXPECT_EQ(progressStyleFor(f, true), ProgressStyle::Quiet);
    std::fclose(f);
}
