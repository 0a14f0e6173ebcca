// libxl-nvdimm-hook run exactly as libvirt's libxl driver runs the
// programs in /etc/libvirt/hooks/libxl.d/: "NAME DOMAIN OP SUBOP -" with
// the domain XML on standard input, against sim:///default, with real
// files, owners and extended attributes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sec_test_util.h"
#include "../support/test_files.h"

extern char **environ;

namespace fs = std::filesystem;
using namespace xlnv::sectest;

namespace {

using xlnv::test::readFile;
using xlnv::test::writeFile;

constexpr unsigned kDmUid = 4242;   // the configured device model user (+4242 -> gid 4242)
constexpr const char *kDac = "trusted.libvirt.security.dac";

struct HookResult {
    int status = -1;
    std::string out;
    std::string err;
};

std::string envOr(const char *name, const std::string &fallback)
{
    const char *v = std::getenv(name);
    return v && *v ? v : fallback;
}

// One simulated host, its configuration and a scratch area; hook() runs
// the hook binary against it.
class HookBed {
public:
    HookBed()
    {
        fs::create_directories(dir_.file("state"));
        config_ = dir_.file("libxl-nvdimm.conf");
        writeFile(config_, "[security]\n"
                           "device_model_user = +" + std::to_string(kDmUid) + "\n"
                           "dm_restrict = false\n"
                           "dynamic_ownership = true\n"
                           "remember_owner = true\n"
                           "selinux = off\n"
                           "runtime_dir = " + dir_.file("security") + "\n");
    }

    std::string stateDir() const { return dir_.file("state"); }
    std::string scratch(const std::string &name) const { return dir_.file(name); }

    std::map<std::string, std::string> env() const
    {
        return {{"LIBXL_NVDIMM_CONFIG", config_},
                {"LIBXL_NVDIMM_DEFAULT_URI", "sim:///default"},
                {"LIBXL_NVDIMM_STATE_DIR", stateDir()},
                {"LC_ALL", "C"},
                {"LANGUAGE", "C"}};
    }

