// Live and persistent attach/detach on sim:///default, end to end through
// NvdimmDriver: what the hypervisor maps, what dumpxml shows, what the
// guest is told, and what is left on the host afterwards.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "util/state_dir.h"
#include "libxl/domain_status.h"
#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"
#include "util/fd.h"
#include "pmem/pin.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

const SimDomainStats *statsFor(const SimStats &s, const std::string &name)
{
    for (const auto &d : s.domains)
        if (d.name == name)
            return &d;
    return nullptr;
}

bool immutable(const std::string &path)
{
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    int flags = 0;
    bool r = fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL);
    if (fd >= 0)
        close(fd);
    return r;
}

uid_t ownerOf(const std::string &path)
{
    struct stat st {};
    stat(path.c_str(), &st);
    return st.st_uid;
}

} // namespace

TEST(LiveAttach, DevdaxMapsWithSuperpagesAndShowsAliasInDumpxml)
{
    LiveHost host;
    const std::string before = host.driver().dumpXml("demo", false);
    EXPECT_EQ(before.find("model='nvdimm'"), std::string::npos);

    const std::string alias = host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive);
    EXPECT_EQ(alias, "nvdimm0");

    const std::string xml = host.driver().dumpXml("demo", false);
    EXPECT_NE(xml.find("<alias name='nvdimm0'/>"), std::string::npos) << xml;
    EXPECT_NE(xml.find("<address type='dimm' slot='0' base='0x"), std::string::npos) << xml;
    // Not in the persistent definition (live only).
    EXPECT_EQ(host.driver().dumpXml("demo", true).find("model='nvdimm'"), std::string::npos);

    SimStats stats = host.conn().requireSimulated("test").stats();
    const SimDomainStats *demo = statsFor(stats, "demo");
    ASSERT_NE(demo, nullptr);
    EXPECT_EQ(demo->mapped_bytes, 1ull << 30);
    // 1 GiB = 512 superpages = 8 calls of 64.
    EXPECT_EQ(stats.counters.map_calls, 8u);
    EXPECT_EQ(stats.counters.entries_2m, 512u);
    EXPECT_EQ(stats.counters.entries_4k, 0u);
    ASSERT_EQ(demo->iomem.size(), 1u);
    ASSERT_EQ(demo->guest.nvdimms.size(), 1u);
    EXPECT_EQ(demo->guest.nvdimms[0].alias, "nvdimm0");
    EXPECT_EQ(demo->guest.nvdimms[0].size, 1ull << 30);
    EXPECT_GT(demo->guest.acpi_firmware_bytes, 0u);
    EXPECT_EQ(access((host.dir() + "/domains/demo/nvdimm-acpi.bin").c_str(), F_OK), 0);

    // The stand-in for /dev/dax0.0 is labeled for the device model and
    // claimed for demo, but not made immutable: a character device has no
    // such flag, and the state directory must stay removable.
    const std::string image = host.dir() + "/pmem/namespace0.0.img";
    EXPECT_EQ(ownerOf(image), test::kDmUid);
    EXPECT_FALSE(immutable(image));
    UniqueFd fd(open(image.c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    const auto holder = pinHolder(fd.get(), host.dir());
    ASSERT_TRUE(holder.has_value());
    EXPECT_EQ(holder->owner, "demo");
}

TEST(LiveAttach, DetachRemovesEverythingTheAttachAdded)
{
    LiveHost host;
    const auto snap = test::snapshotHost(host.dir());
    const std::string xmlBefore = host.driver().dumpXml("demo", false);
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    EXPECT_EQ(host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false), "nvdimm0");

    EXPECT_EQ(host.driver().dumpXml("demo", false), xmlBefore);
    SimStats stats = host.conn().requireSimulated("test").stats();
    EXPECT_EQ(statsFor(stats, "demo")->mapped_bytes, 0u);
    EXPECT_TRUE(statsFor(stats, "demo")->iomem.empty());
    EXPECT_TRUE(statsFor(stats, "demo")->guest.nvdimms.empty());
    EXPECT_EQ(test::diffSnapshots(snap, test::snapshotHost(host.dir())), "");
}

TEST(LiveAttach, FsdaxFileIsCreatedPinnedAndKeptAfterDetach)
{
    LiveHost host;
    const std::string file = host.mount() + "/guest1.img";
    host.driver().attachDevice("demo", test::fileXml(file, 4), kAffectLive);
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 4 << 20);
    EXPECT_TRUE(immutable(file));
    EXPECT_EQ(st.st_uid, test::kDmUid);
    EXPECT_EQ(statsFor(host.conn().requireSimulated("test").stats(), "demo")->mapped_bytes, 4u << 20);

    host.driver().detachDevice("demo", test::fileXml(file, 4), kAffectLive, false);
    ASSERT_EQ(stat(file.c_str(), &st), 0) << "detach must not remove the guest's data";
    EXPECT_FALSE(immutable(file));
    EXPECT_EQ(st.st_uid, 0u);
}

