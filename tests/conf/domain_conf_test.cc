#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "conf/domain_conf.h"
#include "util/error.h"
#include "util/log.h"
#include "../support/test_files.h"

using namespace xlnv;
using namespace xlnv::conf;

namespace {

using xlnv::test::readFile;

std::string example()
{
    return readFile(std::string(PROJECT_SOURCE_DIR) + "/examples/guest-nvdimm.xml");
}

// A hand-written domain with odd but valid formatting that must survive.
const char *kQuirky =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- keep me -->\n"
    "<domain type=\"xen\" xmlns:my=\"http://example.org/my\">\n"
    "\t<name>quirky</name>\n"
    "  <memory unit=\"GiB\">4</memory>\n"
    "  <maxMemory slots=\"2\" unit=\"GiB\">16</maxMemory>\n"
    "  <os><type>hvm</type></os>\n"
    "  <metadata><my:x a=\"1\"   b='2'>&amp; &#65;<![CDATA[<raw>]]></my:x></metadata>\n"
    "  <devices>\n"
    "    <disk type=\"file\"><source file=\"/a b\"/><target dev=\"xvda\"/></disk>\n"
    "    <memory model=\"nvdimm\"><source><path>/dev/dax0.0</path></source>"
    "<target><size>1048576</size></target></memory>\n"
    "    <vsock model='virtio'/>\n"
    "  </devices>\n"
    "</domain>\n";

const char *kQuirkyCanonicalDevice =
    "<memory model='nvdimm'>\n"
    "      <source>\n"
    "        <path>/dev/dax0.0</path>\n"
    "      </source>\n"
    "      <target>\n"
    "        <size unit='KiB'>1048576</size>\n"
    "      </target>\n"
    "    </memory>";

std::string replaceOnce(std::string text, const std::string &from, const std::string &to)
{
    const size_t pos = text.find(from);
    if (pos != std::string::npos)
        text.replace(pos, from.size(), to);
    return text;
}

std::string quirkyDevice()
{
    return "<memory model=\"nvdimm\"><source><path>/dev/dax0.0</path></source>"
           "<target><size>1048576</size></target></memory>";
}

NvdimmDef newDevice(const char *path, unsigned slot)
{
    NvdimmDef def;
    def.path = path;
    def.size_kib = 2097152;
    def.address.present = true;
    def.address.slot = slot;
    return def;
}

std::string validationError(const DomainXml &dom, bool xen)
{
    try {
        validateDomain(dom);
        if (xen)
            validateXenRules(dom);
    } catch (const Error &e) {
        return e.message();
    }
    return "no error";
}

} // namespace

TEST(DomainXml, ReadsIdentityAndMemory)
{
    const DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    EXPECT_EQ(dom.name(), "guest-nvdimm");
    EXPECT_EQ(dom.uuid(), "6c4a7e3e-1f3b-4d0c-9a51-3d2f8e0b7a11");
    EXPECT_EQ(dom.type(), "xen");
    EXPECT_EQ(dom.osType(), "hvm");
    EXPECT_EQ(dom.arch(), "x86_64");
    EXPECT_EQ(dom.memoryKiB(), 14680064u);
    EXPECT_EQ(dom.currentMemoryKiB().value_or(0), 2097152u);
    EXPECT_EQ(dom.maxMemoryKiB().value_or(0), 33554432u);
    EXPECT_EQ(dom.maxMemorySlots(), 4u);
    EXPECT_EQ(dom.vcpus(), 2u);
    ASSERT_EQ(dom.numaCells().size(), 1u);
    EXPECT_EQ(dom.numaCells()[0].memory_kib, 2097152u);
    EXPECT_EQ(dom.numaCells()[0].cpus, "0-1");
    ASSERT_EQ(dom.nvdimms().size(), 2u);
    EXPECT_EQ(dom.nvdimms()[1].path, "/mnt/pmem0/guest-nvdimm.img");
    EXPECT_EQ(dom.totalMemoryKiB(), 2097152u + 8388608u + 4194304u);
    EXPECT_EQ(dom.findNvdimmByAlias("ua-nvdimm-file"), 1);
    EXPECT_EQ(dom.findNvdimmByAlias("nope"), -1);
}

