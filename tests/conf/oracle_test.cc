// Differential test against real libvirt: a generated corpus of NVDIMM
// device variations, each placed in a domain that meets the Xen rules,
// is defined on libvirt's embedded test driver (test:///default) and
// parsed by us. We must accept exactly what libvirt accepts, format the
// device byte-for-byte as its dumpxml does, and fail with its message.
//
// Deliberate differences are kept out of the corpus (and pinned by the
// nvdimmxml2xml data suite instead): other memory models and non-dimm
// addresses, which this project refuses, and slots beyond maxMemory's
// count (a Xen rule). The test driver does not do the QEMU driver's ABI
// update, so domains with NUMA cells leave <memory> out.
#include <gtest/gtest.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <string>
#include <vector>

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "util/error.h"
#include "util/strutil.h"

using namespace xlnv;
using namespace xlnv::conf;

namespace {

struct Variation {
    std::string name;
    std::string device;     // one or more <memory> elements
    bool cells = false;
    std::string arch = "x86_64";
    std::string maxMemory = "<maxMemory slots='8' unit='KiB'>1099511627776</maxMemory>";
};

constexpr const char *kPath = "<source><path>/dev/dax0.0</path></source>";

std::string memoryDevice(const std::string &body, const std::string &attrs = " model='nvdimm'")
{
    return "<memory" + attrs + ">" + body + "</memory>";
}

std::string target(const std::string &inner) { return "<target>" + inner + "</target>"; }

std::vector<Variation> corpus()
{
    std::vector<Variation> out;
    auto add = [&](std::string name, std::string device, bool cells = false) {
        Variation v;
        v.name = std::move(name);
        v.device = std::move(device);
        v.cells = cells;
        out.push_back(std::move(v));
    };

    // Sizes in every unit spelling, plus unknown ones.
    const char *unitNames[] = {"b", "B", "byte", "bytes", "BYTES", "k", "K", "KiB", "kib", "KB",
                               "kb", "m", "M", "MiB", "MB", "mb", "g", "G", "GiB", "GB", "t",
                               "TiB", "TB", "p", "PiB", "PB", "e", "EiB", "EB", "zz", "KiBs",
                               "iB", "bit", ""};
    const char *values[] = {"1", "3", "1000", "131073", "4096"};
    for (const char *unit : unitNames) {
        for (const char *value : values) {
            add(strprintf("size-%s-unit-%s", value, unit),
                memoryDevice(std::string(kPath) +
                             target(strprintf("<size unit='%s'>%s</size>", unit, value))));
        }
    }

    // Size texts as strtoull and libvirt see them.
    const char *sizeTexts[] = {" 5", "+5", "-5", "5 ", "0x10", "", "abc", "1.5",
                               "18446744073709551616", "9007199254740991", "9007199254740992",
                               "0", "00012", "\n7\n", "8388608", "8388607", "4294967296"};
    for (const char *text : sizeTexts)
        add(strprintf("size-text-'%s'", text),
            memoryDevice(std::string(kPath) + target(strprintf("<size>%s</size>", text))));
    add("size-bytes-at-limit",
        memoryDevice(std::string(kPath) + target("<size unit='b'>9223372036854775807</size>")));
    add("size-bytes-over-limit",
        memoryDevice(std::string(kPath) + target("<size unit='b'>9223372036854775808</size>")));
    add("size-eib-overflow", memoryDevice(std::string(kPath) + target("<size unit='EiB'>8</size>")));

    // Label sizes.
    const char *labels[] = {"<label><size>0</size></label>",
                            "<label><size>127</size></label>",
                            "<label><size>128</size></label>",
                            "<label><size>129</size></label>",
                            "<label><size>131072</size></label>",
                            "<label><size>1048576</size></label>",
                            "<label><size>2097152</size></label>",
                            "<label><size unit='b'>131073</size></label>",
                            "<label><size unit='b'>131071</size></label>",
                            "<label><size unit='MiB'>2</size></label>",
                            "<label><size>x</size></label>",
                            "<label><size></size></label>",
                            "<label/>",
                            "<label><size unit='zz'>1</size></label>"};
    for (size_t i = 0; i < std::size(labels); i++)
        add(strprintf("label-%zu", i),
            memoryDevice(std::string(kPath) + target(std::string("<size>1048576</size>") + labels[i])));
    add("label-without-size-zero", memoryDevice(std::string(kPath) + target("<size>0</size>")));

    // NUMA nodes, with two cells, and one without cells.
    const char *nodes[] = {"0", "1", "2", "-1", "x", "", " 0", "+1", "-0", "2147483648",
                           "2147483647", "01", "1 "};
    for (const char *node : nodes)
        add(strprintf("node-'%s'", node),
            memoryDevice(std::string(kPath) +
                         target(strprintf("<size>1048576</size><node>%s</node>", node))),
            true);
    add("node-without-cells",
        memoryDevice(std::string(kPath) + target("<size>1048576</size><node>0</node>")));

    // access and discard.
    for (const char *access : {"shared", "private", "default", "bogus", "", "Shared"})
        add(strprintf("access-'%s'", access),
            memoryDevice(std::string(kPath) + target("<size>1048576</size>"),
                         strprintf(" model='nvdimm' access='%s'", access)));
    for (const char *discard : {"yes", "no", "maybe", "", "default", "YES"})
        add(strprintf("discard-'%s'", discard),
            memoryDevice(std::string(kPath) + target("<size>1048576</size>"),
                         strprintf(" model='nvdimm' discard='%s'", discard)));
    add("access-and-discard",
        memoryDevice(std::string(kPath) + target("<size>1048576</size>"),
                     " discard='no' access='private' model='nvdimm'"));

    // uuid (x86: any well-formed one is refused by validation).
    for (const char *uuid : {"49545eb3-75e1-2d0a-acdd-f0294406c99e", "bad", "",
                             "49545EB375E12D0AACDDF0294406C99E",
                             " 49545eb3-75e1-2d0a-acdd-f0294406c99e ",
                             "49545eb3-75e1-2d0a-acdd-f0294406c99",
                             "49545eb3-75e1-2d0a-acdd-f0294406c99e0"})
        add(strprintf("uuid-'%s'", uuid),
            memoryDevice(strprintf("<uuid>%s</uuid>", uuid) + kPath + target("<size>1048576</size>")));

    // Aliases on an inactive definition.
    for (const char *alias : {"ua-ok", "ua-a.b", "nvdimm0", "ua-", "", "ua-x_Y-9", "UA-x",
                              "ua-\xc3\xa9", "ua-with space"})
        add(strprintf("alias-'%s'", alias),
            memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                         strprintf("<alias name='%s'/>", alias)));
    add("alias-without-name",
        memoryDevice(std::string(kPath) + target("<size>1048576</size>") + "<alias/>"));

