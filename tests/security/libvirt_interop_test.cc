// The installed libvirt (libvirt.so.0, Debian 12: 9.0.0) as the oracle
// for the on-disk format: its own DAC security manager labels and
// restores backings, and must agree with ours in both directions.
// libvirt's security API is private (LIBVIRT_PRIVATE_* symbols), so it is
// reached with dlopen/dlsym; when it is not there the tests skip.
#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sec_test_util.h"
#include "security/host_boot_time.h"
#include "security/security_manager.h"

using namespace xlnv;
using namespace xlnv::security;
using namespace xlnv::sectest;

namespace {

// One libvirt DAC security manager for uid:gid, with an empty domain.
class LibvirtDac {
public:
    LibvirtDac(uid_t uid, gid_t gid)
    {
        handle_ = dlopen("libvirt.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!handle_) {
            why_ = std::string("dlopen libvirt.so.0: ") + dlerror();
            return;
        }
        auto init = sym<int (*)()>("virInitialize");
        auto xmloptNew = sym<void *(*)(void *, void *, void *, void *, void *, void *)>(
            "virDomainXMLOptionNew");
        auto defNew = sym<void *(*)(void *)>("virDomainDefNew");
        auto dacNew = sym<void *(*)(const char *, uid_t, gid_t, unsigned, void *)>(
            "virSecurityManagerNewDAC");
        setPath_ = sym<int (*)(void *, void *, const char *, bool)>(
            "virSecurityManagerDomainSetPathLabel");
        restorePath_ = sym<int (*)(void *, void *, const char *)>(
            "virSecurityManagerDomainRestorePathLabel");
        bootTime_ = sym<int (*)(unsigned long long *)>("virHostGetBootTime");
        lastError_ = sym<const char *(*)()>("virGetLastErrorMessage");
        if (!init || !xmloptNew || !defNew || !dacNew || !setPath_ || !restorePath_ ||
            !bootTime_ || !lastError_) {
            why_ = "libvirt.so.0 lacks the private security symbols this test needs";
            return;
        }
        init();
        def_ = defNew(xmloptNew(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr));
        mgr_ = dacNew("QEMU", uid, gid, 0, nullptr);
        if (!def_ || !mgr_)
            why_ = std::string("libvirt DAC manager: ") + lastError_();
    }
    // Handle and objects are left to process exit (libvirt keeps globals).

    const std::string &unavailable() const { return why_; }
    void label(const std::string &path)
    {
        if (setPath_(mgr_, def_, path.c_str(), false) < 0)
            throw std::runtime_error(std::string("libvirt label: ") + lastError_());
    }
    void restore(const std::string &path)
    {
        if (restorePath_(mgr_, def_, path.c_str()) < 0)
            throw std::runtime_error(std::string("libvirt restore: ") + lastError_());
    }
    unsigned long long bootTime()
    {
        unsigned long long t = 0;
        bootTime_(&t);
        return t;
    }

private:
    template <typename F>
    F sym(const char *name)
    {
        return reinterpret_cast<F>(dlsym(handle_, name));
    }
    void *handle_ = nullptr;
    void *def_ = nullptr;
    void *mgr_ = nullptr;
    int (*setPath_)(void *, void *, const char *, bool) = nullptr;
    int (*restorePath_)(void *, void *, const char *) = nullptr;
    int (*bootTime_)(unsigned long long *) = nullptr;
    const char *(*lastError_)() = nullptr;
    std::string why_;
};

class LibvirtInterop : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root: chown and trusted.* xattrs";
        if (!libvirt_.unavailable().empty())
            GTEST_SKIP() << libvirt_.unavailable();
    }

    SecurityPlan plan() const
    {
        SecurityPlan p;
        p.dac = true;
        p.uid = 107;
        p.gid = 108;
        return p;
    }
    SecurityManager manager() const { return SecurityManager(testOptions(dir_.file("state"), false)); }

    // libvirt keeps its boot time per process; when its /proc/uptime
    // fallback rounds differently from ours, libvirt (exact string
    // compare) takes our record for stale.
    bool sameBootTime() { return libvirt_.bootTime() == hostBootTime(); }

    // Both boot times are fixed per process, so when they disagree here
    // the test is rerun in fresh processes (this binary, filtered to the
    // one test) until they agree. Returns the outcome: Here (run it in
    // this process), Done (a child ran it; failures already reported) or
    // Unlucky (they never agreed).
    enum class Where { Here, Done, Unlucky };
    Where whereToRun(const std::string &test)
    {
        if (sameBootTime())
            return Where::Here;
        if (std::getenv("XLNV_INTEROP_CHILD"))
            _exit(77);
        std::printf("[ INFO     ] boot times differ in this process (libvirt %llu, ours %llu): "
                    "rerunning %s in fresh processes\n", libvirt_.bootTime(),
                    static_cast<unsigned long long>(hostBootTime()), test.c_str());
        char self[4096] = {};
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
            return Where::Unlucky;
        std::string log = dir_.file("child.log");
        std::string cmd = "XLNV_INTEROP_CHILD=1 '" + std::string(self, n) +
                          "' --gtest_filter=LibvirtInterop." + test + " >'" + log + "' 2>&1";
        for (int attempt = 0; attempt < 20; attempt++) {
            int st = std::system(cmd.c_str());
            int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            if (code == 77)
                continue;
            if (code != 0) {
                std::stringstream out;
                out << std::ifstream(log).rdbuf();
                ADD_FAILURE() << "rerun in a fresh process failed (" << cmd << "):\n" << out.str();
            }
            return Where::Done;
        }
        return Where::Unlucky;
    }

    TempDir dir_;
    LibvirtDac libvirt_{107, 108};
};

} // namespace

