// Injected failures (LIBXL_NVDIMM_FAULT, docs/virt-xen-nvdimm.rst) at
// every step of attach, detach, start and destroy through the CLI: each
// failing run exits 1 with the injected error and leaves the host exactly
// as before; the run after the last point succeeds. The number of
// injection points of each operation is printed.
#include <gtest/gtest.h>

#include <functional>
#include <optional>

#include "cli_snapshot.h"

using namespace xlnv::test;

namespace {

struct FaultCase {
    const char *name;
    std::function<void(SimHostDir &)> setup;                       // brings the host to the baseline
    std::function<std::vector<std::string>(SimHostDir &)> command; // the operation under test
    // Operations that pass a point of no return (destroy: the domain is
    // gone once Xen destroyed it) may fail after it; then the next
    // command must finish them: the host equals a clean run's result
    // after `repair`. Empty: every failure must leave the baseline.
    std::vector<std::string> repair = {};
};

// Points of `domain` ("live", "sim", "security") a clean run passes.
unsigned pointsOfCleanRun(const FaultCase &c, const std::string &domain)
{
    SimHostDir host;
    c.setup(host);
    const std::string report = host.path("fault-report");
    const CliResult r = host.cli(c.command(host), {{"LIBXL_NVDIMM_FAULT_REPORT", report}});
    EXPECT_EQ(r.status, 0) << c.name << ": " << r.err;
    const std::string text = readFile(report);
    const size_t at = text.find(domain + "=");
    EXPECT_NE(at, std::string::npos) << c.name << ": no fault report: '" << text << "'";
    return at == std::string::npos ? 0 : std::stoul(text.substr(at + domain.size() + 1));
}

// Fails the Nth point of `domain` for N = 1, 2, ... until the command
// succeeds; returns how many runs failed.
unsigned sweep(const FaultCase &c, const std::string &domain, unsigned *finishedLater)
{
    std::optional<HostSnapshot> finished;
    if (!c.repair.empty()) {
        SimHostDir clean;
        c.setup(clean);
        EXPECT_EQ(clean.cli(c.command(clean)).status, 0);
        finished = snapshot(clean);
    }
    // A host at the baseline; a new one after a failure past the point
    // of no return.
    std::unique_ptr<SimHostDir> host;
    HostSnapshot baseline;
    std::vector<std::string> args;
    auto freshHost = [&] {
        host = std::make_unique<SimHostDir>();
        c.setup(*host);
        baseline = snapshot(*host);
        args = c.command(*host);
    };
    freshHost();
    unsigned failures = 0;
    for (unsigned n = 1; n <= 500; ++n) {
        const CliResult r = host->cli(args, {{"LIBXL_NVDIMM_FAULT", domain + ":" + std::to_string(n)}});
        if (r.status == 0)
            break;
        ++failures;
        const std::string what = std::string(c.name) + " with " + domain + ":" + std::to_string(n);
        EXPECT_EQ(r.status, 1) << what << " (signal " << r.signal << ")";
        EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << what << ": " << r.err;
        EXPECT_NE(r.err.find("injected fault"), std::string::npos) << what << ": " << r.err;
        const HostSnapshot after = snapshot(*host);
        if (!finished || after == baseline) {
            EXPECT_EQ(after, baseline) << what << ": " << r.err;
        } else {
            // Past the point of no return: the next command finishes the
            // job, and the host is then as after a clean run.
            const CliResult repaired = host->cli(c.repair);
            EXPECT_EQ(repaired.status, 0) << what << ": " << repaired.err;
            EXPECT_EQ(snapshot(*host), *finished) << what << " then " << c.repair[0] << ": " << r.err;
            ++*finishedLater;
            freshHost();
        }
        if (::testing::Test::HasFailure())
            break;
    }
    return failures;
}

void sweepAndReport(const FaultCase &c, const std::string &domain, bool mustHavePoints = true)
{
    const unsigned points = pointsOfCleanRun(c, domain);
    unsigned finishedLater = 0;
    const unsigned failures = sweep(c, domain, &finishedLater);
    std::cout << "[          ] " << c.name << ": " << points << " " << domain << " injection points, "
              << failures << " injected failures, host unchanged after "
              << failures - finishedLater << ", finished by the next command after "
              << finishedLater << "\n";
    EXPECT_EQ(failures, points) << c.name << ": every point must fail the operation once";
    if (mustHavePoints) {
        EXPECT_GT(points, 0u) << c.name;
    }
}

std::string devdax(SimHostDir &host, uint64_t mib = 1024)
{
    return host.file("devdax.xml", nvdimmXml({.size_mib = mib}));
}

void mustSucceed(const CliResult &r) { ASSERT_EQ(r.status, 0) << r.err; }

const FaultCase attachDevdax{
    "attach-device --live (devdax)", [](SimHostDir &) {},
    [](SimHostDir &h) { return std::vector<std::string>{"attach-device", "demo", devdax(h), "--live"}; }};

const FaultCase attachNewFile{
    "attach-device --live (new fsdax file)", [](SimHostDir &) {},
    [](SimHostDir &h) {
        return std::vector<std::string>{
            "attach-device", "demo",
            h.file("file.xml", nvdimmXml({.path = h.fsdaxMount() + "/fault.img", .size_mib = 32})), "--live"};
    }};

const FaultCase attachPersistent{
    "attach-device --persistent (devdax)", [](SimHostDir &) {},
    [](SimHostDir &h) { return std::vector<std::string>{"attach-device", "demo", devdax(h, 256), "--persistent"}; }};

const FaultCase detachAlias{
    "detach-device-alias --live",
    [](SimHostDir &h) { mustSucceed(h.cli({"attach-device", "demo", devdax(h), "--live"})); },
    [](SimHostDir &) { return std::vector<std::string>{"detach-device-alias", "demo", "nvdimm0", "--live"}; }};

const FaultCase detachFile{
    "detach-device --live (fsdax file)",
    [](SimHostDir &h) {
        mustSucceed(h.cli({"attach-device", "demo",
                           h.file("file.xml", nvdimmXml({.path = h.fsdaxMount() + "/d.img", .size_mib = 32})),
                           "--live"}));
    },
    [](SimHostDir &h) { return std::vector<std::string>{"detach-device", "demo", h.path("file.xml"), "--live"}; }};

const FaultCase startWithNvdimm{
    "start (one devdax NVDIMM)",
    [](SimHostDir &h) { mustSucceed(h.cli({"attach-device", "demo2", devdax(h, 512), "--config"})); },
    [](SimHostDir &) { return std::vector<std::string>{"start", "demo2"}; }};

const FaultCase destroyWithNvdimm{
    "destroy (one devdax NVDIMM)",
    [](SimHostDir &h) {
        mustSucceed(h.cli({"attach-device", "demo2", devdax(h, 512), "--config"}));
        mustSucceed(h.cli({"start", "demo2"}));
    },
    [](SimHostDir &) { return std::vector<std::string>{"destroy", "demo2"}; },
    {"dumpxml", "demo2"}};

TEST(CliFaults, AttachDevdaxLeavesNothingAtAnyLivePoint) { sweepAndReport(attachDevdax, "live"); }
TEST(CliFaults, AttachNewFileLeavesNothingAtAnyLivePoint) { sweepAndReport(attachNewFile, "live"); }
TEST(CliFaults, AttachPersistentLeavesNothingAtAnyLivePoint) { sweepAndReport(attachPersistent, "live"); }
TEST(CliFaults, DetachByAliasKeepsTheDeviceAtAnyLivePoint) { sweepAndReport(detachAlias, "live"); }
TEST(CliFaults, DetachByFileKeepsTheDeviceAtAnyLivePoint) { sweepAndReport(detachFile, "live"); }
TEST(CliFaults, StartLeavesTheDomainShutOffAtAnyLivePoint) { sweepAndReport(startWithNvdimm, "live"); }
TEST(CliFaults, DestroyFailureIsUndoneOrFinishedByTheNextCommand) { sweepAndReport(destroyWithNvdimm, "live"); }

TEST(CliFaults, AttachLeavesNothingAtAnyHypercallFailure) { sweepAndReport(attachDevdax, "sim"); }
TEST(CliFaults, StartLeavesNothingAtAnyHypercallFailure) { sweepAndReport(startWithNvdimm, "sim"); }
TEST(CliFaults, AttachFileLeavesNothingAtAnySecurityFailure)
{
    // The security layer's points (chown, xattrs, SELinux) of a file backing.
    sweepAndReport(attachNewFile, "security", false);
}

} // namespace