    // dimm addresses.
    for (const char *slot : {"0", "1", "7", " 1", "+1", "x", "-1", "", "4294967296", "1 "})
        add(strprintf("slot-'%s'", slot),
            memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                         strprintf("<address type='dimm' slot='%s'/>", slot)));
    for (const char *base : {"0x100000000", "4096", "0X1C0000000", "0x0", " 0x10", "zz", "-1", "",
                             "0x10000000000000000", "0x", "+0x20", "0xffffffffffffffff", "0x1 "})
        add(strprintf("base-'%s'", base),
            memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                         strprintf("<address type='dimm' slot='2' base='%s'/>", base)));
    add("address-missing-slot", memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                                             "<address type='dimm' base='0x100000000'/>"));
    add("address-missing-type", memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                                             "<address slot='1'/>"));
    add("address-unknown-type", memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                                             "<address type='bogus' slot='1'/>"));

    // Missing or empty elements; source contents.
    add("no-target", memoryDevice(kPath));
    add("target-without-size", memoryDevice(std::string(kPath) + target("<node>0</node>")), true);
    add("empty-target", memoryDevice(std::string(kPath) + "<target/>"));
    add("no-source", memoryDevice(target("<size>1048576</size>")));
    add("empty-source", memoryDevice("<source/>" + target("<size>1048576</size>")));
    add("empty-path", memoryDevice("<source><path></path></source>" + target("<size>1048576</size>")));
    add("pmem-only-source", memoryDevice("<source><pmem/></source>" + target("<size>1048576</size>")));
    add("path-special-chars",
        memoryDevice("<source><path>/mnt/a&amp;b &lt;c&gt; 'd' \"e\"</path></source>" +
                     target("<size>1048576</size>")));
    add("path-spaces", memoryDevice("<source><path>  /x y </path></source>" + target("<size>1048576</size>")));
    add("two-paths", memoryDevice("<source><path>/a</path><path>/b</path></source>" +
                                  target("<size>1048576</size>")));
    for (const char *align : {"0", "2048", "bad", "", "1"})
        add(strprintf("alignsize-'%s'", align),
            memoryDevice(strprintf("<source><path>/p</path><alignsize>%s</alignsize></source>", align) +
                         target("<size>1048576</size>")));
    add("alignsize-mib", memoryDevice("<source><path>/p</path><alignsize unit='MiB'>2</alignsize></source>" +
                                      target("<size>1048576</size>")));
    add("alignsize-bytes", memoryDevice("<source><path>/p</path><alignsize unit='b'>1</alignsize></source>" +
                                        target("<size>1048576</size>")));
    add("readonly", memoryDevice(std::string(kPath) + target("<size>1048576</size><readonly/>")));
    add("duplicate-size", memoryDevice(std::string(kPath) +
                                       target("<size>1024</size><size unit='MiB'>2</size>")));
    add("unknown-child-ignored", memoryDevice(std::string(kPath) + "<bogus/>" + target("<size>1048576</size>")));

    // Child orders: all permutations of the four children, and of the
    // source and target contents.
    std::vector<std::string> children = {
        "<source><path>/dev/dax1.0</path><alignsize>2048</alignsize><pmem/></source>",
        "<target><size unit='GiB'>1</size><node>1</node><label><size>256</size></label><readonly/></target>",
        "<alias name='ua-order'/>",
        "<address type='dimm' slot='3' base='0x140000000'/>"};
    std::sort(children.begin(), children.end());
    int perm = 0;
    do {
        std::string body;
        for (const auto &c : children)
            body += c;
        add(strprintf("order-%d", perm++), memoryDevice(body, " access='shared' model='nvdimm'"), true);
    } while (std::next_permutation(children.begin(), children.end()));
    std::vector<std::string> sourceParts = {"<path>/p</path>", "<alignsize>2048</alignsize>", "<pmem/>"};
    std::sort(sourceParts.begin(), sourceParts.end());
    perm = 0;
    do {
        std::string src = "<source>";
        for (const auto &c : sourceParts)
            src += c;
        add(strprintf("source-order-%d", perm++), memoryDevice(src + "</source>" + target("<size>1048576</size>")));
    } while (std::next_permutation(sourceParts.begin(), sourceParts.end()));
    std::vector<std::string> targetParts = {"<size>1048576</size>", "<node>0</node>",
                                            "<label><size>128</size></label>", "<readonly/>"};
    std::sort(targetParts.begin(), targetParts.end());
    perm = 0;
    do {
        std::string tgt;
        for (const auto &c : targetParts)
            tgt += c;
        add(strprintf("target-order-%d", perm++), memoryDevice(std::string(kPath) + target(tgt)), true);
    } while (std::next_permutation(targetParts.begin(), targetParts.end()));

    // Quotes and client shapes.
    add("double-quotes",
        "<memory model=\"nvdimm\" access=\"shared\"><source><path>/dev/dax0.0</path>"
        "<alignsize unit=\"KiB\">2048</alignsize><pmem/></source><target><size unit=\"KiB\">1048576</size>"
        "<node>0</node><label><size unit=\"KiB\">128</size></label></target>"
        "<alias name=\"ua-dq\"/><address type=\"dimm\" slot=\"0\" base=\"0x100000000\"/></memory>",
        true);
    add("nova-vpmem",
        "<memory model=\"nvdimm\" access=\"shared\">\n  <source>\n    <path>/dev/dax0.0</path>\n"
        "    <alignsize>2048</alignsize>\n    <pmem/>\n  </source>\n  <target>\n"
        "    <size>1046528</size>\n    <node>0</node>\n    <label>\n      <size>2048</size>\n"
        "    </label>\n  </target>\n</memory>",
        true);
    add("virt-install-memdev",
        "<memory model=\"nvdimm\">\n  <source>\n    <path>/tmp/nvdimm</path>\n    <pmem/>\n"
        "    <alignsize>2048</alignsize>\n  </source>\n  <target>\n    <size>524288</size>\n"
        "    <node>1</node>\n    <label>\n      <size>131072</size>\n    </label>\n  </target>\n"
        "  <alias name=\"ua-nvdimm1\"/>\n  <address type=\"dimm\" slot=\"1\"/>\n</memory>",
        true);

    // ppc64 guests: uuid allowed, label required.
    for (const char *arch : {"ppc64", "ppc64le"}) {
        Variation v;
        v.arch = arch;
        v.name = std::string(arch) + "-uuid-label";
        v.device = memoryDevice("<uuid>49545EB3-75E1-2D0A-ACDD-F0294406C99E</uuid>" + std::string(kPath) +
                                target("<size>1048576</size><label><size>128</size></label>"));
        out.push_back(v);
        v.name = std::string(arch) + "-no-label";
        v.device = memoryDevice(std::string(kPath) + target("<size>1048576</size>"));
        out.push_back(v);
        v.name = std::string(arch) + "-bad-uuid";
        v.device = memoryDevice("<uuid>nope</uuid>" + std::string(kPath) +
                                target("<size>1048576</size><label><size>128</size></label>"));
        out.push_back(v);
    }

    // Domain-level rules: several devices, memory totals, maxMemory.
    const std::string devA = memoryDevice(std::string(kPath) + target("<size>1048576</size>") +
                                          "<alias name='ua-a'/>");
    const std::string devB = memoryDevice("<source><path>/dev/dax1.0</path></source>" +
                                          target("<size>2097152</size>") + "<alias name='ua-b'/>");
    add("two-devices", devA + devB);
    add("two-devices-duplicate-alias", devA + devA);
    add("two-devices-with-cells", devA + devB, true);
    add("devices-fill-memory", devB + devB + memoryDevice(std::string(kPath) + target("<size>4194304</size>")));
    add("devices-exceed-memory", devB + devB + memoryDevice(std::string(kPath) + target("<size>4194305</size>")));
    add("maxmemory-below-total-with-cells",
        memoryDevice(std::string(kPath) + target("<size unit='PiB'>2</size>")), true);
    {
        Variation v;
        v.name = "maxmemory-without-slots";
        v.device = devA;
        v.maxMemory = "<maxMemory unit='KiB'>1099511627776</maxMemory>";
        out.push_back(v);
        v.name = "maxmemory-below-memory";
        v.maxMemory = "<maxMemory slots='8' unit='KiB'>4194304</maxMemory>";
        out.push_back(v);
        v.name = "maxmemory-zero-slots";
        v.maxMemory = "<maxMemory slots='0' unit='KiB'>1099511627776</maxMemory>";
        out.push_back(v);
    }

    // The model attribute itself.
    add("model-missing", memoryDevice(std::string(kPath) + target("<size>1048576</size>"), ""));
    add("model-bogus", memoryDevice(std::string(kPath) + target("<size>1048576</size>"), " model='bogus'"));
    add("model-upper", memoryDevice(std::string(kPath) + target("<size>1048576</size>"), " model='NVDIMM'"));
    add("model-empty", memoryDevice(std::string(kPath) + target("<size>1048576</size>"), " model=''"));
    return out;
}

