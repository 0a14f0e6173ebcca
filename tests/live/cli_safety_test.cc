// The traps of issue 16 that could harm a host or mislead an operator:
// release of a running or unknown domain, the default connection and
// where a simulated host keeps its state, Ctrl-C/SIGTERM in the middle of
// long work, domxml-to-native resolving through the connection.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "cli_snapshot.h"

using namespace xlnv::test;

namespace {

bool exists(const std::string &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

bool xenHere()
{
    return exists("/dev/xen/privcmd") || exists("/proc/xen/capabilities");
}

// Runs the CLI with exactly `args` (no -c, no --state-dir added).
CliResult bare(const SimHostDir &host, const std::vector<std::string> &args,
               std::map<std::string, std::string> env = {})
{
    env.emplace("LIBXL_NVDIMM_DEFAULT_URI", "");   // unset
    env.emplace("LIBXL_NVDIMM_STATE_DIR", "");
    CliProcess p(args, host.env(env), host.scratch());
    return p.wait();
}

TEST(CliRelease, RefusesRunningDomainUnlessForced)
{
    SimHostDir host;
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({.size_mib = 256, .alias = "nvdimm0"})),
                        "--live"}).status, 0);
    const HostSnapshot before = snapshot(host);
    const CliResult r = host.cli({"release", "demo"});
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "domain 'demo' is running")) << r.err;
    EXPECT_TRUE(contains(r.err, "--force")) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(snapshot(host), before);
    // The live NVDIMM is still there, and can still be detached.
    EXPECT_EQ(nvdimmElements(host.cli({"dumpxml", "demo"}).out).size(), 1u);
    const CliResult forced = host.cli({"release", "demo", "--force"});
    EXPECT_EQ(forced.status, 0) << forced.err;
    EXPECT_TRUE(contains(forced.out, "Domain 'demo' released")) << forced.out;
}

TEST(CliRelease, UnknownDomainIsAnError)
{
    SimHostDir host;
    const CliResult r = host.cli({"release", "nosuch"});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(contains(r.err, "error: Domain not found: no domain with matching name 'nosuch'")) << r.err;
}

TEST(CliRelease, ShutOffDomainIsReleased)
{
    SimHostDir host;
    const CliResult r = host.cli({"release", "demo2"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "Domain 'demo2' released"));
}