TEST(LiveAttach, TwoDevicesGetTheirOwnSlotsAndDisjointRanges)
{
    LiveHost host;
    EXPECT_EQ(host.driver().attachDevice("demo", test::devdaxXml("256", "MiB"), kAffectLive), "nvdimm0");
    EXPECT_EQ(host.driver().attachDevice("demo", test::fileXml(host.mount() + "/b.img", 8), kAffectLive),
              "nvdimm1");
    const SimStats stats = host.conn().requireSimulated("test").stats();
    const auto *demo = statsFor(stats, "demo");
    ASSERT_EQ(demo->guest.nvdimms.size(), 2u);
    const SimGuestNvdimm a = demo->guest.nvdimms[0], b = demo->guest.nvdimms[1];
    EXPECT_TRUE(a.base + a.size <= b.base || b.base + b.size <= a.base);
    EXPECT_EQ(demo->mapped_bytes, (256ull + 8) << 20);
    const std::string xml = host.driver().dumpXml("demo", false);
    EXPECT_NE(xml.find("<alias name='nvdimm1'/>"), std::string::npos);
    EXPECT_NE(xml.find("slot='1'"), std::string::npos);

    // Detaching the first leaves the second where it was.
    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
    const SimStats statsAfter = host.conn().requireSimulated("test").stats();
    const auto *after = statsFor(statsAfter, "demo");
    ASSERT_EQ(after->guest.nvdimms.size(), 1u);
    EXPECT_EQ(after->guest.nvdimms[0], b);
}

TEST(LiveAttach, ReadonlyIsRefusedBecauseXenCannotEnforceIt)
{
    LiveHost host;
    const auto before = test::snapshotHost(host.dir());
    try {
        host.driver().attachDevice("demo", test::devdaxXml("64", "MiB", true), kAffectLive);
        ADD_FAILURE() << "a read-only NVDIMM was attached with a writable mapping";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_NE(std::string(e.what()).find("XEN_DOMCTL_memory_mapping has no read-only mode"),
                  std::string::npos) << e.what();
    }
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(host.dir())), "");
}

TEST(LiveAttach, AdvisoryReadonlyDeviceIsReadonlyInTheLiveXml)
{
    LiveHost host("sim:///default", "advisory_readonly = true\n");
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB", true), kAffectLive);
    EXPECT_NE(host.driver().dumpXml("demo", false).find("<readonly/>"), std::string::npos);
}

TEST(LiveAttach, ConfigAttachToAnInactiveDomainAssignsSlotAndAddress)
{
    LiveHost host;
    host.driver().attachDevice("demo2", test::fileXml(host.mount() + "/d2.img", 4), kAffectConfig);
    const std::string xml = host.driver().dumpXml("demo2", true);
    EXPECT_NE(xml.find("<address type='dimm' slot='0' base='0x"), std::string::npos) << xml;
    // Nothing on the host changed for a persistent-only attach.
    EXPECT_NE(access((host.mount() + "/d2.img").c_str(), F_OK), 0);

    host.driver().detachDevice("demo2", test::fileXml(host.mount() + "/d2.img", 4), kAffectCurrent, false);
    EXPECT_EQ(host.driver().dumpXml("demo2", true).find("model='nvdimm'"), std::string::npos);
}

TEST(LiveAttach, LiveAndConfigGiveTheSameAddress)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), persistentFlags(true));
    const std::string live = host.driver().dumpXml("demo", false);
    const std::string config = host.driver().dumpXml("demo", true);
    auto addr = [](const std::string &x) {
        auto p = x.find("<address type='dimm'");
        return p == std::string::npos ? std::string() : x.substr(p, x.find("/>", p) - p);
    };
    EXPECT_FALSE(addr(live).empty());
    EXPECT_EQ(addr(live), addr(config));

    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive | kAffectConfig, false);
    EXPECT_EQ(host.driver().dumpXml("demo", true).find("model='nvdimm'"), std::string::npos);
}

TEST(LiveAttach, LiveAttachToAnInactiveDomainIsRefused)
{
    LiveHost host;
    try {
        host.driver().attachDevice("demo2", test::devdaxXml("64", "MiB"), kAffectLive);
        FAIL() << "attach succeeded";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("domain is not running"), std::string::npos) << e.message();
    }
}

TEST(LiveAttach, ConfigAttachToATransientDomainIsRefused)
{
    LiveHost host;
    host.driver().undefine("demo");   // still running, now transient
    try {
        host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectConfig);
        FAIL() << "attach succeeded";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("transient domains do not have any persistent config"), std::string::npos)
            << e.message();
    }
}

TEST(LiveAttach, SameBackingTwiceInOneDomainIsRefusedAndLeavesNothing)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    const auto snap = test::snapshotHost(host.dir());
    EXPECT_THROW(host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive), Error);
    EXPECT_EQ(test::diffSnapshots(snap, test::snapshotHost(host.dir())), "");
}

