#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "sec_test_util.h"
#include "security/security_manager.h"
#include "security/security_options.h"
#include "util/config.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::security;

namespace {

struct EnvGuard {
    std::string name;
    std::optional<std::string> old;
    EnvGuard(const char *n, const std::string &value) : name(n)
    {
        if (const char *v = std::getenv(n))
            old = v;
        setenv(n, value.c_str(), 1);
    }
    ~EnvGuard()
    {
        if (old)
            setenv(name.c_str(), old->c_str(), 1);
        else
            unsetenv(name.c_str());
    }
};

} // namespace

TEST(Config, ReadsTypedValues)
{
    Config c = Config::fromString("[security]\ndm_restrict = yes\nselinux_category_max = 0x10\n"
                                  "device_model_user = qemu\nlist = a: b :c\n[other]\nn = -5\n");
    EXPECT_TRUE(c.getBool("security", "dm_restrict", false));
    EXPECT_EQ(c.getUInt("security", "selinux_category_max", 0), 16u);
    EXPECT_EQ(c.getString("security", "device_model_user", ""), "qemu");
    EXPECT_EQ(c.getList("security", "list", {}), (std::vector<std::string>{"a", "b", "c"}));   // ":" as in PATH
    EXPECT_EQ(c.getInt("other", "n", 0), -5);
}

TEST(Config, MissingKeysAndSectionsGiveDefaults)
{
    Config c = Config::fromString("[security]\n");
    EXPECT_FALSE(c.has("security", "dm_restrict"));
    EXPECT_TRUE(c.getBool("security", "dm_restrict", true));
    EXPECT_EQ(c.getString("nosuch", "key", "def"), "def");
    EXPECT_EQ(c.getUInt("security", "x", 7), 7u);
}

TEST(Config, RejectsMalformedBooleanNamingKeySectionAndFile)
{
    Config c = Config::fromString("[security]\ndm_restrict = maybe\n", "/etc/x.conf");
    try {
        c.getBool("security", "dm_restrict", false);
        FAIL() << "accepted 'maybe'";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_NE(e.message().find("'maybe'"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("dm_restrict"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("[security]"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("/etc/x.conf"), std::string::npos) << e.message();
    }
}

TEST(Config, RejectsSyntaxErrorNamingTheFile)
{
    try {
        Config::fromString("this is not a keyfile\n", "/etc/bad.conf");
        FAIL() << "accepted garbage";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_NE(e.message().find("/etc/bad.conf"), std::string::npos) << e.message();
    }
}

TEST(Config, EnvironmentNamesTheFile)
{
    sectest::TempDir dir;
    std::string path = dir.file("x.conf");
    std::ofstream(path) << "[security]\ndevice_model_user = +4242\n";
    EnvGuard env("LIBXL_NVDIMM_CONFIG", path);
    Config c = Config::load();
    EXPECT_EQ(c.origin(), path);
    EXPECT_EQ(SecurityOptions::fromConfig(c).dm.device_model_user, "+4242");
}

TEST(Config, MissingFileNamedByEnvironmentIsAnError)
{
    EnvGuard env("LIBXL_NVDIMM_CONFIG", "/nonexistent/libxl-nvdimm.conf");
    try {
        Config::load();
        FAIL() << "a missing explicit file was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::SystemError);
        EXPECT_NE(e.message().find("/nonexistent/libxl-nvdimm.conf"), std::string::npos);
    }
}

TEST(Config, ExampleFileMatchesBuiltInDefaults)
{
    const char *src = std::getenv("abs_top_srcdir");
    if (!src)
        GTEST_SKIP() << "abs_top_srcdir not set (run through meson test)";
    Config c = Config::loadFile(std::string(src) + "/examples/libxl-nvdimm.conf");
    SecurityOptions fromFile = SecurityOptions::fromConfig(c);
    SecurityOptions defaults;
    EXPECT_EQ(fromFile.dm.device_model_user, defaults.dm.device_model_user);
    EXPECT_EQ(fromFile.dm.dm_restrict, defaults.dm.dm_restrict);
    EXPECT_EQ(fromFile.dynamic_ownership, defaults.dynamic_ownership);
    EXPECT_EQ(fromFile.remember_owner, defaults.remember_owner);
    EXPECT_EQ(fromFile.selinux, defaults.selinux);
    EXPECT_EQ(fromFile.selinux_image_context, defaults.selinux_image_context);
    EXPECT_EQ(fromFile.selinux_category_max, defaults.selinux_category_max);
    EXPECT_EQ(fromFile.state_dir, defaults.state_dir);
}

TEST(Config, SecurityOptionsRejectUnknownSelinuxMode)
{
    Config c = Config::fromString("[security]\nselinux = enforcing\n", "t.conf");
    EXPECT_THROW(SecurityOptions::fromConfig(c), Error);
}

TEST(Config, SecurityOptionsRejectMalformedImageContext)
{
    Config c = Config::fromString("[security]\nselinux_image_context = svirt_image_t\n", "t.conf");
    try {
        SecurityOptions::fromConfig(c);
        FAIL() << "accepted a context without user:role:type";
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("selinux_image_context"), std::string::npos) << e.message();
    }
}

// [security] runtime_dir, named apart from the domain state directory;
// the old name state_dir still works.
TEST(Config, ManagerFromConfigTakesTheRuntimeDirAndItsOldName)
{
    Config renamed = Config::fromString("[security]\nruntime_dir = /run/z\n", "t.conf");
    EXPECT_EQ(SecurityManager::fromConfig(renamed).mcsStateFile(), "/run/z/security/selinux-mcs.json");
    Config c = Config::fromString("[security]\nselinux = on\nstate_dir = /run/x\n", "t.conf");
    EXPECT_EQ(SecurityManager::fromConfig(c).mcsStateFile(), "/run/x/security/selinux-mcs.json");
    SecurityManager m = SecurityManager::fromConfig(c, "/var/tmp/y");
    EXPECT_EQ(m.mcsStateFile(), "/var/tmp/y/security/selinux-mcs.json");
    EXPECT_TRUE(m.selinuxActive());
}