TEST(CliDefaultConnection, SimulatorOnlyWithANoticeWhereNoXenRuns)
{
    if (xenHere())
        GTEST_SKIP() << "this machine runs Xen: the default is xen:///system here";
    SimHostDir host;
    const CliResult r = bare(host, {"--state-dir", host.stateDir(), "list", "--all"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "demo")) << r.out;
    EXPECT_TRUE(contains(r.err, "no Xen on this machine, using the simulated host sim:///default")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(CliDefaultConnection, EnvironmentAndConfigKeyWinWithoutNotice)
{
    SimHostDir host;
    const CliResult env = bare(host, {"--state-dir", host.stateDir(), "list"},
                               {{"LIBXL_NVDIMM_DEFAULT_URI", "sim:///default"}});
    EXPECT_EQ(env.status, 0) << env.err;
    EXPECT_EQ(env.err, "");
    host.setConfig("[client]\nuri_default=sim:///default\n");
    const CliResult key = bare(host, {"--state-dir", host.stateDir(), "list"});
    EXPECT_EQ(key.status, 0) << key.err;
    EXPECT_EQ(key.err, "");
    EXPECT_TRUE(contains(key.out, "demo"));
    // The key names the connection: a wrong one is what fails.
    host.setConfig("[client]\nuri_default=xen:///nosuch\n");
    const CliResult bad = bare(host, {"--state-dir", host.stateDir(), "list"});
    EXPECT_EQ(bad.status, 1);
    EXPECT_TRUE(contains(bad.err, "xen:///system")) << bad.err;
}

TEST(CliDefaultConnection, PmemCommandsFollowTheSameRule)
{
    if (xenHere())
        GTEST_SKIP() << "this machine runs Xen: pmem-list shows its own namespaces";
    SimHostDir host;
    const CliResult r = bare(host, {"--state-dir", host.stateDir(), "pmem-list", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "using the simulated host")) << r.err;
    EXPECT_TRUE(contains(r.out, "dax0.0")) << r.out;   // the simulated host's namespace
}

TEST(CliStateDir, SimulatedHostNeverUsesTheProductionDirectory)
{
    SimHostDir host;
    const bool existed = exists("/var/lib/libxl-nvdimm");
    for (const std::string dir : {"/var/lib/libxl-nvdimm", "/var/lib/libxl-nvdimm/", "/var/lib/libxl-nvdimm/sim"}) {
        CliProcess p({"-c", "sim:///default", "--state-dir", dir, "list"}, host.env(), host.scratch());
        const CliResult r = p.wait();
        EXPECT_EQ(r.status, 1) << dir << ": " << r.out;
        EXPECT_TRUE(contains(r.err, "belongs to the real host")) << r.err;
    }
    CliProcess p({"-c", "sim:///default", "list"}, host.env({{"LIBXL_NVDIMM_STATE_DIR", "/var/lib/libxl-nvdimm"}}),
                 host.scratch());
    EXPECT_EQ(p.wait().status, 1);
    EXPECT_EQ(exists("/var/lib/libxl-nvdimm"), existed);
}

TEST(CliStateDir, SimulatedHostDefaultsToItsOwnDirectory)
{
    SimHostDir host;
    const std::string runtime = host.path("runtime");
    ASSERT_EQ(mkdir(runtime.c_str(), 0700), 0);
    CliProcess p({"-c", "sim:///default", "list"},
                 host.env({{"LIBXL_NVDIMM_STATE_DIR", ""}, {"XDG_RUNTIME_DIR", runtime}}), host.scratch());
    const bool productionHad = exists("/var/lib/libxl-nvdimm/host.json");
    const bool runHad = exists("/run/libxl-nvdimm-sim");
    const CliResult r = p.wait();
    EXPECT_EQ(r.status, 0) << r.err;
    // Never the real host's records, whoever runs it.
    EXPECT_EQ(exists("/var/lib/libxl-nvdimm/host.json"), productionHad);
    if (geteuid() == 0) {
        EXPECT_TRUE(exists("/run/libxl-nvdimm-sim/host.json"));
        if (!runHad)
            removeTree("/run/libxl-nvdimm-sim");
    } else {
        EXPECT_TRUE(exists(runtime + "/libxl-nvdimm-sim/host.json")) << r.err;
    }
}

TEST(CliStateDir, EmptyStateDirIsAnError)
{
    SimHostDir host;
    for (const std::vector<std::string> &args : {std::vector<std::string>{"--state-dir", "", "list"},
                                                std::vector<std::string>{"--state-dir=", "list"}}) {
        CliProcess p(args, host.env({{"LIBXL_NVDIMM_DEFAULT_URI", "sim:///default"}}), host.scratch());
        const CliResult r = p.wait();
        EXPECT_EQ(r.status, 1) << r.out;
        EXPECT_TRUE(contains(r.err, "error: option --state-dir: the directory name is empty")) << r.err;
    }
}

TEST(CliXenConnection, FailureHintsAndCreatesNothing)
{
    if (xenHere())
        GTEST_SKIP() << "this machine runs Xen";
    SimHostDir host;
    const std::string dir = host.path("xen-state");
    CliProcess p({"-c", "xen:///system", "--state-dir", dir, "list"}, host.env(), host.scratch());
    const CliResult r = p.wait();
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "/dev/xen/privcmd")) << r.err;
    EXPECT_TRUE(contains(r.err, "dom0")) << r.err;
    EXPECT_FALSE(exists(dir));
}

// A file NVDIMM big enough that filling it takes a while.
std::string bigFileXml(const std::string &path)
{
    return nvdimmXml({.path = path, .size_mib = 6144, .alias = "big"});
}

// Sends `sig` once `path` exists (the fill has started).
CliResult interruptWhenCreated(std::unique_ptr<CliProcess> p, const std::string &path, int sig)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!exists(path) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    p->signal(sig);
    return p->wait();
}

TEST(CliInterrupt, SigintDuringAttachOfAFileRollsBack)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/big.img";
    const HostSnapshot before = snapshot(host);
    const CliResult r = interruptWhenCreated(
        host.spawn({"attach-device", "demo", host.file("big.xml", bigFileXml(file)), "--live"}), file, SIGINT);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "error: operation interrupted;")) << r.err;
    EXPECT_TRUE(contains(r.err, "rolled back")) << r.err;
    EXPECT_FALSE(exists(file));
    EXPECT_EQ(snapshot(host), before);
    EXPECT_FALSE(exists(host.stateDir() + "/domains/demo/status.json"));
}

