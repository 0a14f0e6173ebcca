// Faults injected at every step (docs/live.rst, util/fault_injection.h):
// for N = 1, 2, ... the Nth live step of an operation fails; afterwards
// the host, the simulated hypervisor, files, labels, pins, status and
// definitions must be exactly as before. The loop ends when the
// operation passes all its points without reaching N; the number of
// points is printed.
#include <iostream>

#include <gtest/gtest.h>

#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"
#include "util/fault_injection.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

class LiveFaults : public ::testing::Test {
protected:
    void TearDown() override
    {
        fault::setFaultAt(fault::Domain::Live, 0);
        fault::setFaultAt(fault::Domain::Sim, 0);
    }
};

// Runs `op` with the Nth point of `domain` failing, for every N, and
// checks the host after each failure against `expectAfterFailure`.
// Returns the points of the successful run.
unsigned sweep(fault::Domain domain, const std::string &what, const std::string &stateDir,
               const std::function<void()> &op,
               const std::function<std::string()> &checkAfterFailure)
{
    for (unsigned n = 1; n < 1000; n++) {
        fault::setFaultAt(domain, n);
        bool failed = false;
        try {
            op();
        } catch (const Error &e) {
            failed = true;
            EXPECT_NE(e.message().find("injected fault"), std::string::npos)
                << what << " step " << n << ": unexpected error " << e.message();
        }
        const unsigned passed = fault::pointsPassed(domain);
        fault::setFaultAt(domain, 0);
        if (!failed) {
            EXPECT_LT(passed, n) << what << ": succeeded although step " << n << " was armed";
            std::cout << what << ": " << passed << " injection points (" << fault::domainName(domain)
                      << ")" << std::endl;
            return passed;
        }
        const std::string diff = checkAfterFailure();
        EXPECT_EQ(diff, "") << what << ": fault at " << fault::domainName(domain) << " step " << n
                            << " (" << fault::lastPoint(domain) << ") left the host changed:\n"
                            << diff;
        if (!diff.empty())
            return 0;
    }
    ADD_FAILURE() << what << ": never succeeded";
    (void)stateDir;
    return 0;
}

std::function<std::string()> unchangedSince(const std::string &dir)
{
    auto before = std::make_shared<test::Snapshot>(test::snapshotHost(dir));
    return [before, dir] { return test::diffSnapshots(*before, test::snapshotHost(dir)); };
}

} // namespace

TEST_F(LiveFaults, AttachDevdaxUndoesEveryStep)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::fileXml(host.mount() + "/other.img", 4), kAffectLive);
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Live, "attach", host.dir(), [&] {
        host.driver().attachDevice("demo", test::devdaxXml("256", "MiB"), kAffectLive);
    }, check);
    EXPECT_GE(points, 8u);   // provision, label, pin, grant, map, ACPI, live XML, record
}

TEST_F(LiveFaults, AttachOfANewFileRemovesTheFileOnEveryFailure)
{
    LiveHost host;
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Live, "attach (new fsdax file)", host.dir(), [&] {
        host.driver().attachDevice("demo", test::fileXml(host.mount() + "/new.img", 4), kAffectLive);
    }, check);
    EXPECT_GE(points, 8u);   // provision, label, pin, grant, map, ACPI, live XML, record
}

TEST_F(LiveFaults, AttachLiveAndConfigRestoresTheDefinition)
{
    LiveHost host;
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Live, "attach --live --config", host.dir(), [&] {
        host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive | kAffectConfig);
    }, check);
    EXPECT_GE(points, 8u);   // provision, label, pin, grant, map, ACPI, live XML, record
}

TEST_F(LiveFaults, AttachSurvivesEverySimulatedHypercallFailure)
{
    LiveHost host;
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Sim, "attach", host.dir(), [&] {
        host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive);
    }, check);
    // One grant and eight mapping calls.
    EXPECT_EQ(points, 9u);
}

TEST_F(LiveFaults, DetachPutsEveryStepBack)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("256", "MiB"), kAffectLive);
    host.driver().attachDevice("demo", test::fileXml(host.mount() + "/keep.img", 4), kAffectLive);
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Live, "detach", host.dir(), [&] {
        host.driver().detachDeviceAlias("demo", "nvdimm1", kAffectLive, false);
    }, check);
    EXPECT_GT(points, 6u);
}

TEST_F(LiveFaults, StartRollsBackToAShutOffDomain)
{
    LiveHost host;
    host.driver().attachDevice("demo2", test::devdaxXml("128", "MiB"), kAffectConfig);
    host.driver().attachDevice("demo2", test::fileXml(host.mount() + "/d2.img", 4), kAffectConfig);
    // The file exists from a first start, so "before" has it.
    host.driver().start("demo2");
    host.driver().destroy("demo2");
    auto check = unchangedSince(host.dir());
    const unsigned points = sweep(fault::Domain::Live, "start", host.dir(), [&] { host.driver().start("demo2"); },
                                  check);
    EXPECT_GT(points, 6u);
    const SimStats stats = host.conn().requireSimulated("test").stats();
    bool running = false;
    for (const auto &d : stats.domains)
        if (d.name == "demo2") {
            running = true;
            EXPECT_EQ(d.mapped_bytes, (128ull + 4) << 20);
            EXPECT_EQ(d.guest.nvdimms.size(), 2u);
        }
    EXPECT_TRUE(running);
}

TEST_F(LiveFaults, DestroyEndsRunningOrFullyReleased)
{
    LiveHost host;
    host.driver().attachDevice("demo2", test::devdaxXml("128", "MiB"), kAffectConfig);
    host.driver().attachDevice("demo2", test::fileXml(host.mount() + "/d2.img", 4), kAffectConfig);
    host.driver().start("demo2");
    host.driver().destroy("demo2");
    const test::Snapshot off = test::snapshotHost(host.dir());
    host.driver().start("demo2");
    const test::Snapshot on = test::snapshotHost(host.dir());

    unsigned points = 0;
    for (unsigned n = 1; n < 200; n++) {
        fault::setFaultAt(fault::Domain::Live, n);
        bool failed = false;
        try {
            host.driver().destroy("demo2");
        } catch (const Error &e) {
            failed = true;
            EXPECT_NE(e.message().find("injected fault"), std::string::npos) << e.message();
        }
        const unsigned passed = fault::pointsPassed(fault::Domain::Live);
        fault::setFaultAt(fault::Domain::Live, 0);
        const test::Snapshot now = test::snapshotHost(host.dir());
        if (!failed) {
            EXPECT_EQ(test::diffSnapshots(off, now), "");
            points = passed;
            break;
        }
        // Before the domain is gone nothing changed; after, the release
        // was finished anyway.
        const std::string toOn = test::diffSnapshots(on, now), toOff = test::diffSnapshots(off, now);
        EXPECT_TRUE(toOn.empty() || toOff.empty())
            << "destroy step " << n << " (" << fault::lastPoint(fault::Domain::Live) << ")\nvs running:\n"
            << toOn << "vs shut off:\n" << toOff;
        if (toOff.empty())
            host.driver().start("demo2");
    }
    std::cout << "destroy: " << points << " injection points (live)" << std::endl;
    EXPECT_GT(points, 2u);
}
