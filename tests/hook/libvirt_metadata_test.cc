// NVDIMM definitions in a libvirt domain's <metadata>, for real, through
// libvirt's client library and its embedded test:///default driver. The
// test driver's state lives as long as the connection, so every test
// sets and reads back on one LibvirtMetadata.
#include <gtest/gtest.h>

#include <string>

#include "conf/domain_conf.h"
#include "libvirt/libvirt_metadata.h"
#include "libxl/nvdimm_driver.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

constexpr const char *kTestUri = "test:///default";
constexpr const char *kDomain = "test";   // running, persistent, in test:///default

std::string deviceXml(const std::string &path, unsigned sizeMiB, const std::string &extra = "")
{
    return "<memory model='nvdimm' access='shared'><source><path>" + path +
           "</path></source><target><size unit='MiB'>" + std::to_string(sizeMiB) +
           "</size></target>" + extra + "</memory>";
}

size_t occurrences(const std::string &text, const std::string &needle)
{
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++n;
    return n;
}

template <typename F>
ErrorCode errorOf(F &&f)
{
    try {
        f();
    } catch (const Error &e) {
        return e.code();
    }
    return ErrorCode::Ok;
}

} // namespace

TEST(LibvirtMetadata, AddTwoReadBackRemoveOneThroughLibvirt)
{
    LibvirtMetadata md(kTestUri);
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());

    md.addDevice(kDomain, deviceXml("/dev/dax0.0", 1024), kAffectConfig);
    md.addDevice(kDomain, deviceXml("/mnt/pmem1/test.img", 512, "<alias name='ua-second'/>"),
                 kAffectConfig);

    const auto stored = md.devices(kDomain, kAffectConfig);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].path, "/dev/dax0.0");
    EXPECT_EQ(stored[0].size_kib, 1024u * 1024);
    EXPECT_EQ(stored[0].access, conf::MemoryAccess::Shared);
    EXPECT_EQ(stored[1].path, "/mnt/pmem1/test.img");
    EXPECT_EQ(stored[1].size_kib, 512u * 1024);
    EXPECT_EQ(stored[1].alias, "ua-second");

    // The domain's own XML carries our element, in our namespace.
    const std::string xml = md.domainXml(kDomain, kAffectConfig);
    EXPECT_NE(xml.find("<nvdimm:devices xmlns:nvdimm=\"https://libxl-nvdimm.org/xmlns/nvdimm/1.0\">"),
              std::string::npos)
        << xml;
    EXPECT_EQ(occurrences(xml, "<nvdimm:memory model=\"nvdimm\""), 2u) << xml;
    // ...and what the hook reads out of that XML is what was stored.
    const auto fromXml = metadataDevicesOfDomain(xml);
    ASSERT_EQ(fromXml.size(), 2u);
    EXPECT_EQ(conf::formatNvdimm(fromXml[0], conf::NVDIMM_INACTIVE),
              conf::formatNvdimm(stored[0], conf::NVDIMM_INACTIVE));
    EXPECT_EQ(conf::formatNvdimm(fromXml[1], conf::NVDIMM_INACTIVE),
              conf::formatNvdimm(stored[1], conf::NVDIMM_INACTIVE));

    // The live definition was not touched.
    EXPECT_TRUE(md.devices(kDomain, kAffectLive).empty());

    // Remove by path and size (libvirt's matching without an alias).
    const auto removed = md.removeDevice(kDomain, deviceXml("/dev/dax0.0", 1024), kAffectConfig);
    EXPECT_EQ(removed.path, "/dev/dax0.0");
    const auto left = md.devices(kDomain, kAffectConfig);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].path, "/mnt/pmem1/test.img");

    // By alias; the last one takes the element with it.
    EXPECT_EQ(md.removeDeviceAlias(kDomain, "ua-second", kAffectConfig).path, "/mnt/pmem1/test.img");
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
    EXPECT_EQ(md.domainXml(kDomain, kAffectConfig).find("libxl-nvdimm.org"), std::string::npos);
}

TEST(LibvirtMetadata, LiveDefinitionIsSeparateFromPersistent)
{
    LibvirtMetadata md(kTestUri);
    md.addDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectLive);
    EXPECT_EQ(md.devices(kDomain, kAffectLive).size(), 1u);
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
    EXPECT_NE(md.domainXml(kDomain, kAffectLive).find("<nvdimm:devices"), std::string::npos);
    md.removeDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectLive);
    EXPECT_TRUE(md.devices(kDomain, kAffectLive).empty());
}

TEST(LibvirtMetadata, BadDeviceIsRefusedBeforeLibvirtIsAsked)
{
    LibvirtMetadata md(kTestUri);
    const std::string noPath = "<memory model='nvdimm'><target><size unit='GiB'>1</size></target></memory>";
    // An unknown domain would be NoDomain: the device error comes first.
    // ("path is required for model 'nvdimm'": libvirt's VIR_ERR_XML_DETAIL)
    EXPECT_EQ(errorOf([&] { md.addDevice("no-such-domain", noPath, kAffectConfig); }),
              ErrorCode::XmlDetail);
    EXPECT_EQ(errorOf([&] {
                  md.addDevice("no-such-domain", "<memory model='nvdimm'><source/></memory>",
                               kAffectConfig);
              }),
              ErrorCode::XmlError);
    EXPECT_EQ(errorOf([&] { md.addDevice(kDomain, noPath, kAffectConfig); }),
              ErrorCode::XmlDetail);
    EXPECT_TRUE(md.devices(kDomain, kAffectConfig).empty());
    EXPECT_EQ(md.domainXml(kDomain, kAffectConfig).find("libxl-nvdimm.org"), std::string::npos);
}