TEST(CliInterrupt, SigtermDuringPmemProvisionRemovesTheFile)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/prov.img";
    const CliResult r = interruptWhenCreated(host.spawn({"pmem-provision", file, "--size", "6G"}), file, SIGTERM);
    EXPECT_EQ(r.signal, 0);
    EXPECT_EQ(r.status, 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "error: operation interrupted;")) << r.err;
    EXPECT_FALSE(exists(file));
}

TEST(CliDomxmlToNative, ResolvesBackingsThroughTheConnection)
{
    SimHostDir host;
    const std::string dev = nvdimmXml({.size_mib = 256, .alias = "nvdimm0"});
    const std::string xml = "<domain type='xen'><name>n1</name><maxMemory slots='16' unit='KiB'>67108864</maxMemory>"
                            "<memory unit='KiB'>1048576</memory><vcpu>1</vcpu>"
                            "<os><type arch='x86_64' machine='xenfv'>hvm</type></os>"
                            "<features><acpi/></features><devices>" + dev + "</devices></domain>";
    const CliResult r = host.cli({"domxml-to-native", "xen-xl", host.file("n1.xml", xml)});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "iomem")) << r.out;
    const std::string missing = host.fsdaxMount() + "/missing.img";
    std::string xml2 = xml;
    xml2.replace(xml2.find("/dev/dax0.0"), 11, missing);
    const CliResult m = host.cli({"domxml-to-native", "xen-xl", host.file("n2.xml", xml2)});
    EXPECT_EQ(m.status, 1);
    EXPECT_TRUE(contains(m.err, "'" + missing + "' does not exist; create it with pmem-provision")) << m.err;
    EXPECT_TRUE(contains(m.err, "error: invalid argument:")) << m.err;
}

} // namespace

namespace {

// A domain XML for validate/define: one vCPU, 4 GiB RAM, 1 TiB maxMemory
// (the NVDIMM window starts above 1 TiB + 4 GiB), one NVDIMM.
std::string domainXml(const std::string &nameElement, const std::string &address, const std::string &cells)
{
    return "<domain type='xen'>" + nameElement +
           "<maxMemory slots='16' unit='KiB'>1073741824</maxMemory>"
           "<memory unit='KiB'>4194304</memory><vcpu>1</vcpu>"
           "<os><type arch='x86_64' machine='xenfv'>hvm</type></os><features><acpi/></features>" +
           (cells.empty() ? std::string() : "<cpu><numa>" + cells + "</numa></cpu>") +
           "<devices><memory model='nvdimm' access='shared'><source><path>/dev/dax0.0</path></source>"
           "<target><size unit='MiB'>256</size></target>" + address +
           "</memory></devices></domain>";
}

void expectValidateAndDefineRefuse(const SimHostDir &host, const std::string &xml, const std::string &needle)
{
    const std::string file = host.file("dom.xml", xml);
    for (const char *cmd : {"validate", "define"}) {
        const CliResult r = host.cli({cmd, file});
        EXPECT_EQ(r.status, 1) << cmd << " accepted:\n" << xml << r.out;
        EXPECT_TRUE(contains(r.err, needle)) << cmd << ": " << r.err;
    }
    EXPECT_FALSE(contains(host.cli({"list", "--all"}).out, "v1"));
}

TEST(CliValidateLikeStart, AcceptsAPlainDomain)
{
    SimHostDir host;
    const CliResult r = host.cli({"validate", host.file("ok.xml", domainXml("<name>v1</name>", "", ""))});
    EXPECT_EQ(r.status, 0) << r.err;
}

TEST(CliValidateLikeStart, BaseBelowTheWindow)
{
    SimHostDir host;
    expectValidateAndDefineRefuse(
        host, domainXml("<name>v1</name>", "<address type='dimm' slot='0' base='0x100000000'/>", ""),
        "is below");
}

TEST(CliValidateLikeStart, BaseNotTwoMiBAligned)
{
    SimHostDir host;
    expectValidateAndDefineRefuse(
        host, domainXml("<name>v1</name>", "<address type='dimm' slot='0' base='0x20000100000'/>", ""),
        "is not aligned to 2 MiB");
}

TEST(CliValidateLikeStart, NumaCellNamingMissingVcpus)
{
    SimHostDir host;
    expectValidateAndDefineRefuse(
        host, domainXml("<name>v1</name>", "", "<cell id='0' cpus='0-3' memory='4194304' unit='KiB'/>"),
        "NUMA cell 0 names vCPU 3, but the domain has 1 vCPUs");
}

TEST(CliValidateLikeStart, MissingName)
{
    SimHostDir host;
    const CliResult r = host.cli({"validate", host.file("noname.xml", domainXml("", "", ""))});
    EXPECT_EQ(r.status, 1);
    EXPECT_TRUE(contains(r.err, "missing name information")) << r.err;
}

TEST(CliValidateLikeStart, SameBackingTwiceThroughAttachConfig)
{
    SimHostDir host;
    const std::string a = host.file("a.xml", nvdimmXml({.size_mib = 256, .alias = "ua-a"}));
    const std::string b = host.file("b.xml", nvdimmXml({.size_mib = 256, .alias = "ua-b"}));
    ASSERT_EQ(host.cli({"attach-device", "demo2", a, "--config"}).status, 0);
    const CliResult r = host.cli({"attach-device", "demo2", b, "--config"});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_TRUE(contains(r.err, "NVDIMM 'ua-b' uses the backing '/dev/dax0.0' of NVDIMM 'ua-a'")) << r.err;
    EXPECT_EQ(nvdimmElements(host.cli({"dumpxml", "demo2", "--inactive"}).out).size(), 1u);
}

} // namespace