std::string domainFor(const Variation &v)
{
    std::string xml = "<domain type='test'>\n  <name>oracle</name>\n";
    // The test driver keeps <memory> as given (no ABI update): leave it
    // out when cells are present so both sides total cells + devices.
    if (!v.cells)
        xml += "  <memory unit='KiB'>8388608</memory>\n";
    xml += "  " + v.maxMemory + "\n  <vcpu>2</vcpu>\n  <os>\n    <type arch='" + v.arch +
           "'>hvm</type>\n  </os>\n";
    if (v.cells)
        xml += "  <cpu>\n    <numa>\n"
               "      <cell id='0' cpus='0' memory='1048576' unit='KiB'/>\n"
               "      <cell id='1' cpus='1' memory='1048576' unit='KiB'/>\n"
               "    </numa>\n  </cpu>\n";
    xml += "  <devices>\n    " + v.device + "\n  </devices>\n</domain>\n";
    return xml;
}

struct Outcome {
    bool ok = false;
    std::string device;   // formatted <memory> element (4-space indent)
    std::string error;    // full message, as virsh prints after "error: "
};

void ignoreLibvirtError(void *, virErrorPtr) {}

// Every <memory> device of a dumpxml, in order.
std::string extractMemoryDevices(const std::string &xml)
{
    std::string out;
    const std::string endTag = "    </memory>\n";
    size_t pos = 0;
    while (true) {
        const size_t start = xml.find("    <memory model=", pos);
        if (start == std::string::npos)
            break;
        const size_t end = xml.find(endTag, start);
        if (end == std::string::npos)
            break;
        out += xml.substr(start, end + endTag.size() - start);
        pos = end + endTag.size();
    }
    return out;
}

