#include <gtest/gtest.h>

#include "conf/nvdimm_conf.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::conf;

namespace {

const char *kFull =
    "<memory model='nvdimm' access='shared' discard='no'>\n"
    "  <source>\n"
    "    <path>/dev/dax0.0</path>\n"
    "    <alignsize unit='KiB'>2048</alignsize>\n"
    "    <pmem/>\n"
    "  </source>\n"
    "  <target>\n"
    "    <size unit='KiB'>4194304</size>\n"
    "    <node>0</node>\n"
    "    <label>\n"
    "      <size unit='KiB'>128</size>\n"
    "    </label>\n"
    "    <readonly/>\n"
    "  </target>\n"
    "  <alias name='ua-nv0'/>\n"
    "  <address type='dimm' slot='0' base='0x100000000'/>\n"
    "</memory>\n";

std::string errorOf(const std::string &xml, unsigned flags = NVDIMM_INACTIVE)
{
    try {
        parseNvdimmString(xml, flags);
    } catch (const Error &e) {
        return e.message();
    }
    return "no error";
}

std::string device(const std::string &target, const std::string &extra = "")
{
    return "<memory model='nvdimm'><source><path>/p</path></source><target>" + target +
           "</target>" + extra + "</memory>";
}

} // namespace

TEST(NvdimmConf, ParsesEveryField)
{
    const NvdimmDef def = parseNvdimmString(kFull, NVDIMM_INACTIVE);
    EXPECT_EQ(def.access, MemoryAccess::Shared);
    EXPECT_EQ(def.discard, TristateBool::No);
    EXPECT_EQ(def.path, "/dev/dax0.0");
    EXPECT_EQ(def.alignsize_kib, 2048u);
    EXPECT_TRUE(def.pmem);
    EXPECT_EQ(def.size_kib, 4194304u);
    ASSERT_TRUE(def.node.has_value());
    EXPECT_EQ(*def.node, 0u);
    EXPECT_EQ(def.label_size_kib, 128u);
    EXPECT_TRUE(def.readonly);
    EXPECT_EQ(def.alias, "ua-nv0");
    EXPECT_TRUE(def.address.present);
    EXPECT_EQ(def.address.slot, 0u);
    EXPECT_EQ(def.address.base, 0x100000000u);
}

TEST(NvdimmConf, FormatOfCanonicalInputIsIdentical)
{
    EXPECT_EQ(formatNvdimm(parseNvdimmString(kFull, NVDIMM_INACTIVE), NVDIMM_INACTIVE), kFull);
}

TEST(NvdimmConf, FormatIndentsEveryLine)
{
    const std::string out = formatNvdimm(parseNvdimmString(kFull, 0), 0, 4);
    EXPECT_EQ(out.substr(0, 27), "    <memory model='nvdimm' ");
    EXPECT_NE(out.find("\n          <size unit='KiB'>128</size>\n"), std::string::npos);
}

TEST(NvdimmConf, ChildOrderAndQuotesDoNotMatter)
{
    const std::string shuffled =
        "<memory discard=\"no\" access=\"shared\" model=\"nvdimm\">"
        "<address base=\"0x100000000\" slot=\"0\" type=\"dimm\"/><alias name=\"ua-nv0\"/>"
        "<target><readonly/><label><size>128</size></label><node>0</node>"
        "<size unit='GiB'>4</size></target>"
        "<source><pmem/><alignsize unit='MiB'>2</alignsize><path>/dev/dax0.0</path></source>"
        "</memory>";
    EXPECT_EQ(formatNvdimm(parseNvdimmString(shuffled, NVDIMM_INACTIVE), NVDIMM_INACTIVE), kFull);
}

TEST(NvdimmConf, InactiveParseKeepsOnlyUserAliases)
{
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size>", "<alias name='nvdimm0'/>"),
                                NVDIMM_INACTIVE).alias, "");
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size>", "<alias name='ua-a.b'/>"),
                                NVDIMM_INACTIVE).alias, "");
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size>", "<alias name='ua-ok_1-x'/>"),
                                NVDIMM_INACTIVE).alias, "ua-ok_1-x");
}

TEST(NvdimmConf, LiveParseKeepsAnyAlias)
{
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size>", "<alias name='nvdimm0'/>"), 0).alias,
              "nvdimm0");
}

TEST(NvdimmConf, RejectsLabelBelow128KiB)
{
    EXPECT_EQ(errorOf(device("<size>1024</size><label><size>127</size></label>")),
              "XML error: nvdimm label must be at least 128KiB");
}

TEST(NvdimmConf, RejectsLabelNotSmallerThanSize)
{
    EXPECT_EQ(errorOf(device("<size>1024</size><label><size>1024</size></label>")),
              "XML error: label size must be smaller than NVDIMM size");
    EXPECT_EQ(errorOf(device("<size>0</size>")),
              "XML error: label size must be smaller than NVDIMM size");
}

TEST(NvdimmConf, ByteSizedLabelRoundsUp)
{
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size><label><size unit='b'>131073</size></label>"),
                                0).label_size_kib, 129u);
}

TEST(NvdimmConf, RequiresTarget)
{
    EXPECT_EQ(errorOf("<memory model='nvdimm'/>"),
              "XML error: missing <target> element for <memory> device");
}

TEST(NvdimmConf, RejectsBadNode)
{
    EXPECT_EQ(errorOf(device("<size>1024</size><node>-1</node>")),
              "XML error: invalid value of memory device node");
    EXPECT_EQ(errorOf(device("<size>1024</size><node>2147483648</node>")),
              "XML error: invalid value of memory device node");
}