TEST(DomainXml, ExampleIsValidForXen)
{
    const DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    EXPECT_EQ(validationError(dom, true), "no error");
}

TEST(DomainXml, UneditedCanonicalDocumentRoundTripsByteForByte)
{
    const std::string text = example();
    EXPECT_EQ(DomainXml::parseString(text, NVDIMM_INACTIVE).format(), text);
}

TEST(DomainXml, UneditedDocumentKeepsEverythingButTheDevice)
{
    const DomainXml dom = DomainXml::parseString(kQuirky, NVDIMM_INACTIVE);
    EXPECT_EQ(dom.format(), replaceOnce(kQuirky, quirkyDevice(), kQuirkyCanonicalDevice));
}

TEST(DomainXml, AddedDeviceGoesAfterLastMemoryDevice)
{
    DomainXml dom = DomainXml::parseString(kQuirky, NVDIMM_INACTIVE);
    dom.addNvdimm(newDevice("/dev/dax1.0", 1));
    const std::string out = dom.format();
    const std::string expectedDevice =
        std::string(kQuirkyCanonicalDevice) +
        "\n    <memory model='nvdimm'>\n"
        "      <source>\n"
        "        <path>/dev/dax1.0</path>\n"
        "      </source>\n"
        "      <target>\n"
        "        <size unit='KiB'>2097152</size>\n"
        "      </target>\n"
        "      <address type='dimm' slot='1'/>\n"
        "    </memory>";
    EXPECT_EQ(out, replaceOnce(kQuirky, quirkyDevice(), expectedDevice));
    ASSERT_EQ(dom.nvdimms().size(), 2u);
    // The tree holds it too, before <vsock>.
    xmlNodePtr devices = xmlDocGetRootElement(dom.doc())->children;
    while (devices && !xmlStrEqual(devices->name, BAD_CAST "devices"))
        devices = devices->next;
    ASSERT_NE(devices, nullptr);
    std::vector<std::string> names;
    for (xmlNodePtr c = devices->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            names.emplace_back(reinterpret_cast<const char *>(c->name));
    }
    EXPECT_EQ(names, (std::vector<std::string>{"disk", "memory", "memory", "vsock"}));
}

TEST(DomainXml, FirstDeviceGoesBeforeVsock)
{
    const std::string text = replaceOnce(kQuirky, quirkyDevice() + "\n", "");
    DomainXml dom = DomainXml::parseString(text, NVDIMM_INACTIVE);
    dom.addNvdimm(newDevice("/dev/dax1.0", 0));
    const std::string out = dom.format();
    const size_t memory = out.find("    <memory model='nvdimm'>\n");
    const size_t vsock = out.find("    <vsock");
    const size_t disk = out.find("</disk>");
    ASSERT_NE(memory, std::string::npos) << out;
    EXPECT_LT(disk, memory);
    EXPECT_LT(memory, vsock);
    EXPECT_NE(out.find("    </memory>\n    <vsock"), std::string::npos) << out;
    // Re-parsing the output finds the device.
    EXPECT_EQ(DomainXml::parseString(out, NVDIMM_INACTIVE).nvdimms().size(), 1u);
}

TEST(DomainXml, DeviceAddedToEmptyDevicesIsIndented)
{
    const std::string text =
        "<domain type='xen'>\n  <name>e</name>\n  <devices/>\n</domain>\n";
    DomainXml dom = DomainXml::parseString(text, NVDIMM_INACTIVE);
    dom.addNvdimm(newDevice("/x", 0));
    const std::string out = dom.format();
    EXPECT_NE(out.find("  <devices>\n    <memory model='nvdimm'>\n      <source>\n"), std::string::npos) << out;
    EXPECT_NE(out.find("    </memory>\n  </devices>\n</domain>\n"), std::string::npos) << out;
}