namespace {

TEST(CliParity, UnknownCommandInVirshWords)
{
    SimHostDir host;
    const CliResult r = host.cli({"lsit"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: unknown command: 'lsit'\n");
}

} // namespace

namespace {

// The per-device opt-out of docs/security.rst on a file backing.
std::string optOutXml(const std::string &path, const std::string &alias)
{
    return "<memory model='nvdimm' access='shared'>\n"
           "  <source>\n    <path>" + path + "</path>\n"
           "    <seclabel model='dac' relabel='no'/>\n  </source>\n"
           "  <target>\n    <size unit='MiB'>64</size>\n  </target>\n"
           "  <alias name='" + alias + "'/>\n</memory>\n";
}

// A provisioned backing owned by someone the DAC driver would change.
std::string ownedBacking(const SimHostDir &host, const std::string &name)
{
    const std::string img = host.fsdaxMount() + "/" + name;
    const CliResult r = host.cli({"pmem-provision", img, "--size", "64MiB"});
    if (!r.ok())
        throw std::runtime_error("pmem-provision failed: " + r.err);
    if (chown(img.c_str(), 1234, 1234) != 0)
        throw std::runtime_error("chown failed");
    return img;
}

uid_t ownerOf(const std::string &path)
{
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
}

TEST(CliSeclabel, FormatAndDefineKeepThePerDeviceSeclabel)
{
    SimHostDir host;
    const std::string dev = host.file("d.xml", optOutXml("/dev/dax0.0", "ua-keep"));
    CliResult r = host.cli({"format", dev});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "    <path>/dev/dax0.0</path>\n    <seclabel model='dac' relabel='no'/>\n"))
        << r.out;

    std::string xml = domainXml("<name>v1</name>", "", "");
    xml.replace(xml.find("</path>"), 7, "</path><seclabel model='dac' relabel='no'/>");
    ASSERT_EQ(host.cli({"define", host.file("v1.xml", xml)}).status, 0);
    r = host.cli({"dumpxml", "v1", "--inactive"});
    EXPECT_TRUE(contains(r.out, "<seclabel model='dac' relabel='no'/>")) << r.out;
    ASSERT_EQ(host.cli({"attach-device", "demo2", dev, "--config"}).status, 0);
    r = host.cli({"dumpxml", "demo2", "--inactive"});
    EXPECT_TRUE(contains(r.out, "<seclabel model='dac' relabel='no'/>")) << r.out;
}

TEST(CliSeclabel, LiveAttachAndDetachLeaveAnOptedOutBackingAlone)
{
    SimHostDir host;
    const std::string img = ownedBacking(host, "keep.img");
    const std::string before = describeFile(img);
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("d.xml", optOutXml(img, "ua-keep")), "--live"}).status, 0);
    EXPECT_EQ(ownerOf(img), 1234u);
    EXPECT_FALSE(contains(describeFile(img), "trusted.libvirt.security")) << describeFile(img);
    EXPECT_TRUE(contains(host.cli({"dumpxml", "demo"}).out, "<seclabel model='dac' relabel='no'/>"));
    // Carried in the status: restore skips what labeling skipped.
    const auto status = nlohmann::json::parse(readFile(host.stateDir() + "/domains/demo/status.json"));
    ASSERT_EQ(status.at("devices").size(), 1u);
    EXPECT_EQ(status["devices"][0].value("relabel_dac", true), false) << status.dump();
    EXPECT_EQ(host.cli({"detach-device-alias", "demo", "ua-keep", "--live"}).status, 0);
    EXPECT_EQ(describeFile(img), before);

    // The control: without the opt-out the same file is relabeled.
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("e.xml", nvdimmXml({.path = img, .size_mib = 64})),
                        "--live"}).status, 0);
    EXPECT_NE(ownerOf(img), 1234u);
}