TEST_F(LibvirtInterop, SameRecordsByteForByteAsLibvirt)
{
    std::string theirs = makeFile(dir_.file("theirs"), 1234, 5678, 0640);
    std::string ours = makeFile(dir_.file("ours"), 1234, 5678, 0640);
    libvirt_.label(theirs);
    auto mgr = manager();
    mgr.labelBackings(DomainRef{"d", "", 1}, plan(), {BackingRequest{ours}});
    Snapshot a = snapshot(theirs);
    Snapshot b = snapshot(ours);
    EXPECT_EQ(a.uid, b.uid);
    EXPECT_EQ(a.gid, b.gid);
    EXPECT_EQ(a.mode, b.mode);
    ASSERT_EQ(a.xattrs.size(), 3u);
    EXPECT_EQ(a.xattrs.at("trusted.libvirt.security.dac"), b.xattrs.at("trusted.libvirt.security.dac"));
    EXPECT_EQ(a.xattrs.at("trusted.libvirt.security.ref_dac"),
              b.xattrs.at("trusted.libvirt.security.ref_dac"));
    EXPECT_EQ(a.xattrs.at("trusted.libvirt.security.timestamp_dac"),
              std::to_string(libvirt_.bootTime()));
    EXPECT_TRUE(isCurrentBoot(a.xattrs.at("trusted.libvirt.security.timestamp_dac")));
    std::printf("[ INFO     ] boot time: libvirt %llu, ours %llu\n", libvirt_.bootTime(),
                static_cast<unsigned long long>(hostBootTime()));
}

TEST_F(LibvirtInterop, WeRestoreWhatLibvirtLabeled)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0640);
    Snapshot before = snapshot(path);
    libvirt_.label(path);
    ASSERT_EQ(snapshot(path).uid, 107u);
    manager().restoreBackings(DomainRef{"d", "", 1}, plan(), {BackingRequest{path}}, true);
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(LibvirtInterop, LibvirtRestoresWhatWeLabeled)
{
    switch (whereToRun("LibvirtRestoresWhatWeLabeled")) {
    case Where::Here: break;
    case Where::Done: return;
    case Where::Unlucky:
        GTEST_SKIP() << "libvirt's and our /proc/uptime-derived boot times kept rounding "
                     << "differently in 20 processes; libvirt would drop our record as stale";
    }
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0640);
    Snapshot before = snapshot(path);
    manager().labelBackings(DomainRef{"d", "", 1}, plan(), {BackingRequest{path}});
    ASSERT_EQ(snapshot(path).uid, 107u);
    libvirt_.restore(path);
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(LibvirtInterop, SharedBackingRefcountIsCommonToBothTools)
{
    switch (whereToRun("SharedBackingRefcountIsCommonToBothTools")) {
    case Where::Here: break;
    case Where::Done: return;
    case Where::Unlucky:
        GTEST_SKIP() << "libvirt's and our boot times kept differing in 20 processes";
    }
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0640);
    Snapshot before = snapshot(path);
    auto mgr = manager();
    libvirt_.label(path);                                                    // ref 1
    mgr.labelBackings(DomainRef{"d", "", 1}, plan(), {BackingRequest{path}}); // ref 2
    EXPECT_EQ(rawXattr(path, "trusted.libvirt.security.ref_dac"), std::optional<std::string>("2"));
    mgr.restoreBackings(DomainRef{"d", "", 1}, plan(), {BackingRequest{path}}, true);
    EXPECT_EQ(snapshot(path).uid, 107u) << "restored while libvirt's user is still there";
    libvirt_.restore(path);
    EXPECT_EQ(snapshot(path), before);
}