TEST(NvdimmConf, OtherModelsAreUnsupported)
{
    for (const char *model : {"dimm", "virtio-pmem", "virtio-mem", "sgx-epc"}) {
        const std::string msg = errorOf(std::string("<memory model='") + model +
                                        "'><target><size>1</size></target></memory>");
        EXPECT_EQ(msg.rfind("unsupported configuration: ", 0), 0u) << msg;
        EXPECT_NE(msg.find(model), std::string::npos) << msg;
        EXPECT_NE(msg.find("only model 'nvdimm'"), std::string::npos) << msg;
    }
}

TEST(NvdimmConf, UnknownModelUsesLibvirtWording)
{
    EXPECT_EQ(errorOf("<memory model='bogus'/>"),
              "XML error: Invalid value for attribute 'model' in element 'memory': 'bogus'.");
    EXPECT_EQ(errorOf("<memory/>"),
              "XML error: Missing required attribute 'model' in element 'memory'");
}

TEST(NvdimmConf, AddressNeedsSlot)
{
    EXPECT_EQ(errorOf(device("<size>1024</size>", "<address type='dimm'/>")),
              "XML error: Missing required attribute 'slot' in element 'address'");
}

TEST(NvdimmConf, BaseIsAlwaysHex)
{
    EXPECT_EQ(parseNvdimmString(device("<size>1024</size>", "<address type='dimm' slot='1' base='4096'/>"),
                                0).address.base, 0x4096u);
}

TEST(NvdimmConf, ValidationRequiresPath)
{
    NvdimmDef def = parseNvdimmString("<memory model='nvdimm'><target><size>1024</size></target></memory>", 0);
    try {
        validateNvdimm(def, "x86_64");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.message(), "path is required for model 'nvdimm'");
    }
}

TEST(NvdimmConf, ValidationRejectsDiscardAndUuidOnX86)
{
    NvdimmDef def = parseNvdimmString(device("<size>1024</size>"), 0);
    def.discard = TristateBool::Yes;
    EXPECT_THROW(validateNvdimm(def, "x86_64"), Error);
    def.discard = TristateBool::No;
    EXPECT_NO_THROW(validateNvdimm(def, "x86_64"));
    def.uuid = std::array<unsigned char, 16>{};
    try {
        validateNvdimm(def, "x86_64");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.message(), "unsupported configuration: UUID is not supported for NVDIMM device");
    }
}

TEST(NvdimmConf, Ppc64NeedsLabelAndKeepsUuid)
{
    NvdimmDef def = parseNvdimmString(
        "<memory model='nvdimm'><uuid>49545eb3-75e1-2d0a-acdd-f0294406c99e</uuid>"
        "<source><path>/p</path></source><target><size>1048576</size></target></memory>", 0);
    try {
        validateNvdimm(def, "ppc64");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.message(), "unsupported configuration: label size is required for NVDIMM device");
    }
    def.label_size_kib = 128;
    EXPECT_NO_THROW(validateNvdimm(def, "ppc64le"));
    EXPECT_NE(formatNvdimm(def, 0).find("<uuid>49545eb3-75e1-2d0a-acdd-f0294406c99e</uuid>"),
              std::string::npos);
}

TEST(NvdimmConf, MalformedUuidIsAnInternalError)
{
    EXPECT_EQ(errorOf("<memory model='nvdimm'><uuid>xyz</uuid><target><size>1</size></target></memory>"),
              "internal error: malformed uuid element");
}

TEST(NvdimmConf, PathIsEscaped)
{
    const NvdimmDef def = parseNvdimmString(
        "<memory model='nvdimm'><source><path>/a&amp;b'c\"&lt;</path></source>"
        "<target><size>1024</size></target></memory>", 0);
    EXPECT_NE(formatNvdimm(def, 0).find("<path>/a&amp;b&apos;c&quot;&lt;</path>"), std::string::npos);
}

TEST(NvdimmConf, DisplayNamePrefersAlias)
{
    NvdimmDef def;
    def.path = "/dev/dax0.0";
    EXPECT_EQ(nvdimmDisplayName(def), "/dev/dax0.0");
    def.alias = "ua-x";
    EXPECT_EQ(nvdimmDisplayName(def), "ua-x");
}

TEST(NvdimmConf, MalformedXmlIsOneLineError)
{
    for (const char *bad : {"", "<memory", "<memory model='nvdimm'><target></memory>",
                            "<?xml version='1.0'?><!DOCTYPE m [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><memory model='nvdimm'>&x;</memory>",
                            "\x01\x02", "<memory model='nvdimm'/><extra/>"}) {
        try {
            parseNvdimmString(bad, 0, "in.xml");
            ADD_FAILURE() << "accepted: " << bad;
        } catch (const Error &e) {
            EXPECT_EQ(std::string(e.message()).find('\n'), std::string::npos) << e.message();
            EXPECT_FALSE(e.message().empty());
        }
    }
}

TEST(NvdimmConf, SyntaxErrorNamesFileAndLine)
{
    try {
        parseNvdimmString("<memory model='nvdimm'>\n<target>\n</memory>", 0, "dev.xml");
        FAIL() << "no error";
    } catch (const Error &e) {
        EXPECT_EQ(e.message().rfind("dev.xml:3: ", 0), 0u) << e.message();
    }
}