TEST(DomainXml, RemoveTakesOnlyThatDevice)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.removeNvdimm(0);
    const std::string out = dom.format();
    const std::string text = example();
    const size_t start = text.find("    <memory model='nvdimm'");
    const size_t end = text.find("    </memory>\n", start) + std::string("    </memory>\n").size();
    std::string expected = text;
    expected.erase(start, end - start);
    EXPECT_EQ(out, expected);
    ASSERT_EQ(dom.nvdimms().size(), 1u);
    EXPECT_EQ(dom.nvdimms()[0].alias, "ua-nvdimm-file");
}

TEST(DomainXml, SetAliasTouchesOnlyThatDevice)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.setNvdimmAlias(1, "ua-renamed");
    EXPECT_EQ(dom.format(), replaceOnce(example(), "ua-nvdimm-file", "ua-renamed"));
    EXPECT_EQ(dom.findNvdimmByAlias("ua-renamed"), 1);
}

TEST(DomainXml, SetAddressTouchesOnlyThatDevice)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    DimmAddress address{true, 3, 0x480000000ULL};
    dom.setNvdimmAddress(0, address);
    EXPECT_EQ(dom.format(), replaceOnce(example(), "<address type='dimm' slot='0'/>",
                                        "<address type='dimm' slot='3' base='0x480000000'/>"));
}

TEST(DomainXml, ReplaceKeepsPositionAndUpdatesTree)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    NvdimmDef def = dom.nvdimms()[0];
    def.readonly = true;
    dom.replaceNvdimm(0, def);
    const std::string out = dom.format();
    EXPECT_EQ(out, replaceOnce(example(), "      </target>\n      <alias name='ua-nvdimm-dax'/>",
                               "        <readonly/>\n      </target>\n      <alias name='ua-nvdimm-dax'/>"));
    EXPECT_EQ(DomainXml::parseString(out, NVDIMM_INACTIVE).nvdimms()[0].readonly, true);
}

// The tree as libxml2 writes it.
std::string treeText(const DomainXml &dom)
{
    xmlChar *buf = nullptr;
    int len = 0;
    xmlDocDumpMemory(dom.doc(), &buf, &len);
    std::string out(reinterpret_cast<const char *>(buf), static_cast<size_t>(len));
    xmlFree(buf);
    return out;
}

TEST(DomainXml, TheTreeFollowsEveryChangeOfADevice)
{
    // A changed device's node is built when the tree is read: whatever
    // happened to the device in between, the tree has all of it.
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.addNvdimm(newDevice("/dev/dax1.0", 5));
    dom.setNvdimmAlias(2, "ua-added");
    dom.setNvdimmAddress(2, DimmAddress{true, 6, 0x200000000ULL});
    std::string tree = treeText(dom);
    EXPECT_NE(tree.find("<path>/dev/dax1.0</path>"), std::string::npos) << tree;
    EXPECT_NE(tree.find("<alias name=\"ua-added\"/>"), std::string::npos) << tree;
    EXPECT_NE(tree.find("<address type=\"dimm\" slot=\"6\" base=\"0x200000000\"/>"), std::string::npos) << tree;
    EXPECT_EQ(tree.find("slot=\"5\""), std::string::npos) << tree;

    // Changed again after a read, and one of the first devices too.
    NvdimmDef def = dom.nvdimms()[2];
    def.readonly = true;
    dom.replaceNvdimm(2, def);
    dom.setNvdimmAlias(0, "ua-first");
    tree = treeText(dom);
    EXPECT_NE(tree.find("<readonly/>"), std::string::npos) << tree;
    EXPECT_NE(tree.find("<alias name=\"ua-first\"/>"), std::string::npos) << tree;
    EXPECT_EQ(tree.find("ua-nvdimm-dax"), std::string::npos) << tree;
    size_t memories = 0;
    for (size_t at = tree.find("<memory model"); at != std::string::npos; at = tree.find("<memory model", at + 1))
        memories++;
    EXPECT_EQ(memories, 3u);

    // A device removed before its node was built leaves nothing behind,
    // and the text and the tree agree.
    dom.addNvdimm(newDevice("/dev/dax2.0", 7));
    dom.removeNvdimm(3);
    EXPECT_EQ(treeText(dom).find("/dev/dax2.0"), std::string::npos);
    EXPECT_EQ(dom.format().find("/dev/dax2.0"), std::string::npos);
    const auto reread = DomainXml::parseString(dom.format(), NVDIMM_INACTIVE).nvdimms();
    ASSERT_EQ(reread.size(), 3u);
    EXPECT_EQ(reread[2].alias, "ua-added");
    EXPECT_EQ(reread[2].address.slot, 6u);
    EXPECT_TRUE(reread[2].readonly);
}

