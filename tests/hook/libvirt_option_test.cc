// The CLI's --libvirt URI handling (tools/virt-xen-nvdimm/
// libvirt_metadata_option.h): the persistent half of an attach/detach
// goes to libvirt's <metadata> (real test:///default), the live half to
// the NVDIMM driver step with the config bit taken off. The driver step
// here records what it was asked and can fail on demand, so the split and
// the rollback are visible.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "libvirt_metadata_option.h"
#include "libvirt/libvirt_metadata.h"
#include "libxl/nvdimm_driver.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

constexpr const char *kTestUri = "test:///default";
constexpr const char *kDomain = "test";

const std::string kDevice = "<memory model='nvdimm' access='shared'><source><path>/dev/dax0.0</path>"
                            "</source><target><size unit='MiB'>256</size></target></memory>";

struct RecordingStep {
    std::vector<unsigned> calls;
    bool fail = false;
    cli::DriverStep step()
    {
        return [this](unsigned flags) -> std::string {
            calls.push_back(flags);
            if (fail)
                raise(ErrorCode::OperationFailed, "%s", "live step failed");
            return "nvdimm0";
        };
    }
};

} // namespace

TEST(LibvirtOption, ConfigOnlyAttachStoresInMetadataAndSkipsTheDriver)
{
    LibvirtMetadata md(kTestUri);   // keeps test:///default's state alive
    RecordingStep driver;
    EXPECT_EQ(cli::attachWithLibvirt(kTestUri, kDomain, kDevice, kAffectConfig, driver.step()),
              "/dev/dax0.0");
    EXPECT_TRUE(driver.calls.empty());
    ASSERT_EQ(md.devices(kDomain, kAffectConfig).size(), 1u);

    EXPECT_EQ(cli::detachWithLibvirt(kTestUri, kDomain, kDevice, "", kAffectConfig, driver.step()),
              "/dev/dax0.0");
    EXPECT_TRUE(driver.calls.empty());
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
}

TEST(LibvirtOption, LivePlusConfigSplitsBetweenLibvirtAndTheDriver)
{
    LibvirtMetadata md(kTestUri);
    RecordingStep driver;
    EXPECT_EQ(cli::attachWithLibvirt(kTestUri, kDomain, kDevice, kAffectLive | kAffectConfig,
                                     driver.step()),
              "nvdimm0");
    ASSERT_EQ(driver.calls.size(), 1u);
    EXPECT_EQ(driver.calls[0], unsigned{kAffectLive});
    EXPECT_EQ(md.devices(kDomain, kAffectConfig).size(), 1u);

    EXPECT_EQ(cli::detachWithLibvirt(kTestUri, kDomain, kDevice, "", kAffectLive | kAffectConfig,
                                     driver.step()),
              "nvdimm0");
    ASSERT_EQ(driver.calls.size(), 2u);
    EXPECT_EQ(driver.calls[1], unsigned{kAffectLive});
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
}

TEST(LibvirtOption, FailingLiveAttachTakesTheMetadataEntryBackOut)
{
    LibvirtMetadata md(kTestUri);
    RecordingStep driver;
    driver.fail = true;
    EXPECT_THROW(cli::attachWithLibvirt(kTestUri, kDomain, kDevice, kAffectLive | kAffectConfig,
                                        driver.step()),
                 Error);
    EXPECT_EQ(driver.calls.size(), 1u);
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
}

TEST(LibvirtOption, WithoutUriOrConfigFlagEverythingGoesToTheDriver)
{
    RecordingStep driver;
    EXPECT_EQ(cli::attachWithLibvirt("", kDomain, kDevice, kAffectConfig, driver.step()), "nvdimm0");
    EXPECT_EQ(cli::attachWithLibvirt(kTestUri, kDomain, kDevice, kAffectLive, driver.step()),
              "nvdimm0");
    EXPECT_EQ(driver.calls, (std::vector<unsigned>{kAffectConfig, kAffectLive}));
}

TEST(LibvirtOption, UriComesFromTheOptionElseTheConfigurationFile)
{
    const std::string conf = (std::filesystem::temp_directory_path() / "xlnv-libvirt-uri.conf").string();
    std::ofstream(conf) << "[libvirt]\nuri = test:///default\n";
    setenv("LIBXL_NVDIMM_CONFIG", conf.c_str(), 1);
    EXPECT_EQ(cli::libvirtMetadataUri(""), "test:///default");
    EXPECT_EQ(cli::libvirtMetadataUri("xen:///system"), "xen:///system");
    std::ofstream(conf) << "[security]\n";
    EXPECT_EQ(cli::libvirtMetadataUri(""), "");
    unsetenv("LIBXL_NVDIMM_CONFIG");
    std::filesystem::remove(conf);
}
