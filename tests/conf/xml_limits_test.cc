// Input limits of the XML reader (conf/xml_doc.h): size, attributes per
// element, NUL bytes; refused quickly with a clear error.
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "conf/nvdimm_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::conf;

namespace {

const std::string kDevice = "<memory model='nvdimm'><source><path>/dev/dax0.0</path></source>"
                            "<target><size unit='MiB'>64</size></target></memory>";

std::string errorOf(const std::string &xml)
{
    try {
        parseNvdimmString(xml, NVDIMM_INACTIVE, "device XML");
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(XmlLimits, ManyAttributesAreRefusedQuickly)
{
    std::string xml = "<memory model='nvdimm'";
    for (unsigned i = 0; i < 100000; i++)
        xml += " a" + std::to_string(i) + "='x'";
    xml += kDevice.substr(std::string("<memory model='nvdimm'").size());
    const auto start = std::chrono::steady_clock::now();
    const std::string err = errorOf(xml);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_NE(err.find("more than 256 attributes"), std::string::npos) << err;
    // Not a timing test of our code: libxml2's quadratic check took 56 s here.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(took).count(), 5);
}

TEST(XmlLimits, HugeDocumentsAndNulBytesAreRefused)
{
    const std::string big = "<memory model='nvdimm'><source><path>/" + std::string(11 << 20, 'p') +
                            "</path></source><target><size unit='MiB'>64</size></target></memory>";
    const std::string err = errorOf(big);
    EXPECT_NE(err.find("more than the limit"), std::string::npos) << err.substr(0, 200);
    EXPECT_LT(err.size(), 512u);

    std::string nul = kDevice;
    nul.insert(nul.find("</path>"), std::string("\0/etc/shadow", 12));
    const std::string e2 = errorOf(nul);
    EXPECT_NE(e2.find("NUL byte"), std::string::npos) << e2;

    EXPECT_EQ(errorOf(kDevice), "");
    std::string attrs = "<memory model='nvdimm'";
    for (unsigned i = 0; i < 200; i++)
        attrs += " a" + std::to_string(i) + "='x'";
    attrs += kDevice.substr(std::string("<memory model='nvdimm'").size());
    EXPECT_EQ(errorOf(attrs).find("more than 256 attributes"), std::string::npos);   // under the limit
}