TEST(DomainXml, RejectsBadIndex)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    EXPECT_THROW(dom.removeNvdimm(2), Error);
}

TEST(DomainXml, CloneIsIndependent)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.setNvdimmAlias(0, "ua-first");
    DomainXml copy = dom.clone();
    copy.removeNvdimm(0);
    EXPECT_EQ(dom.nvdimms().size(), 2u);
    EXPECT_EQ(copy.nvdimms().size(), 1u);
    EXPECT_NE(dom.format().find("ua-first"), std::string::npos);
    EXPECT_EQ(copy.format().find("ua-first"), std::string::npos);
}

TEST(DomainXml, RejectsOtherRootElement)
{
    try {
        DomainXml::parseString("<network/>", 0);
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.message(), "XML error: unexpected root element <network>, expecting <domain>");
    }
}

TEST(DomainValidate, DevicesExceedingMemoryWithoutCells)
{
    const DomainXml dom = DomainXml::parseString(
        "<domain type='xen'><memory>1024</memory><maxMemory slots='2'>1048576</maxMemory>"
        "<os><type>hvm</type></os><devices><memory model='nvdimm'><source><path>/p</path></source>"
        "<target><size>2048</size></target></memory></devices></domain>", NVDIMM_INACTIVE);
    EXPECT_EQ(validationError(dom, false),
              "XML error: Total size of memory devices exceeds the total memory size");
}

TEST(DomainValidate, CellsAddDevicesToTotalAsQemuDriverDoes)
{
    // Nova's shape: <memory> is the flavor RAM, the NVDIMM comes on top.
    const DomainXml dom = DomainXml::parseString(
        "<domain type='xen'><memory>1048576</memory><maxMemory slots='2'>3145728</maxMemory>"
        "<os><type>hvm</type></os><cpu><numa><cell id='0' cpus='0' memory='1048576'/></numa></cpu>"
        "<devices><memory model='nvdimm'><source><path>/p</path></source>"
        "<target><size>2097152</size><node>0</node></target></memory></devices></domain>", NVDIMM_INACTIVE);
    EXPECT_EQ(dom.totalMemoryKiB(), 3145728u);
    EXPECT_EQ(validationError(dom, true), "no error");
}

TEST(DomainValidate, SlotConflict)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.setNvdimmAddress(1, DimmAddress{true, 0, 0});
    EXPECT_EQ(validationError(dom, false),
              "unsupported configuration: memory device slot '0' is already being used by another memory device");
}