TEST(CliSeclabel, PrepareAndReleaseLeaveAnOptedOutBackingAlone)
{
    SimHostDir host;
    const std::string img = ownedBacking(host, "prep.img");
    const std::string before = describeFile(img);
    ASSERT_EQ(host.cli({"attach-device", "demo2", host.file("d.xml", optOutXml(img, "ua-keep")), "--config"}).status, 0);
    const CliResult r = host.cli({"prepare", "demo2"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(ownerOf(img), 1234u);
    EXPECT_FALSE(contains(describeFile(img), "trusted.libvirt.security")) << describeFile(img);
    ASSERT_EQ(host.cli({"release", "demo2"}).status, 0);
    EXPECT_EQ(describeFile(img), before);
}

} // namespace

namespace {

bool immutable(const std::string &path)
{
    return contains(describeFile(path), "immutable=1");
}

TEST(CliSimReset, RemovesAHostWithAnAttachedFileNvdimm)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/reset.img";
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({.path = img, .size_mib = 64})),
                        "--live"}).status, 0);
    ASSERT_TRUE(immutable(img)) << describeFile(img);
    const CliResult r = host.cli({"sim-reset"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Domain 'demo' released\nSimulated host reset: '" + host.stateDir() + "' removed\n");
    EXPECT_FALSE(exists(host.stateDir()));
    // Laid out afresh: demo runs again, with no NVDIMM.
    EXPECT_TRUE(nvdimmElements(host.cli({"dumpxml", "demo"}).out).empty());
    EXPECT_FALSE(exists(img));
}

TEST(CliSimReset, CleansUpAfterAnInterruptedRmRf)
{
    SimHostDir host;
    const std::string img = host.fsdaxMount() + "/left.img";
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({.path = img, .size_mib = 64})),
                        "--live"}).status, 0);
    std::error_code ec;
    std::filesystem::remove_all(host.stateDir(), ec);
    ASSERT_TRUE(ec) << "rm -rf removed a pinned backing";
    ASSERT_TRUE(immutable(img));
    const CliResult r = host.cli({"sim-reset"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_FALSE(exists(host.stateDir()));
}

TEST(CliSimReset, SimulatorOnlyCommandsSaySoOnXen)
{
    SimHostDir host;
    const std::string dir = host.scratch() + "/xen-state";
    for (const char *cmd : {"sim-reset", "sim-stats"}) {
        const CliResult r = bare(host, {"-c", "xen:///system", "--state-dir", dir, cmd});
        EXPECT_EQ(r.status, 1) << cmd;
        EXPECT_EQ(r.err, std::string("error: Operation not supported: '") + cmd +
                             "' works only on a simulated host (sim://), not on xen:///system\n");
        EXPECT_FALSE(exists(dir)) << cmd;
    }
}

} // namespace

