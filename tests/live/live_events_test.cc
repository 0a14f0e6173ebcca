// DEVICE_ADDED / DEVICE_REMOVED: in-process callbacks, the events file
// (one JSON object a line), virsh's wording, torn lines.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "libxl/device_event.h"
#include "live_test_util.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

TEST(LiveEvents, FormatsLikeVirsh)
{
    DeviceEvent e;
    e.kind = DeviceEventKind::Added;
    e.domain = "demo";
    e.alias = "nvdimm0";
    EXPECT_EQ(formatDeviceEvent(e), "event 'device-added' for domain 'demo': nvdimm0");
    e.kind = DeviceEventKind::Removed;
    EXPECT_EQ(formatDeviceEvent(e), "event 'device-removed' for domain 'demo': nvdimm0");
    EXPECT_EQ(deviceEventFromName("device-removed"), DeviceEventKind::Removed);
    EXPECT_THROW(deviceEventFromName("device-exploded"), Error);
}

TEST(LiveEvents, AttachAndDetachReachCallbacksAndTheFile)
{
    LiveHost host;
    EventLog log(host.dir());
    uint64_t offset = log.endOffset();
    std::vector<DeviceEvent> seen;
    const int id = host.driver().addEventCallback([&](const DeviceEvent &e) { seen.push_back(e); });
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
    host.driver().removeEventCallback(id);
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);

    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(formatDeviceEvent(seen[0]), "event 'device-added' for domain 'demo': nvdimm0");
    EXPECT_EQ(formatDeviceEvent(seen[1]), "event 'device-removed' for domain 'demo': nvdimm0");
    EXPECT_EQ(seen[0].uuid, "4dea22b3-1d52-d8f3-2516-782e98ab3fa0");

    auto events = log.readFrom(offset);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].seq, 1u);
    EXPECT_EQ(events[2].seq, 3u);
    EXPECT_EQ(events[2].kind, DeviceEventKind::Added);
    EXPECT_LE(events[0].time_us, events[2].time_us);
    EXPECT_TRUE(log.readFrom(offset).empty());
}

TEST(LiveEvents, FailedAttachEmitsNothing)
{
    LiveHost host;
    int calls = 0;
    host.driver().addEventCallback([&](const DeviceEvent &) { calls++; });
    EXPECT_THROW(host.driver().attachDevice("demo", test::devdaxXml("4096", "GiB"), kAffectLive), Error);
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(EventLog(host.dir()).endOffset(), 0u);
}

TEST(LiveEvents, TornLineIsLeftForLaterAndClosedOffByTheNextWriter)
{
    LiveHost host;
    EventLog log(host.dir());
    DeviceEvent e;
    e.domain = "demo";
    e.alias = "nvdimm0";
    log.append(e);
    // A writer killed mid-line.
    int fd = open(log.path().c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "{\"seq\":2,\"ti", 12), 12);
    close(fd);
    uint64_t offset = 0;
    auto first = log.readFrom(offset);
    ASSERT_EQ(first.size(), 1u);
    DeviceEvent next;
    next.kind = DeviceEventKind::Removed;
    next.domain = "demo";
    next.alias = "nvdimm0";
    log.append(next);
    EXPECT_EQ(next.seq, 2u);
    auto rest = log.readFrom(offset);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].kind, DeviceEventKind::Removed);
}

TEST(LiveEvents, CallbackExceptionsAreDropped)
{
    LiveHost host;
    int later = 0;
    host.driver().addEventCallback([](const DeviceEvent &) { throw std::runtime_error("boom"); });
    host.driver().addEventCallback([&](const DeviceEvent &) { later++; });
    EXPECT_EQ(host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive), "nvdimm0");
    EXPECT_EQ(later, 1);
}