TEST(LibvirtMetadata, SecondDeviceOnTheSameBackingIsRefused)
{
    LibvirtMetadata md(kTestUri);
    md.addDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectConfig);
    try {
        md.addDevice(kDomain, deviceXml("/dev/dax0.0", 512), kAffectConfig);
        ADD_FAILURE() << "duplicate backing accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("'/dev/dax0.0'"), std::string::npos) << e.message();
    }
    EXPECT_EQ(md.devices(kDomain, kAffectConfig).size(), 1u);
    md.removeDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectConfig);
}

TEST(LibvirtMetadata, RemovingAnAbsentDeviceFailsAndKeepsTheRest)
{
    LibvirtMetadata md(kTestUri);
    md.addDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectConfig);
    // Same path, other size: not the same device for libvirt.
    EXPECT_EQ(errorOf([&] { md.removeDevice(kDomain, deviceXml("/dev/dax0.0", 512), kAffectConfig); }),
              ErrorCode::OperationFailed);
    EXPECT_EQ(errorOf([&] { md.removeDeviceAlias(kDomain, "ua-nope", kAffectConfig); }),
              ErrorCode::OperationFailed);
    EXPECT_EQ(md.devices(kDomain, kAffectConfig).size(), 1u);
    md.removeDevice(kDomain, deviceXml("/dev/dax0.0", 256), kAffectConfig);
}

TEST(LibvirtMetadata, UnknownDomainAndUnknownUriAreReportedAsSuch)
{
    LibvirtMetadata md(kTestUri);
    EXPECT_EQ(errorOf([&] { md.devices("no-such-domain", kAffectConfig); }), ErrorCode::NoDomain);
    EXPECT_EQ(errorOf([] { LibvirtMetadata bad("bogus:///nowhere"); }), ErrorCode::NoConnect);
}

TEST(LibvirtMetadata, HookMergesMetadataDevicesOnlyWhenDevicesHoldNone)
{
    const std::string ns = "xmlns:nvdimm='https://libxl-nvdimm.org/xmlns/nvdimm/1.0'";
    const std::string withMetadata =
        "<domain type='xen'><name>g</name><metadata><other:x xmlns:other='urn:other'/>"
        "<nvdimm:devices " + ns + "><nvdimm:memory model='nvdimm'><nvdimm:source><nvdimm:path>"
        "/dev/dax0.0</nvdimm:path></nvdimm:source><nvdimm:target><nvdimm:size unit='KiB'>"
        "1048576</nvdimm:size></nvdimm:target></nvdimm:memory></nvdimm:devices></metadata>"
        "<memory unit='KiB'>1048576</memory><os><type>hvm</type></os><devices>%DEV%</devices></domain>";
    auto withDevices = [&](const std::string &dev) {
        std::string s = withMetadata;
        s.replace(s.find("%DEV%"), 5, dev);
        return s;
    };

    const auto merged = conf::DomainXml::parseString(
        domainXmlWithMetadataDevices(withDevices("")), 0);
    ASSERT_EQ(merged.nvdimms().size(), 1u);
    EXPECT_EQ(merged.nvdimms()[0].path, "/dev/dax0.0");
    EXPECT_EQ(merged.nvdimms()[0].size_kib, 1048576u);

    // <devices> wins: the metadata is a stand-in for stock libvirt only.
    const std::string own = withDevices(deviceXml("/dev/dax1.0", 512));
    EXPECT_EQ(domainXmlWithMetadataDevices(own), own);

    // Another namespace's <devices> is not ours.
    const std::string foreign =
        "<domain type='xen'><name>g</name><metadata><x:devices xmlns:x='urn:x'><x:memory "
        "model='nvdimm'/></x:devices></metadata><memory unit='KiB'>1048576</memory><devices/></domain>";
    EXPECT_TRUE(metadataDevicesOfDomain(foreign).empty());
}

TEST(LibvirtMetadata, FragmentRoundTripsInCanonicalForm)
{
    const std::string fragment = formatMetadataDevices(
        {conf::parseNvdimmString(deviceXml("/dev/dax0.0", 1024), conf::NVDIMM_INACTIVE)});
    EXPECT_EQ(fragment, "<devices>\n"
                        "  <memory model='nvdimm' access='shared'>\n"
                        "    <source>\n"
                        "      <path>/dev/dax0.0</path>\n"
                        "    </source>\n"
                        "    <target>\n"
                        "      <size unit='KiB'>1048576</size>\n"
                        "    </target>\n"
                        "  </memory>\n"
                        "</devices>\n");
    ASSERT_EQ(parseMetadataDevices(fragment).size(), 1u);
    EXPECT_EQ(errorOf([] { parseMetadataDevices("<memory model='nvdimm'/>"); }), ErrorCode::XmlError);
    EXPECT_EQ(errorOf([] { parseMetadataDevices("<devices><disk/></devices>"); }), ErrorCode::XmlError);
}