Outcome libvirtOutcome(virConnectPtr conn, const std::string &xml)
{
    Outcome out;
    virDomainPtr dom = virDomainDefineXML(conn, xml.c_str());
    if (!dom) {
        const char *msg = virGetLastErrorMessage();
        out.error = msg ? msg : "";
        return out;
    }
    char *desc = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    out.ok = true;
    out.device = extractMemoryDevices(desc ? desc : "");
    free(desc);
    virDomainUndefine(dom);
    virDomainFree(dom);
    return out;
}

Outcome ourOutcome(const std::string &xml)
{
    Outcome out;
    try {
        const DomainXml dom = DomainXml::parseString(xml, NVDIMM_INACTIVE);
        validateDomain(dom);
        out.ok = true;
        for (const auto &def : dom.nvdimms())
            out.device += formatNvdimm(def, NVDIMM_INACTIVE, 4);
        // Every accepted variation is placed to meet the Xen rules too.
        validateXenRules(dom);
    } catch (const Error &e) {
        if (out.ok) {
            out.ok = false;
            out.error = "Xen rules refused an accepted device: " + e.message();
        } else {
            out.error = e.message();
        }
    }
    return out;
}

class Oracle : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        virSetErrorFunc(nullptr, ignoreLibvirtError);
        conn_ = virConnectOpen("test:///default");
    }
    static void TearDownTestSuite()
    {
        if (conn_)
            virConnectClose(conn_);
        conn_ = nullptr;
    }
    static virConnectPtr conn_;
};

