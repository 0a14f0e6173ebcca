// The CLI end to end: virt-xen-nvdimm domxml-to-native with a fixture
// host (LIBXL_NVDIMM_HOST_FIXTURE), compared with the data cases.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include "../support/test_files.h"

namespace {

using xlnv::test::readFile;

const std::string kData = std::string(PROJECT_SOURCE_DIR) + "/tests/libxlxml2domconfigdata";

bool exists(const std::string &p)
{
    struct stat st;
    return ::stat(p.c_str(), &st) == 0;
}

std::string replaceAll(std::string s, const std::string &from, const std::string &to)
{
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

struct Result {
    int status = -1;
    std::string out, err;
};

class DomxmlToNativeCli : public ::testing::Test {
protected:
    void SetUp() override
    {
        const char *bin = std::getenv("VIRT_XEN_NVDIMM");
        if (!bin || !exists(bin))
            GTEST_SKIP() << "VIRT_XEN_NVDIMM is not set (run through meson test)";
        binary = bin;
        char tmpl[] = "/tmp/xlnv-cli-XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    void TearDown() override
    {
        if (!dir.empty())
            std::system(("rm -rf '" + dir + "'").c_str());
    }
    Result run(const std::string &args)
    {
        Result r;
        const std::string cmd = "LIBXL_NVDIMM_HOST_FIXTURE='" + kData + "/host.json' '" + binary +
            "' --state-dir '" + dir + "/state' " + args + " > '" + dir + "/out' 2> '" + dir + "/err'";
        const int st = std::system(cmd.c_str());
        r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        r.out = readFile(dir + "/out");
        r.err = readFile(dir + "/err");
        return r;
    }
    std::string stateToken(const std::string &text, const std::string &name)
    {
        return replaceAll(text, dir + "/state/domains/" + name, "@STATEDIR@");
    }
    std::string binary, dir;
};

} // namespace

TEST_F(DomxmlToNativeCli, XenXlMatchesTheDataCase)
{
    Result r = run("domxml-to-native xen-xl '" + kData + "/many-devices.xml'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(stateToken(r.out, "many-devices"), readFile(kData + "/many-devices.cfg"));
    EXPECT_TRUE(exists(dir + "/state/domains/many-devices/nvdimm-acpi.bin"));
}

TEST_F(DomxmlToNativeCli, LibxlJsonMatchesTheDataCase)
{
    Result r = run("domxml-to-native libxl-json '" + kData + "/vnuma-nodes.xml'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(stateToken(r.out, "vnuma-nodes"), readFile(kData + "/vnuma-nodes.json"));
}

TEST_F(DomxmlToNativeCli, XmlOutHoldsAssignedSlotsAndBases)
{
    Result r = run("domxml-to-native xen-xl --xml-out '" + dir + "/done.xml' '" + kData + "/explicit-and-auto.xml'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(readFile(dir + "/done.xml"), readFile(kData + "/explicit-and-auto.out.xml"));
}

TEST_F(DomxmlToNativeCli, WarningsGoToStderr)
{
    Result r = run("domxml-to-native xen-xl '" + kData + "/host-4k-only.xml'");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("warning: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("4 KiB entries"), std::string::npos) << r.err;
}

TEST_F(DomxmlToNativeCli, ErrorExitsOneAndLeavesNothingBehind)
{
    Result r = run("domxml-to-native xen-xl --xml-out '" + dir + "/done.xml' '" + kData + "/error-not-pmem.xml'");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "error: " + replaceAll(readFile(kData + "/error-not-pmem.err"), "(host.json)",
                                            "(" + kData + "/host.json)"));
    EXPECT_FALSE(exists(dir + "/done.xml"));
    EXPECT_FALSE(exists(dir + "/state/domains/error-not-pmem"));
}

TEST_F(DomxmlToNativeCli, RejectsUnknownFormat)
{
    Result r = run("domxml-to-native xen-sxpr '" + kData + "/readonly.xml'");
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "error: invalid argument: unsupported config type xen-sxpr\n");
}