TEST(LiveAttach, DeviceBeyondMaxMemoryIsRefusedWithLibvirtsWords)
{
    LiveHost host;
    try {
        host.driver().attachDevice("demo", test::devdaxXml("4096", "GiB"), kAffectLive);
        FAIL() << "attach succeeded";
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("would exceed domain's maxMemory config size"), std::string::npos)
            << e.message();
    }
}

// sim:///default's description, with demo answering eject requests as
// `eject` says; written into `dir`, returns its path.
static std::string demoEjectingHost(const std::string &dir, const char *eject)
{
    const std::string desc = dir + "/eject-" + eject + ".xml";
    std::string xml = libxl::defaultSimHostXml();
    const std::string from = "<guest id='1' state='running'>";
    xml.replace(xml.find(from), from.size(), "<guest id='1' state='running' eject='" + std::string(eject) + "'>");
    FILE *f = fopen(desc.c_str(), "w");
    fputs(xml.c_str(), f);
    fclose(f);
    return desc;
}

TEST(LiveAttach, GuestThatRefusesTheEjectKeepsTheDevice)
{
    LiveHost probe;   // only for a directory to hold the description
    LiveHost host("sim://" + demoEjectingHost(probe.dir(), "refuse"));
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    try {
        host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
        FAIL() << "detach succeeded";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationFailed);
        EXPECT_NE(e.message().find("guest refused to release NVDIMM 'nvdimm0'"), std::string::npos)
            << e.message();
    }
    EXPECT_EQ(statsFor(host.conn().requireSimulated("test").stats(), "demo")->mapped_bytes, 64u << 20);
    // --force does not ask.
    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, true);
    EXPECT_EQ(statsFor(host.conn().requireSimulated("test").stats(), "demo")->mapped_bytes, 0u);
}

TEST(LiveAttach, GuestThatIgnoresTheEjectTimesOut)
{
    LiveHost probe;   // only for a directory to hold the description
    LiveHost host("sim://" + demoEjectingHost(probe.dir(), "ignore"));
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    try {
        host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectLive, false);
        FAIL() << "detach succeeded";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationTimeout);
        EXPECT_NE(e.message().find("did not release NVDIMM 'nvdimm0' within 200 ms"), std::string::npos)
            << e.message();
    }
}

TEST(LiveAttach, ConfigOnlyDetachByAliasOfARunningDomainKeepsTheLiveDevice)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), persistentFlags(true));
    host.driver().detachDeviceAlias("demo", "nvdimm0", kAffectConfig, false);
    EXPECT_EQ(host.driver().dumpXml("demo", true).find("model='nvdimm'"), std::string::npos);
    EXPECT_NE(host.driver().dumpXml("demo", false).find("<alias name='nvdimm0'/>"), std::string::npos);
    EXPECT_EQ(statsFor(host.conn().requireSimulated("test").stats(), "demo")->mapped_bytes, 64u << 20);
}

// The journal is fsynced only where a host crash would leave something to
// undo (docs/live.rst): a devdax attach changes device nodes and mappings
// alone; a file attach changes a file's owner and immutable flag.
TEST(LiveAttach, OnlyAFileAttachWritesDurably)
{
    LiveHost host;
    const std::string status = host.dir() + "/domains/demo/status.json";
    uint64_t before = durableWriteCount();
    const std::string dax = host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive);
    EXPECT_EQ(durableWriteCount() - before, 0u);
    auto record = readFileIfExists(status);
    ASSERT_TRUE(record.has_value());
    EXPECT_NE(record->find("\"host_file\": false"), std::string::npos) << *record;

    const std::string file = host.mount() + "/durable.img";
    before = durableWriteCount();
    const std::string fileAlias = host.driver().attachDevice("demo", test::fileXml(file, 4), kAffectLive);
    // The record of a file it may create, the intent, the pin record and
    // the final record.
    EXPECT_EQ(durableWriteCount() - before, 4u);
    record = readFileIfExists(status);
    ASSERT_TRUE(record.has_value());
    EXPECT_NE(record->find("\"host_file\": true"), std::string::npos) << *record;

    // With the file gone again, the record is back to device nodes only.
    host.driver().detachDeviceAlias("demo", fileAlias, kAffectLive, true);
    before = durableWriteCount();
    host.driver().detachDeviceAlias("demo", dax, kAffectLive, true);
    EXPECT_EQ(durableWriteCount() - before, 0u);
}

// An empty status file is what a host crash leaves of a record written
// without fsync: the domain it described is gone, so it reads as none.
TEST(LiveAttach, AnEmptyStatusFileReadsAsNoRecord)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive);
    const std::string status = host.dir() + "/domains/demo/status.json";
    ASSERT_EQ(truncate(status.c_str(), 0), 0);
    StatusStore store(host.dir());
    EXPECT_FALSE(store.load("demo").has_value());
    // Not so for a record that is merely damaged.
    writeFileAtomic(status, "{\"name\": ");
    EXPECT_THROW(store.load("demo"), Error);
}