virConnectPtr Oracle::conn_ = nullptr;

TEST_F(Oracle, CorpusHasAtLeast200Variations)
{
    EXPECT_GE(corpus().size(), 200u);
}

TEST_F(Oracle, AcceptsRejectsAndFormatsExactlyAsLibvirt)
{
    ASSERT_NE(conn_, nullptr) << "cannot open libvirt's test:///default: " << virGetLastErrorMessage();
    size_t accepted = 0, rejected = 0;
    for (const Variation &v : corpus()) {
        const std::string xml = domainFor(v);
        const Outcome theirs = libvirtOutcome(conn_, xml);
        const Outcome ours = ourOutcome(xml);
        SCOPED_TRACE("variation " + v.name + ":\n" + v.device);
        ASSERT_EQ(ours.ok, theirs.ok) << "libvirt: " << (theirs.ok ? "accepted" : theirs.error)
                                      << "\nours: " << (ours.ok ? "accepted" : ours.error);
        if (theirs.ok) {
            ASSERT_FALSE(theirs.device.empty()) << "no <memory> device in libvirt's dumpxml";
            EXPECT_EQ(ours.device, theirs.device);
            accepted++;
        } else {
            EXPECT_EQ(ours.error, theirs.error);
            rejected++;
        }
    }
    std::printf("oracle: %zu variations, %zu accepted, %zu rejected by both\n",
                accepted + rejected, accepted, rejected);
    EXPECT_GT(accepted, 50u);
    EXPECT_GT(rejected, 50u);
}

TEST_F(Oracle, DeliberateDifferencesAreStillAcceptedByLibvirt)
{
    // If libvirt ever starts refusing these, the exclusions above are stale.
    ASSERT_NE(conn_, nullptr);
    for (const char *device :
         {"<memory model='dimm'><target><size>1048576</size></target></memory>",
          "<memory model='nvdimm'><source><path>/p</path></source><target><size>1048576</size></target>"
          "<address type='pci' slot='0x05'/></memory>"}) {
        const Variation v{"difference", device, false};
        const std::string xml = domainFor(v);
        EXPECT_TRUE(libvirtOutcome(conn_, xml).ok) << device;
        const Outcome ours = ourOutcome(xml);
        EXPECT_FALSE(ours.ok);
        EXPECT_EQ(ours.error.rfind("unsupported configuration: ", 0), 0u) << ours.error;
    }
}

} // namespace
