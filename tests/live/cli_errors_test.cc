// Refusals: exit status 1, one "error: ..." line naming what is wrong,
// nothing on stdout, and the host exactly as before.
#include <gtest/gtest.h>

#include "cli_snapshot.h"

using namespace xlnv::test;

namespace {

// Runs `args`, expects a clean refusal whose message contains `needle`,
// and an unchanged host.
void expectRefusedUnchanged(const SimHostDir &host, const std::vector<std::string> &args,
                            const std::string &needle)
{
    const HostSnapshot before = snapshot(host);
    const CliResult r = host.cli(args);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << "message does not name '" << needle << "': " << r.err;
    EXPECT_EQ(snapshot(host), before);
}

std::string attached(SimHostDir &host, const NvdimmSpec &spec, const std::string &name)
{
    const auto file = host.file(name, nvdimmXml(spec));
    const CliResult r = host.cli({"attach-device", "demo", file, "--live"});
    EXPECT_EQ(r.status, 0) << r.err;
    return file;
}

TEST(CliRefuses, LiveAttachToShutOffDomain)
{
    SimHostDir host;
    expectRefusedUnchanged(host, {"attach-device", "demo2", host.file("d.xml", nvdimmXml({})), "--live"},
                           "domain is not running");
}

TEST(CliRefuses, UnknownDomain)
{
    SimHostDir host;
    expectRefusedUnchanged(host, {"attach-device", "nosuch", host.file("d.xml", nvdimmXml({})), "--live"},
                           "nosuch");
    expectRefusedUnchanged(host, {"dumpxml", "nosuch"}, "nosuch");
    expectRefusedUnchanged(host, {"start", "nosuch"}, "nosuch");
}

TEST(CliRefuses, MalformedDeviceXml)
{
    SimHostDir host;
    expectRefusedUnchanged(host,
                           {"attach-device", "demo", host.file("bad.xml", "<memory model='nvdimm'><source>"),
                            "--live"},
                           "device XML:1: Premature end of data");
}

TEST(CliRefuses, DeviceWithoutTarget)
{
    SimHostDir host;
    expectRefusedUnchanged(
        host,
        {"attach-device", "demo",
         host.file("nosize.xml", "<memory model='nvdimm'><source><path>/dev/dax0.0</path></source></memory>"),
         "--live"},
        "missing <target> element");
}

TEST(CliRefuses, MissingDeviceFile)
{
    SimHostDir host;
    const std::string missing = host.path("no-such-device.xml");
    expectRefusedUnchanged(host, {"attach-device", "demo", missing, "--live"}, missing);
}

TEST(CliRefuses, SlotAlreadyTaken)
{
    SimHostDir host;
    attached(host, {.size_mib = 256}, "first.xml");
    const std::string img = host.fsdaxMount() + "/slot.img";
    const auto second = host.file("second.xml",
                                  "<memory model='nvdimm'><source><path>" + img +
                                      "</path></source><target><size unit='MiB'>64</size></target>"
                                      "<address type='dimm' slot='0'/></memory>");
    expectRefusedUnchanged(host, {"attach-device", "demo", second, "--live"}, "slot");
    EXPECT_FALSE(std::filesystem::exists(img)) << "a refused attach must not leave a new backing file";
}

TEST(CliRefuses, DeviceTooBigForMaxMemory)
{
    CustomSimHost host({.demo_max_memory_kib = 8ull << 20});   // 8 GiB, 4 GiB of RAM
    expectRefusedUnchanged(*host,
                           {"attach-device", "demo", host->file("big.xml", nvdimmXml({.size_mib = 8192})),
                            "--live"},
                           "maxMemory");
}

TEST(CliRefuses, DetachOfUnknownAlias)
{
    SimHostDir host;
    attached(host, {.size_mib = 256}, "d.xml");
    expectRefusedUnchanged(host, {"detach-device-alias", "demo", "nvdimm7", "--live"}, "nvdimm7");
}

TEST(CliRefuses, DetachOfDeviceNotAttached)
{
    SimHostDir host;
    attached(host, {.size_mib = 256}, "d.xml");
    const auto other = host.file("other.xml", nvdimmXml({.path = host.fsdaxMount() + "/x.img", .size_mib = 64}));
    expectRefusedUnchanged(host, {"detach-device", "demo", other, "--live"},
                           "matching memory device was not found");
}

TEST(CliRefuses, DetachTheGuestRefusesToEject)
{
    CustomSimHost host({.eject = "refuse"});
    const auto dev = attached(*host, {.size_mib = 256}, "d.xml");
    expectRefusedUnchanged(*host, {"detach-device", "demo", dev, "--live"}, "nvdimm0");
    // --force does not ask the guest.
    const CliResult r = host->cli({"detach-device", "demo", dev, "--live", "--force"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(host->stats()["domains"]["demo"]["mapped_bytes"], 0);
}

TEST(CliRefuses, DetachTheGuestIgnoresUntilTheTimeout)
{
    CustomSimHost host({.eject = "ignore"});
    host->setConfig("[hypervisor]\neject_timeout_ms=300\n");
    attached(*host, {.size_mib = 256}, "d.xml");
    expectRefusedUnchanged(*host, {"detach-device-alias", "demo", "nvdimm0", "--live"}, "nvdimm0");
}

TEST(CliRefuses, CurrentWithLiveLikeVirsh)
{
    SimHostDir host;
    const HostSnapshot before = snapshot(host);
    const CliResult r = host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({})), "--current", "--live"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("error: Options --current and --live are mutually exclusive\n", 0), 0u) << r.err;
    EXPECT_EQ(snapshot(host), before);
}

TEST(CliRefuses, CurrentWithConfigAndPersistentLikeVirsh)
{
    SimHostDir host;
    CliResult r = host.cli({"detach-device-alias", "demo", "nvdimm0", "--current", "--config"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("error: Options --current and --config are mutually exclusive\n", 0), 0u) << r.err;
    r = host.cli({"detach-device", "demo", "x.xml", "--persistent", "--current"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("error: Options --persistent and --current are mutually exclusive\n", 0), 0u) << r.err;
}

TEST(CliRefuses, LiveAttachBeyondTheGuestsAddressWidth)
{
    // demo: 40 address bits, maxMemory 2 TiB: the window is above 1 TiB.
    CustomSimHost host({.demo_phys_bits = "40"});
    const HostSnapshot before = snapshot(*host);
    const CliResult r = host->cli({"attach-device", "demo", host->file("d.xml", nvdimmXml({})), "--live"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err,
              "error: unsupported configuration: NVDIMM 'nvdimm0' at guest address 0x20900000000-0x2093fffffff "
              "is beyond the guest's 40-bit physical address space (ends at 0x10000000000): lower <maxMemory> "
              "(or [hypervisor] default_max_memory_kib for domains without it)\n");
    EXPECT_EQ(snapshot(*host), before);
    EXPECT_EQ(host->stats()["map_calls"], 0);
}

TEST(CliRefuses, DomxmlToNativeBeyondTheGuestsAddressWidth)
{
    CustomSimHost host({.host_phys_bits = "40"});
    const CliResult xml = host->cli({"dumpxml", "demo2", "--inactive"});
    ASSERT_EQ(xml.status, 0) << xml.err;
    std::string dom = xml.out;
    const size_t empty = dom.find("<devices/>");
    ASSERT_NE(empty, std::string::npos) << dom;
    dom.replace(empty, 10, "<devices>" + nvdimmXml({.size_mib = 256}) + "</devices>");
    expectRefusedUnchanged(*host, {"domxml-to-native", "xen-xl", host->file("demo2.xml", dom)},
                           "beyond the guest's 40-bit physical address space (ends at 0x10000000000)");
    expectRefusedUnchanged(*host, {"prepare", "demo2", "--xml", host->path("demo2.xml")},
                           "NVDIMM 'nvdimm0' at guest address 0x10900000000-");
}

TEST(CliRefuses, StartOfARunningDomain)
{
    SimHostDir host;
    expectRefusedUnchanged(host, {"start", "demo"}, "domain is already running");
}

TEST(CliRefuses, PrepareWithXmlOfAnotherDomain)
{
    SimHostDir host;
    const CliResult xml = host.cli({"dumpxml", "demo2", "--inactive"});
    ASSERT_EQ(xml.status, 0);
    expectRefusedUnchanged(host, {"prepare", "demo", "--xml", host.file("demo2.xml", xml.out)}, "demo2");
}

} // namespace
