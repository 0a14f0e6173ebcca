// NVDIMM hotplug on sim:///default (docs/live.rst, "How a running guest
// learns of a new NVDIMM"): a domain started with hotplug tables, live
// attaches that append to its FIT page and notify the simulated guest,
// which only sees what it read from that page and refuses a FIT that
// drops or changes an entry, as Linux's nfit driver does.
#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "acpi/fit_page.h"
#include "acpi/nfit.h"
#include "libxl/device_event.h"
#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

std::string hotXml(const std::string &devices)
{
    return "<domain type='xen'><name>hot</name><uuid>11111111-2222-3333-4444-666666666666</uuid>"
           "<maxMemory slots='4' unit='KiB'>67108864</maxMemory><memory unit='KiB'>1048576</memory>"
           "<currentMemory unit='KiB'>1048576</currentMemory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='xenfv'>hvm</type></os>"
           "<devices>" + devices + "</devices></domain>";
}

SimGuestView guestOf(LiveHost &host)
{
    for (const auto &d : host.conn().requireSimulated("test").stats().domains)
        if (d.name == "hot")
            return d.guest;
    ADD_FAILURE() << "domain 'hot' is not running";
    return {};
}

nlohmann::json statusOf(LiveHost &host)
{
    std::ifstream in(host.dir() + "/domains/hot/status.json");
    return nlohmann::json::parse(in);
}

std::string file(LiveHost &host, const std::string &name, unsigned mib = 64)
{
    return test::fileXml(host.mount() + "/" + name, mib);
}

} // namespace

TEST(LiveHotplug, AttachAppendsToTheFitAndTheGuestSeesEachNewNvdimm)
{
    LiveHost host;
    host.driver().define(hotXml(file(host, "a.img")));
    host.driver().start("hot");
    SimGuestView g = guestOf(host);
    EXPECT_TRUE(g.fit_booted);
    ASSERT_EQ(g.fit_devices.size(), 1u);
    EXPECT_EQ(g.notifications, 0u);
    EXPECT_TRUE(g.fit_page.empty());

    EventLog log(host.dir());
    uint64_t offset = log.endOffset();
    EXPECT_EQ(host.driver().attachDevice("hot", file(host, "b.img", 128), kAffectLive), "nvdimm1");
    g = guestOf(host);
    EXPECT_EQ(g.notifications, 1u);
    EXPECT_EQ(g.fit_rejections, 0u) << g.fit_error;
    ASSERT_EQ(g.fit_devices.size(), 2u);
    EXPECT_EQ(g.fit_devices[1].slot, 1u);
    EXPECT_EQ(g.fit_devices[1].size, 128u << 20);
    EXPECT_EQ(g.fit.size(), 2 * acpi::kFitBytesPerNvdimm);
    ASSERT_EQ(g.fit_page.size(), acpi::kFitPageSize);
    EXPECT_EQ(g.fit_page[0], 2);   // generation 2: stable
    // The boot entries are the page's first bytes, unchanged.
    EXPECT_EQ(std::vector<uint8_t>(g.fit_page.begin() + 8, g.fit_page.begin() + 8 + acpi::kFitBytesPerNvdimm),
              std::vector<uint8_t>(g.fit.begin(), g.fit.begin() + acpi::kFitBytesPerNvdimm));
    auto events = log.readFrom(offset);
    ASSERT_EQ(events.size(), 1u);
    ASSERT_TRUE(events[0].guest_notified.has_value());
    EXPECT_TRUE(*events[0].guest_notified);
    const auto st = statusOf(host);
    EXPECT_TRUE(st["devices"][1]["notified"].get<bool>()) << st.dump(2);

    EXPECT_EQ(host.driver().attachDevice("hot", file(host, "c.img"), kAffectLive), "nvdimm2");
    g = guestOf(host);
    EXPECT_EQ(g.notifications, 2u);
    ASSERT_EQ(g.fit_devices.size(), 3u);
    EXPECT_EQ(g.fit_page[0], 4);
    // The guest's ranges are the ones the live XML shows.
    const std::string live = host.driver().dumpXml("hot", false);
    for (const auto &d : g.fit_devices)
        EXPECT_NE(live.find("base='0x" + [&] { char b[32]; snprintf(b, sizeof b, "%llx", (unsigned long long)d.base); return std::string(b); }() + "'"),
                  std::string::npos) << live;
    host.driver().destroy("hot");
}

TEST(LiveHotplug, ZeroNvdimmsAtBootThenTheFirst)
{
    LiveHost host;
    host.driver().define(hotXml(""));
    host.driver().start("hot");
    SimGuestView g = guestOf(host);
    EXPECT_TRUE(g.fit_booted);
    EXPECT_TRUE(g.fit_devices.empty());
    // The blob is the hotplug SSDT alone.
    EXPECT_EQ(access((host.dir() + "/domains/hot/nvdimm-acpi.bin").c_str(), F_OK), 0);

    EXPECT_EQ(host.driver().attachDevice("hot", file(host, "a.img"), kAffectLive), "nvdimm0");
    g = guestOf(host);
    EXPECT_EQ(g.notifications, 1u);
    ASSERT_EQ(g.fit_devices.size(), 1u);
    EXPECT_EQ(g.fit_devices[0].size, 64u << 20);
    host.driver().destroy("hot");
}