namespace {

TEST(CliParity, HelpListsCommandsAndShowsOneCommand)
{
    SimHostDir host;
    CliResult r = host.cli({"help"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "attach-device")) << r.out;
    EXPECT_TRUE(contains(r.out, "sim-reset")) << r.out;
    r = host.cli({"help", "dumpxml"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "--inactive")) << r.out;
    EXPECT_FALSE(contains(r.out, "attach-device")) << r.out;
    r = host.cli({"help", "lsit"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: command or command group 'lsit' doesn't exist\n");
}

TEST(CliParity, NamedDomainFileAndAliasOptions)
{
    SimHostDir host;
    const std::string dev = host.file("d.xml", nvdimmXml({.size_mib = 256, .alias = "ua-n"}));
    CliResult r = host.cli({"attach-device", "--domain", "demo", "--file", dev, "--live"});
    ASSERT_EQ(r.status, 0) << r.err;
    r = host.cli({"dumpxml", "--domain", "demo"});
    EXPECT_EQ(nvdimmElements(r.out).size(), 1u) << r.err;
    r = host.cli({"detach-device-alias", "--domain", "demo", "--alias", "ua-n", "--live"});
    EXPECT_EQ(r.status, 0) << r.err;
    r = host.cli({"validate", "--file", dev});
    EXPECT_EQ(r.status, 0) << r.err;
}

TEST(CliParity, ListInactiveAndUuid)
{
    SimHostDir host;
    CliResult r = host.cli({"list", "--inactive", "--name"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "demo2\n\n");
    r = host.cli({"list", "--all", "--uuid"});
    EXPECT_EQ(r.status, 0) << r.err;
    const auto lines = r.out;
    EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3) << lines;
    EXPECT_EQ(lines.find('-'), 8u) << lines;   // 8-4-4-4-12
    EXPECT_FALSE(contains(lines, "demo")) << lines;
}

TEST(CliParity, TimeoutInVirshWords)
{
    SimHostDir host;
    for (const std::string &bad : std::vector<std::string>{"0", "abc", "-1", "2147484", std::string(309, '9')}) {
        const CliResult r = host.cli({"event", "--timeout", bad});
        EXPECT_EQ(r.status, 1) << bad;
        EXPECT_EQ(r.err, "error: Numeric value '" + bad + "' for <timeout> option is malformed or out of range\n");
    }
}

TEST(CliParity, EventListAllAndTimestamp)
{
    SimHostDir host;
    CliResult r = host.cli({"event", "--list"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "device-added\ndevice-removed\n");
    r = host.cli({"event", "--all", "--event", "device-added"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: Options --all and --event are mutually exclusive\n");

    auto follower = host.spawn({"event", "--all", "--timestamp", "--timeout", "20"});
    ASSERT_TRUE(follower->waitUntilPolling());
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("a.xml", nvdimmXml({.size_mib = 256}))}).status, 0);
    r = follower->wait();
    EXPECT_EQ(r.status, 0) << r.err;
    // "YYYY-MM-DD HH:MM:SS.mmm+0000: event ..."
    ASSERT_GT(r.out.size(), 30u) << r.out;
    EXPECT_EQ(r.out.substr(23, 7), "+0000: ") << r.out;
    EXPECT_EQ(r.out.substr(4, 1) + r.out.substr(7, 1) + r.out.substr(10, 1), "-- ") << r.out;
    EXPECT_TRUE(contains(r.out, "+0000: event 'device-added' for domain 'demo': nvdimm0\n")) << r.out;
}

TEST(CliParity, DumpxmlShowsTheIdOfARunningDomain)
{
    SimHostDir host;
    EXPECT_TRUE(contains(host.cli({"dumpxml", "demo"}).out, "<domain type='xen' id='1'>"));
    EXPECT_TRUE(contains(host.cli({"dumpxml", "demo", "--inactive"}).out, "<domain type='xen'>\n"));
    EXPECT_TRUE(contains(host.cli({"dumpxml", "demo2"}).out, "<domain type='xen'>\n"));
}

TEST(CliParity, DefineGeneratesAUuidAndKeepsItOnRedefinition)
{
    SimHostDir host;
    const std::string file = host.file("v1.xml", domainXml("<name>v1</name>", "", ""));
    ASSERT_EQ(host.cli({"define", file}).status, 0);
    const std::string xml = host.cli({"dumpxml", "v1"}).out;
    const size_t at = xml.find("<uuid>");
    ASSERT_NE(at, std::string::npos) << xml;
    const std::string uuid = xml.substr(at + 6, 36);
    EXPECT_EQ(xml.substr(at + 42, 7), "</uuid>") << xml;
    EXPECT_EQ(uuid[14], '4') << uuid;   // random (version 4)
    ASSERT_EQ(host.cli({"define", file}).status, 0);
    EXPECT_TRUE(contains(host.cli({"dumpxml", "v1"}).out, "<uuid>" + uuid + "</uuid>"));
}

} // namespace

namespace {

TEST(CliStateFiles, CorruptStatusNamesThePathWhatAndTheRepair)
{
    SimHostDir host;
    ASSERT_EQ(host.cli({"attach-device", "demo", host.file("d.xml", nvdimmXml({.size_mib = 256})), "--live"}).status, 0);
    const std::string status = host.stateDir() + "/domains/demo/status.json";
    for (const auto &[text, what] : std::vector<std::pair<std::string, std::string>>{
             {"{\"name\": 5}\n", "an entry has the wrong type"},
             {"{\"name\": \"demo\"}\n", "a required entry is missing"},
             {"{\"name\": \n", "it is not valid JSON"}}) {
        writeFile(status, text);
        const CliResult r = host.cli({"dumpxml", "demo"});
        EXPECT_EQ(r.status, 1) << text;
        EXPECT_FALSE(contains(r.err, "json.exception")) << r.err;
        EXPECT_TRUE(contains(r.err, "corrupt NVDIMM status '" + status + "': " + what + ". Repair the file"))
            << r.err;
    }
}

} // namespace

namespace {

TEST(CliLockWait, SaysWhoItWaitsForThenTimesOutInLibvirtWords)
{
    SimHostDir host;
    host.setConfig("[hypervisor]\nstate_lock_timeout_ms=2500\n");
    ASSERT_EQ(host.cli({"dumpxml", "demo"}).status, 0);   // the lock file exists
    const std::string path = host.stateDir() + "/locks/domain-demo.lock";
    // Another process's lock, as an attach-device in progress leaves it.
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, 0), 0);
    ASSERT_EQ(pwrite(fd, "attach-device 4242\n", 19, 0), 19);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    ASSERT_EQ(fcntl(fd, F_SETLK, &fl), 0);
    // Let go after 6 s in any case: a command that waits forever fails
    // the test instead of hanging it.
    std::thread releaser([fd] {
        std::this_thread::sleep_for(std::chrono::seconds(6));
        close(fd);
    });
    const auto t0 = std::chrono::steady_clock::now();
    const CliResult r = host.cli({"dumpxml", "demo"});
    const auto waited = std::chrono::steady_clock::now() - t0;
    releaser.join();
    EXPECT_LT(waited, std::chrono::milliseconds(5500));
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_EQ(r.err,
              "warning: waiting for domain 'demo' (held by attach-device, pid 4242)...\n"
              "error: Timed out during operation: cannot acquire state change lock\n");
    EXPECT_GE(waited, std::chrono::milliseconds(2400));
    // Free again: the next command takes it at once and says nothing.
    const CliResult again = host.cli({"dumpxml", "demo"});
    EXPECT_EQ(again.status, 0) << again.err;
    EXPECT_EQ(again.err, "");
}

} // namespace

namespace {

TEST(CliConfig, UnknownSectionsAndKeysAreWarnedOnce)
{
    SimHostDir host;
    host.setConfig("[hypervisr]\neject_timeout_ms=1\n[hypervisor]\neject_timeout=5\neject_timeout_ms=2000\n");
    const CliResult r = host.cli({"list"});
    EXPECT_EQ(r.status, 0) << r.err;
    const std::string file = host.env().at("LIBXL_NVDIMM_CONFIG");
    EXPECT_EQ(r.err, "warning: unknown section [hypervisr] in configuration file '" + file + "' (ignored)\n"
                     "warning: unknown key 'eject_timeout' in section [hypervisor] of configuration file '" +
                         file + "' (ignored)\n");
}

TEST(CliConfig, TheAnnotatedExampleHasOnlyKnownKeys)
{
    SimHostDir host;
    host.setConfig(readFile(std::string(PROJECT_SOURCE_DIR) + "/examples/libxl-nvdimm.conf"));
    const CliResult r = host.cli({"list"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

} // namespace