    // Runs `program args...` with stdin from `input`.
    HookResult run(const std::vector<std::string> &argv, const std::string &input,
                   std::map<std::string, std::string> extraEnv = {}) const
    {
        const std::string in = dir_.file("hook.stdin"), out = dir_.file("hook.stdout"),
                          err = dir_.file("hook.stderr");
        writeFile(in, input);
        std::map<std::string, std::string> vars;
        for (char **e = environ; *e; ++e) {
            const std::string kv = *e;
            const size_t eq = kv.find('=');
            if (eq != std::string::npos)
                vars[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        for (const auto &[k, v] : env())
            vars[k] = v;
        for (const auto &[k, v] : extraEnv)
            vars[k] = v;
        std::vector<std::string> envStrings;
        for (const auto &[k, v] : vars)
            envStrings.push_back(k + "=" + v);
        std::vector<char *> envp, args;
        for (auto &s : envStrings)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        std::vector<std::string> argCopy = argv;
        for (auto &a : argCopy)
            args.push_back(a.data());
        args.push_back(nullptr);

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pid_t pid = -1;
        HookResult r;
        if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data()) == 0) {
            int status = 0;
            waitpid(pid, &status, 0);
            r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        posix_spawn_file_actions_destroy(&actions);
        r.out = readFile(out);
        r.err = readFile(err);
        return r;
    }

    // What libvirt runs: <hookdir>/libxl.d/NAME DOMAIN OP SUBOP -
    HookResult hook(const std::string &domain, const std::string &op, const std::string &subop,
                    const std::string &xml, std::map<std::string, std::string> extraEnv = {}) const
    {
        return run({envOr("LIBXL_NVDIMM_HOOK", "libxl-nvdimm-hook"), domain, op, subop, "-"}, xml,
                   std::move(extraEnv));
    }

    // The simulated host's fsdax mount (lays the host out on first use).
    std::string mount() const
    {
        const HookResult r =
            run({envOr("VIRT_XEN_NVDIMM", "virt-xen-nvdimm"), "-c", "sim:///default", "--state-dir",
                 stateDir(), "list", "--all"},
                "");
        EXPECT_EQ(r.status, 0) << r.err;
        const std::string m = stateDir() + "/mnt/pmem1";
        EXPECT_TRUE(fs::is_directory(m)) << m;
        return m;
    }

private:
    TempDir dir_;
    std::string config_;
};

std::string device(const std::string &path, unsigned sizeMiB)
{
    return "    <memory model='nvdimm' access='shared'>\n"
           "      <source><path>" + path + "</path></source>\n"
           "      <target><size unit='MiB'>" + std::to_string(sizeMiB) + "</size></target>\n"
           "    </memory>\n";
}

// A domain as libvirt's libxl driver formats it at "prepare begin".
std::string domainXml(const std::string &name, const std::string &devices,
                      const std::string &metadata = "")
{
    return "<domain type='xen'>\n"
           "  <name>" + name + "</name>\n"
           "  <uuid>9b0c6d55-1f0e-4d7c-8a54-3c2d1e0f9a77</uuid>\n" +
           (metadata.empty() ? "" : "  <metadata>\n" + metadata + "  </metadata>\n") +
           "  <maxMemory slots='4' unit='KiB'>16777216</maxMemory>\n"
           "  <memory unit='KiB'>2097152</memory>\n"
           "  <currentMemory unit='KiB'>2097152</currentMemory>\n"
           "  <vcpu placement='static'>1</vcpu>\n"
           "  <os>\n"
           "    <type arch='x86_64' machine='xenfv'>hvm</type>\n"
           "    <loader type='rom'>/usr/lib/xen-4.17/boot/hvmloader</loader>\n"
           "    <boot dev='hd'/>\n"
           "  </os>\n"
           "  <features><acpi/><apic/><pae/></features>\n"
           "  <clock offset='variable' adjustment='0' basis='utc'/>\n"
           "  <on_poweroff>destroy</on_poweroff>\n"
           "  <on_reboot>restart</on_reboot>\n"
           "  <on_crash>destroy</on_crash>\n"
           "  <devices>\n"
           "    <emulator>/usr/lib/xen-4.17/bin/qemu-system-i386</emulator>\n" +
           devices +
           "    <console type='pty'><target type='xen' port='0'/></console>\n"
           "  </devices>\n"
           "</domain>\n";
}

// Our metadata element as libvirt formats it inside <metadata>.
std::string metadataFor(const std::string &path, unsigned sizeMiB)
{
    return "    <nvdimm:devices xmlns:nvdimm=\"https://libxl-nvdimm.org/xmlns/nvdimm/1.0\">\n"
           "      <nvdimm:memory model=\"nvdimm\" access=\"shared\">\n"
           "        <nvdimm:source>\n"
           "          <nvdimm:path>" + path + "</nvdimm:path>\n"
           "        </nvdimm:source>\n"
           "        <nvdimm:target>\n"
           "          <nvdimm:size unit=\"KiB\">" + std::to_string(sizeMiB * 1024) + "</nvdimm:size>\n"
           "        </nvdimm:target>\n"
           "      </nvdimm:memory>\n"
           "    </nvdimm:devices>\n";
}

bool hasLibvirtXattrs(const Snapshot &s)
{
    for (const auto &[name, value] : s.xattrs)
        if (name.rfind("trusted.libvirt.", 0) == 0)
            return true;
    return false;
}

class Hook : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root: chown and trusted.* xattrs, as libvirtd has";
    }
    HookBed bed_;
};

} // namespace

