// virt-xen-nvdimm seclabel-show, run as a real process.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "sec_test_util.h"
#include "security/host_boot_time.h"

using namespace xlnv::sectest;

namespace {

struct Result {
    int status = -1;
    std::string out;
};

Result run(const std::string &args)
{
    const char *tool = std::getenv("VIRT_XEN_NVDIMM");
    Result r;
    if (!tool)
        return r;
    std::string cmd = std::string(tool) + " " + args + " 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        r.out.append(buf, n);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

class SeclabelShow : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (!std::getenv("VIRT_XEN_NVDIMM"))
            GTEST_SKIP() << "VIRT_XEN_NVDIMM not set (run through meson test)";
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root for trusted.* xattrs";
    }
    TempDir dir_;
};

} // namespace

TEST_F(SeclabelShow, PrintsOwnerModeLabelAndRecordsAsJson)
{
    std::string path = makeFile(dir_.file("f"), 107, 108, 0640);
    setRawXattr(path, "trusted.libvirt.security.dac", "+0:+0");
    setRawXattr(path, "trusted.libvirt.security.ref_dac", "2");
    setRawXattr(path, "trusted.libvirt.security.timestamp_dac", xlnv::security::hostBootTimeString());
    setRawXattr(path, "trusted.libvirt.security.selinux", "system_u:object_r:tmp_t:s0");
    setRawXattr(path, "trusted.libvirt.security.ref_selinux", "1");
    setRawXattr(path, "trusted.libvirt.security.timestamp_selinux", "1000");
    setRawXattr(path, "security.selinux", std::string("a_u:object_r:b_t:s0\0", 20));
    Result r = run("seclabel-show --json " + path);
    ASSERT_EQ(r.status, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["uid"], 107);
    EXPECT_EQ(j["gid"], 108);
    EXPECT_EQ(j["mode"], "0640");
    EXPECT_EQ(j["type"], "file");
    EXPECT_EQ(j["selinux"], "a_u:object_r:b_t:s0");
    EXPECT_EQ(j["remembered"]["dac"]["label"], "+0:+0");
    EXPECT_EQ(j["remembered"]["dac"]["refcount"], "2");
    EXPECT_EQ(j["remembered"]["dac"]["stale"], false);
    EXPECT_EQ(j["remembered"]["selinux"]["stale"], true);

    Result text = run("seclabel-show " + path);
    ASSERT_EQ(text.status, 0) << text.out;
    EXPECT_NE(text.out.find("107:108"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("0640"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("+0:+0 (refcount 2"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("stale"), std::string::npos) << text.out;
}

TEST_F(SeclabelShow, PlainFileHasNoLabelAndNoRecords)
{
    std::string path = makeFile(dir_.file("f"), 0, 0, 0600);
    Result r = run("seclabel-show " + path);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("SELinux label:  -"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("dac:          none"), std::string::npos) << r.out;
}

// Like every --json output: a key with no value is left out, never null.
TEST_F(SeclabelShow, JsonLeavesOutKeysWithoutAValue)
{
    std::string path = makeFile(dir_.file("f"), 0, 0, 0600);
    Result r = run("seclabel-show --json " + path);
    ASSERT_EQ(r.status, 0) << r.out;
    auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["remembered"], nlohmann::json::object()) << r.out;
    for (const auto &[key, value] : j.items())
        EXPECT_FALSE(value.is_null()) << key << " in " << r.out;
}

TEST_F(SeclabelShow, MissingPathIsAnErrorOnStderrWithExit1)
{
    Result r = run("seclabel-show " + dir_.file("missing"));
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out.rfind("error: cannot access '" + dir_.file("missing") + "'", 0), 0u) << r.out;
}