TEST(DomainValidate, BaseOverlap)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.setNvdimmAddress(0, DimmAddress{true, 0, 0x100000000ULL});
    dom.setNvdimmAddress(1, DimmAddress{true, 1, 0x100000000ULL + 8ULL * 1024 * 1024 * 1024 - 4096});
    const std::string msg = validationError(dom, false);
    EXPECT_NE(msg.find("overlaps"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ua-nvdimm-file"), std::string::npos) << msg;
    dom.setNvdimmAddress(1, DimmAddress{true, 1, 0x100000000ULL + 8ULL * 1024 * 1024 * 1024});
    EXPECT_EQ(validationError(dom, false), "no error");
}

TEST(DomainValidate, XenRulesNameTheDevice)
{
    DomainXml dom = DomainXml::parseString(example(), NVDIMM_INACTIVE);
    dom.setNvdimmAddress(1, DimmAddress{true, 4, 0});
    const std::string msg = validationError(dom, true);
    EXPECT_EQ(msg.rfind("unsupported configuration: NVDIMM device 'ua-nvdimm-file'", 0), 0u) << msg;
}

TEST(DomainValidate, PvGuestIsRejected)
{
    const std::string text = replaceOnce(example(), ">hvm<", ">xen<");
    const std::string msg = validationError(DomainXml::parseString(text, NVDIMM_INACTIVE), true);
    EXPECT_EQ(msg.rfind("unsupported configuration: NVDIMM device 'ua-nvdimm-dax' needs an HVM guest", 0), 0u)
        << msg;
}

TEST(DomainValidate, PvhGuestIsAcceptedWithWarning)
{
    const std::string text = replaceOnce(example(), ">hvm<", ">xenpvh<");
    std::vector<std::string> warnings;
    auto old = setWarningSink([&](const std::string &m) { warnings.push_back(m); });
    const std::string msg = validationError(DomainXml::parseString(text, NVDIMM_INACTIVE), true);
    setWarningSink(old);
    EXPECT_EQ(msg, "no error");
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("ACPI"), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("ua-nvdimm-dax"), std::string::npos) << warnings[0];
}

namespace {

conf::NvdimmDef nvdimmAt(const std::string &path, uint64_t sizeKiB, const std::string &alias = "")
{
    conf::NvdimmDef d;
    d.path = path;
    d.size_kib = sizeKiB;
    d.alias = alias;
    return d;
}

} // namespace

TEST(FindNvdimmByDef, AliasNamesTheDeviceAlone)
{
    const std::vector<conf::NvdimmDef> devs{nvdimmAt("/a", 1024, "ua-a"), nvdimmAt("/b", 2048, "ua-b")};
    EXPECT_EQ(conf::findNvdimmByDef(devs, nvdimmAt("/a", 1024, "ua-b")), 1);
    EXPECT_EQ(conf::findNvdimmByDef(devs, nvdimmAt("", 0, "ua-c")), -1);
}

TEST(FindNvdimmByDef, PathAndSizeMustBeEqual)
{
    const std::vector<conf::NvdimmDef> devs{nvdimmAt("/a", 1024), nvdimmAt("/a", 2048)};
    EXPECT_EQ(conf::findNvdimmByDef(devs, nvdimmAt("/a", 2048)), 1);
    EXPECT_EQ(conf::findNvdimmByDef(devs, nvdimmAt("/a", 4096)), -1);
    EXPECT_EQ(conf::findNvdimmByDef(devs, nvdimmAt("/b", 1024)), -1);
}

TEST(FindNvdimmByDef, NodeAndAddressCountWhenGiven)
{
    conf::NvdimmDef a = nvdimmAt("/a", 1024);
    a.node = 0;
    a.address = conf::DimmAddress{true, 1, 0x100000000};
    conf::NvdimmDef b = nvdimmAt("/a", 1024);
    b.node = 1;
    b.address = conf::DimmAddress{true, 2, 0x140000000};
    const std::vector<conf::NvdimmDef> devs{a, b};
    conf::NvdimmDef m = nvdimmAt("/a", 1024);
    EXPECT_EQ(conf::findNvdimmByDef(devs, m), 0);
    m.node = 1;
    EXPECT_EQ(conf::findNvdimmByDef(devs, m), 1);
    m.node.reset();
    m.address = conf::DimmAddress{true, 2, 0};
    EXPECT_EQ(conf::findNvdimmByDef(devs, m), 1);
    m.address.base = 0x100000000;
    EXPECT_EQ(conf::findNvdimmByDef(devs, m), -1);
}

TEST(NvdimmAlias, DefaultIsNvdimmAndTheSlot)
{
    EXPECT_EQ(conf::defaultNvdimmAlias(3), "nvdimm3");
    EXPECT_EQ(conf::nvdimmAliasOr(nvdimmAt("/a", 1), 2), "nvdimm2");
    EXPECT_EQ(conf::nvdimmAliasOr(nvdimmAt("/a", 1, "ua-x"), 2), "ua-x");
}