TEST_F(Hook, PrepareBeginProvisionsAndLabelsReleaseEndRestoresExactly)
{
    const std::string mnt = bed_.mount();
    // One backing the admin made (owner, mode, an xattr of their own),
    // one the hook has to create.
    const std::string existing = makeFile(mnt + "/guest1-a.img", 1234, 5678, 0640);
    setRawXattr(existing, "user.note", "keep me");
    const Snapshot before = snapshot(existing);
    const std::string created = mnt + "/guest1-b.img";
    const std::string xml =
        domainXml("guest1", device(existing, 1024) + device(created, 512));

    const HookResult prepare = bed_.hook("guest1", "prepare", "begin", xml);
    ASSERT_EQ(prepare.status, 0) << prepare.err;
    EXPECT_EQ(prepare.err, "");
    EXPECT_EQ(prepare.out, "");

    // Provisioned to the target size, owned by the device model user.
    ASSERT_TRUE(fs::exists(created));
    EXPECT_GE(fs::file_size(created), 512ull << 20);
    EXPECT_GE(fs::file_size(existing), 1024ull << 20);
    for (const auto &path : {existing, created}) {
        const Snapshot s = snapshot(path);
        EXPECT_EQ(s.uid, kDmUid) << path;
        EXPECT_EQ(s.gid, kDmUid) << path;
    }
    // libvirt's record of the original owner, as libvirt writes it.
    EXPECT_EQ(rawXattr(existing, kDac), "+1234:+5678");

    // The other operations libvirt runs in between change nothing.
    for (const auto &[op, subop] : std::vector<std::pair<std::string, std::string>>{
             {"start", "begin"}, {"started", "begin"}, {"stopped", "end"}}) {
        const HookResult r = bed_.hook("guest1", op, subop, xml);
        EXPECT_EQ(r.status, 0) << op << " " << subop << ": " << r.err;
        EXPECT_EQ(snapshot(existing).uid, kDmUid) << op << " " << subop;
    }

    const HookResult release = bed_.hook("guest1", "release", "end", xml);
    ASSERT_EQ(release.status, 0) << release.err;
    EXPECT_EQ(release.err, "");
    EXPECT_EQ(snapshot(existing), before);
    const Snapshot createdAfter = snapshot(created);
    EXPECT_EQ(createdAfter.uid, 0u);
    EXPECT_EQ(createdAfter.gid, 0u);
    EXPECT_FALSE(hasLibvirtXattrs(createdAfter)) << createdAfter;

    // Released means released: preparing again works.
    EXPECT_EQ(bed_.hook("guest1", "prepare", "begin", xml).status, 0);
    EXPECT_EQ(bed_.hook("guest1", "release", "end", xml).status, 0);
    EXPECT_EQ(snapshot(existing), before);
}

TEST_F(Hook, DevicesFromMetadataArePreparedWhenDevicesHoldNone)
{
    const std::string mnt = bed_.mount();
    const std::string backing = makeFile(mnt + "/guest2.img", 1111, 2222, 0600);
    const Snapshot before = snapshot(backing);
    const std::string xml = domainXml("guest2", "", metadataFor(backing, 256));

    const HookResult prepare = bed_.hook("guest2", "prepare", "begin", xml);
    ASSERT_EQ(prepare.status, 0) << prepare.err;
    EXPECT_EQ(snapshot(backing).uid, kDmUid);
    EXPECT_GE(fs::file_size(backing), 256ull << 20);

    const HookResult release = bed_.hook("guest2", "release", "end", xml);
    ASSERT_EQ(release.status, 0) << release.err;
    EXPECT_EQ(snapshot(backing), before);
}

TEST_F(Hook, OtherOperationsDoNothing)
{
    const std::string mnt = bed_.mount();
    const std::string backing = mnt + "/guest3.img";
    const std::string xml = domainXml("guest3", device(backing, 256));
    for (const auto &[op, subop] : std::vector<std::pair<std::string, std::string>>{
             {"prepare", "end"},
             {"start", "begin"},
             {"started", "begin"},
             {"stopped", "end"},
             {"release", "begin"},
             {"migrate", "begin"},
             {"restore", "begin"},
             {"reconnect", "begin"},
             {"attach", "begin"}}) {
        const HookResult r = bed_.hook("guest3", op, subop, xml);
        EXPECT_EQ(r.status, 0) << op << " " << subop << ": " << r.err;
        EXPECT_EQ(r.out, "") << op << " " << subop;
        EXPECT_EQ(r.err, "") << op << " " << subop;
    }
    EXPECT_FALSE(fs::exists(backing)) << "an ignored operation provisioned the backing";
    EXPECT_FALSE(fs::exists(bed_.stateDir() + "/domains/guest3"));
}