// --force detach: unmapped, but the guest keeps the entry (Linux cannot
// drop one), so its slot and range stay taken; the next attach appends
// after it and the guest accepts.
TEST(LiveHotplug, ForcedDetachKeepsTheFitEntryAndItsSlot)
{
    LiveHost host;
    host.driver().define(hotXml(file(host, "a.img")));
    host.driver().start("hot");
    host.driver().attachDevice("hot", file(host, "b.img"), kAffectLive);
    host.driver().detachDeviceAlias("hot", "nvdimm1", kAffectLive, true);
    SimGuestView g = guestOf(host);
    EXPECT_EQ(g.fit_devices.size(), 2u);
    const auto st = statusOf(host);
    ASSERT_EQ(st["occupied"].size(), 1u) << st.dump(2);
    EXPECT_EQ(st["occupied"][0]["slot"], 1);

    EXPECT_EQ(host.driver().attachDevice("hot", file(host, "c.img"), kAffectLive), "nvdimm2");
    g = guestOf(host);
    EXPECT_EQ(g.fit_rejections, 0u) << g.fit_error;
    ASSERT_EQ(g.fit_devices.size(), 3u);
    EXPECT_GE(g.fit_devices[2].base, g.fit_devices[1].base + g.fit_devices[1].size);
    host.driver().destroy("hot");
}

// The guest model refuses what Linux refuses, and reads only stable pages.
TEST(LiveHotplug, GuestRefusesAFitThatDropsAnEntry)
{
    LiveHost host;
    host.driver().define(hotXml(file(host, "a.img")));
    const DomainInfo info = host.driver().start("hot");
    auto *sim = &host.conn().requireSimulated("test");
    const SimGuestView booted = guestOf(host);
    ASSERT_EQ(booted.fit_devices.size(), 1u);
    const uint64_t gfn = statusOf(host)["fit_page"].get<uint64_t>() / 4096;

    acpi::NfitDevice other;
    other.slot = 3;
    other.spa = booted.fit_devices[0].base + (1ull << 30);
    other.size = 2u << 20;
    const auto r = sim->notifyNvdimmChange(*info.domid, gfn, acpi::buildFitPage(2, acpi::buildFit({other})), 13);
    EXPECT_TRUE(r.notified);
    EXPECT_TRUE(r.page_created);
    SimGuestView g = guestOf(host);
    EXPECT_EQ(g.fit_rejections, 1u);
    EXPECT_EQ(g.fit_error, "new nfit deletes entries (unsupported)");
    EXPECT_EQ(g.fit_devices, booted.fit_devices);

    // An odd generation is the toolstack's bug, refused before the guest sees it.
    EXPECT_THROW(sim->notifyNvdimmChange(*info.domid, gfn, acpi::buildFitPage(3, {}), 13), Error);
    // The FIT page must not be guest RAM.
    EXPECT_THROW(sim->notifyNvdimmChange(*info.domid, 16, acpi::buildFitPage(4, {}), 13), Error);
    host.driver().destroy("hot");
}

// A running domain we have no record of (as one `xl` created from our
// domxml-to-native output): the attach learns its boot NVDIMM from what
// the hypervisor says it was built with, gives the new device the next
// slot and a free range, and appends to the FIT the guest booted with.
TEST(LiveHotplug, DomainWithoutOurRecordKeepsItsBootNvdimm)
{
    LiveHost host;
    host.driver().define(hotXml(file(host, "a.img")));
    const DomainInfo info = host.driver().start("hot");
    const SimGuestView booted = guestOf(host);
    ASSERT_EQ(booted.fit_devices.size(), 1u);
    // Forget what we did: no status, a live XML without the NVDIMM.
    ASSERT_EQ(unlink((host.dir() + "/domains/hot/status.json").c_str()), 0);
    host.conn().requireSimulated("test").host().liveDefinitions().define("hot", hotXml(""));
    host.reopen();

    EXPECT_EQ(host.driver().attachDevice("hot", file(host, "b.img"), kAffectLive), "nvdimm1");
    const SimGuestView g = guestOf(host);
    EXPECT_EQ(g.fit_rejections, 0u) << g.fit_error;
    ASSERT_EQ(g.fit_devices.size(), 2u);
    EXPECT_EQ(g.fit_devices[0], booted.fit_devices[0]);
    EXPECT_EQ(g.fit_devices[1].slot, 1u);
    EXPECT_GE(g.fit_devices[1].base, booted.fit_devices[0].base + booted.fit_devices[0].size);
    const auto st = statusOf(host);
    EXPECT_GE(st["occupied"].size(), 2u) << st.dump(2);   // the boot NVDIMM, its iomem range, the FIT page
    (void)info;
    host.driver().destroy("hot");
}
