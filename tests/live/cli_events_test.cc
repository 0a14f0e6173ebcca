// `event` as a concurrent process: started before the attach, it sees
// the events the other commands produce, in virsh's words.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cli_support.h"

using namespace xlnv::test;
using namespace std::chrono_literals;

namespace {

// The follower takes the events file's end offset when it starts, then
// polls: nothing may happen before it gets there.
void letFollowerStart(const CliProcess &follower)
{
    ASSERT_TRUE(follower.waitUntilPolling()) << "`event` never started waiting";
}

TEST(CliEvent, LoopSeesAddedThenRemovedAndCountsThem)
{
    SimHostDir host;
    auto follower = host.spawn({"event", "--domain", "demo", "--loop", "--timeout", "20"});
    letFollowerStart(*follower);
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    ASSERT_EQ(host.cli({"attach-device", "demo", dev, "--live"}).status, 0);
    ASSERT_EQ(host.cli({"detach-device-alias", "demo", "nvdimm0", "--live"}).status, 0);
    EXPECT_TRUE(follower->waitForLines(2));
    follower->signal(SIGINT);
    const CliResult r = follower->wait();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "event 'device-added' for domain 'demo': nvdimm0\n"
              "event 'device-removed' for domain 'demo': nvdimm0\n"
              "event loop interrupted\n"
              "events received: 2\n");
}

TEST(CliEvent, WithoutLoopStopsAfterTheFirstEvent)
{
    SimHostDir host;
    auto follower = host.spawn({"event", "--timeout", "20"});
    letFollowerStart(*follower);
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("a.xml", nvdimmXml({.size_mib = 256}))}).status, 0);
    const CliResult r = follower->wait();
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out,
              "event 'device-added' for domain 'demo': nvdimm0\n"
              "events received: 1\n");
}

TEST(CliEvent, TimeoutEndsAQuietLoop)
{
    SimHostDir host;
    const auto start = std::chrono::steady_clock::now();
    const CliResult r = host.cli({"event", "--loop", "--timeout", "1"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "event loop timed out\nevents received: 0\n");
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);
}

TEST(CliEvent, FiltersByEventTypeAndDomain)
{
    SimHostDir host;
    auto removedOnly = host.spawn({"event", "--event", "device-removed", "--loop", "--timeout", "20"});
    auto demo2Only = host.spawn({"event", "--domain", "demo2", "--loop", "--timeout", "20"});
    letFollowerStart(*removedOnly);
    letFollowerStart(*demo2Only);
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    ASSERT_EQ(host.cli({"attach-device", "demo", dev}).status, 0);
    ASSERT_EQ(host.cli({"detach-device", "demo", dev}).status, 0);
    EXPECT_TRUE(removedOnly->waitForLines(1));
    std::this_thread::sleep_for(200ms);   // demo2Only must stay silent: give it the chance not to
    removedOnly->signal(SIGINT);
    demo2Only->signal(SIGINT);
    const CliResult removed = removedOnly->wait();
    const CliResult other = demo2Only->wait();
    EXPECT_EQ(removed.out,
              "event 'device-removed' for domain 'demo': nvdimm0\n"
              "event loop interrupted\n"
              "events received: 1\n");
    EXPECT_EQ(other.out, "event loop interrupted\nevents received: 0\n");
}

TEST(CliEvent, SeesEventsOfConcurrentAttaches)
{
    SimHostDir host;
    auto follower = host.spawn({"event", "--event", "device-added", "--loop", "--timeout", "30"});
    letFollowerStart(*follower);
    const std::string mount = host.fsdaxMount();
    std::vector<std::unique_ptr<CliProcess>> attaches;
    for (int i = 0; i < 3; ++i)
        attaches.push_back(host.spawn({"attach-device", "demo",
                                       host.file("d" + std::to_string(i) + ".xml",
                                                 nvdimmXml({.path = mount + "/e" + std::to_string(i) + ".img",
                                                            .size_mib = 16}))}));
    for (auto &a : attaches)
        EXPECT_EQ(a->wait().status, 0);
    EXPECT_TRUE(follower->waitForLines(3));
    follower->signal(SIGINT);
    const CliResult r = follower->wait();
    for (const char *alias : {"nvdimm0", "nvdimm1", "nvdimm2"})
        EXPECT_TRUE(contains(r.out, std::string("event 'device-added' for domain 'demo': ") + alias + "\n"))
            << r.out;
    EXPECT_TRUE(contains(r.out, "events received: 3\n")) << r.out;
}

TEST(CliEvent, UnknownEventTypeIsAUsageError)
{
    SimHostDir host;
    const CliResult r = host.cli({"event", "--event", "lifecycle"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
}

} // namespace