TEST_F(Hook, PrepareWithoutNvdimmsDoesNotEvenConnect)
{
    // xen:///system cannot be reached here; a domain without NVDIMMs
    // must still start.
    const HookResult r = bed_.hook("plain", "prepare", "begin", domainXml("plain", ""),
                                   {{"LIBXL_NVDIMM_DEFAULT_URI", "xen:///system"}});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
}

TEST_F(Hook, FailingPrepareExitsNonZeroWithMessageAndLeavesNothingBehind)
{
    const std::string mnt = bed_.mount();
    const std::string existing = makeFile(mnt + "/guest4-a.img", 1234, 5678, 0640);
    const Snapshot before = snapshot(existing);
    const std::string wouldCreate = mnt + "/guest4-b.img";
    // Not persistent memory: a plain file under /tmp.
    const std::string notPmem = makeFile(bed_.scratch("not-pmem.img"), 0, 0, 0644);
    const Snapshot notPmemBefore = snapshot(notPmem);
    const std::string xml = domainXml(
        "guest4", device(existing, 256) + device(wouldCreate, 256) + device(notPmem, 256));

    const HookResult r = bed_.hook("guest4", "prepare", "begin", xml);
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("libxl-nvdimm-hook: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(notPmem), std::string::npos) << "the message names the backing: " << r.err;
    EXPECT_EQ(r.out, "");

    EXPECT_EQ(snapshot(existing), before);
    EXPECT_EQ(snapshot(notPmem), notPmemBefore);
    EXPECT_FALSE(fs::exists(wouldCreate)) << "half-made backing left behind";
    EXPECT_FALSE(fs::exists(bed_.stateDir() + "/domains/guest4/status.json"));
    EXPECT_FALSE(fs::exists(bed_.stateDir() + "/domains/guest4/nvdimm-acpi.bin"));

    // libvirt then runs release: nothing to do, no error.
    const HookResult release = bed_.hook("guest4", "release", "end", xml);
    EXPECT_EQ(release.status, 0) << release.err;
    EXPECT_EQ(snapshot(existing), before);
}

// Issue 15: prepared under the XML's name but released under the
// argument would leave the backings labeled and pinned for good.
TEST_F(Hook, ArgumentAndXmlNameMismatchIsRefusedUntouched)
{
    const std::string existing = makeFile(bed_.mount() + "/guest7.img", 1234, 5678, 0640);
    const Snapshot before = snapshot(existing);
    const HookResult r = bed_.hook("other", "prepare", "begin", domainXml("guest7", device(existing, 256)));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("called for domain 'other' but the domain XML on standard input is 'guest7'"),
              std::string::npos) << r.err;
    EXPECT_EQ(snapshot(existing), before);
    EXPECT_FALSE(fs::exists(bed_.stateDir() + "/domains/guest7"));
    EXPECT_FALSE(fs::exists(bed_.stateDir() + "/domains/other"));
}

TEST_F(Hook, MalformedXmlOnStdinFailsPrepare)
{
    const HookResult r = bed_.hook("guest5", "prepare", "begin", "<domain type='xen'><name>guest5");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err.rfind("libxl-nvdimm-hook: error: ", 0), 0u) << r.err;
}

TEST_F(Hook, TooFewArgumentsIsAUsageError)
{
    const HookResult r =
        bed_.run({envOr("LIBXL_NVDIMM_HOOK", "libxl-nvdimm-hook"), "guest6", "prepare"}, "");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("usage: libxl-nvdimm-hook DOMAIN OPERATION SUB-OPERATION"),
              std::string::npos)
        << r.err;
}

TEST_F(Hook, HelpPrintsUsageAndSucceeds)
{
    for (const char *flag : {"--help", "-h"}) {
        const HookResult r = bed_.run({envOr("LIBXL_NVDIMM_HOOK", "libxl-nvdimm-hook"), flag}, "");
        EXPECT_EQ(r.status, 0) << flag << ": " << r.err;
        EXPECT_NE(r.out.find("usage: libxl-nvdimm-hook DOMAIN OPERATION SUB-OPERATION"), std::string::npos)
            << r.out;
        EXPECT_EQ(r.err, "");
    }
}
