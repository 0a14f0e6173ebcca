// Domain lifecycle on sim:///default: define/undefine, prepare/release
// (what the hook runs), start (built from our libxl config) and destroy.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

std::string demo3Xml(const std::string &devices)
{
    return "<domain type='xen'><name>demo3</name><uuid>11111111-2222-3333-4444-555555555555</uuid>"
           "<maxMemory slots='4' unit='KiB'>67108864</maxMemory><memory unit='KiB'>1048576</memory>"
           "<currentMemory unit='KiB'>1048576</currentMemory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='xenfv'>hvm</type></os>"
           "<cpu><numa><cell id='0' cpus='0' memory='1048576' unit='KiB'/></numa></cpu>"
           "<devices>" + devices + "</devices></domain>";
}

const SimDomainStats *statsFor(const SimStats &s, const std::string &name)
{
    for (const auto &d : s.domains)
        if (d.name == name)
            return &d;
    return nullptr;
}

} // namespace

TEST(LiveLifecycle, StartMapsTheDefinedNvdimmsAndDestroyReleasesThem)
{
    LiveHost host;
    const auto off = test::snapshotHost(host.dir());
    const std::string defined = host.driver().define(demo3Xml(test::devdaxXml("256", "MiB")));
    EXPECT_EQ(defined, "demo3");
    const auto definedSnap = test::snapshotHost(host.dir());

    DomainInfo info = host.driver().start("demo3");
    ASSERT_TRUE(info.domid.has_value());
    const SimStats stats = host.conn().requireSimulated("test").stats();
    const auto *d = statsFor(stats, "demo3");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->mapped_bytes, 256u << 20);
    ASSERT_EQ(d->guest.nvdimms.size(), 1u);
    EXPECT_EQ(d->guest.nvdimms[0].alias, "nvdimm0");
    EXPECT_EQ(d->guest.acpi_firmware, host.dir() + "/domains/demo3/nvdimm-acpi.bin");
    const std::string live = host.driver().dumpXml("demo3", false);
    EXPECT_NE(live.find("<alias name='nvdimm0'/>"), std::string::npos) << live;

    host.driver().destroy("demo3");
    EXPECT_EQ(statsFor(host.conn().requireSimulated("test").stats(), "demo3"), nullptr);
    EXPECT_EQ(test::diffSnapshots(definedSnap, test::snapshotHost(host.dir())), "");
    host.driver().undefine("demo3");
    EXPECT_EQ(test::diffSnapshots(off, test::snapshotHost(host.dir())), "");
}

TEST(LiveLifecycle, PrepareAssignsAddressesAndReleaseUndoesIt)
{
    LiveHost host;
    const auto before = test::snapshotHost(host.dir());
    const std::string file = host.mount() + "/hook.img";
    PreparedDomain p = host.driver().prepare(demo3Xml(test::fileXml(file, 4) + test::devdaxXml("64", "MiB")));
    EXPECT_EQ(p.name, "demo3");
    ASSERT_EQ(p.layout.devices.size(), 2u);
    EXPECT_NE(p.xml.find("<alias name='nvdimm1'/>"), std::string::npos);
    EXPECT_EQ(p.acpi_firmware_path, host.dir() + "/domains/demo3/nvdimm-acpi.bin");
    EXPECT_EQ(access(p.acpi_firmware_path.c_str(), F_OK), 0);
    // Prepare twice: the second wins, nothing is held twice.
    host.driver().prepare(demo3Xml(test::fileXml(file, 4) + test::devdaxXml("64", "MiB")));

    host.driver().release("demo3");
    host.driver().release("demo3");   // idempotent
    unlink(file.c_str());             // the guest's data stays; the test removes it
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(host.dir())), "");
}

TEST(LiveLifecycle, UndefineOfARunningDomainMakesItTransient)
{
    LiveHost host;
    host.driver().undefine("demo");
    EXPECT_NO_THROW(host.driver().dumpXml("demo", false));
    host.driver().destroy("demo");
    EXPECT_THROW(host.conn().hypervisor().lookupByName("demo"), Error);
}

TEST(LiveLifecycle, DefineRefusesWhatXenCannotRun)
{
    LiveHost host;
    std::string xml = demo3Xml(test::devdaxXml("64", "MiB"));
    xml.replace(xml.find("<maxMemory slots='4' unit='KiB'>67108864</maxMemory>"),
                std::string("<maxMemory slots='4' unit='KiB'>67108864</maxMemory>").size(), "");
    EXPECT_THROW(host.driver().define(xml), Error);
    EXPECT_FALSE(host.conn().definitions().get("demo3").has_value());
}

TEST(LiveLifecycle, DestroyOfAShutOffDomainIsRefused)
{
    LiveHost host;
    try {
        host.driver().destroy("demo2");
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
    }
}
