// libFuzzer target for the conf layer: a <memory> device or a whole
// <domain>, through parse, validation and formatting. Build with
// `meson setup -Dfuzz=true` under clang (docs/fuzzing.rst).
#include "nvdimm_parse_fuzz.h"

#include <libxml/parser.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/log.h"

namespace xlnv::fuzz {

namespace {

[[noreturn]] void broken(const char *what, const std::string &a, const std::string &b)
{
    std::fprintf(stderr, "fuzz invariant broken: %s\n--- first:\n%s\n--- second:\n%s\n", what,
                 a.c_str(), b.c_str());
    std::abort();
}

void initOnce()
{
    static const bool done = [] {
        xmlInitParser();
        setWarningSink([](const std::string &) {});
        return true;
    }();
    (void)done;
}

bool memoryDevice(xmlNodePtr root)
{
    const conf::NvdimmDef def = conf::parseNvdimm(root, conf::NVDIMM_INACTIVE);
    const std::string first = conf::formatNvdimm(def, conf::NVDIMM_INACTIVE);
    // What we print must parse back to the same device.
    std::string second;
    try {
        second = conf::formatNvdimm(conf::parseNvdimmString(first, conf::NVDIMM_INACTIVE),
                                    conf::NVDIMM_INACTIVE);
    } catch (const Error &e) {
        broken("formatted device does not parse", first, e.message());
    }
    if (first != second)
        broken("device format is not stable", first, second);
    conf::validateNvdimm(def, "");
    return true;
}

bool domain(std::string_view text)
{
    const conf::DomainXml dom = conf::DomainXml::parseString(text, conf::NVDIMM_INACTIVE);
    const std::string first = dom.format();
    std::string second;
    try {
        second = conf::DomainXml::parseString(first, conf::NVDIMM_INACTIVE).format();
    } catch (const Error &e) {
        broken("formatted domain does not parse", first, e.message());
    }
    if (first != second)
        broken("domain format is not stable", first, second);
    conf::validateDomain(dom);
    conf::validateXenRules(dom);
    return true;
}

} // namespace

bool nvdimmParseOne(const uint8_t *data, size_t size)
{
    initOnce();
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    try {
        const conf::XmlDocUPtr doc = conf::parseXmlDocument(text, "fuzz.xml");
        xmlNodePtr root = xmlDocGetRootElement(doc.get());
        const std::string name = conf::xmlName(root);
        if (name == "memory")
            return memoryDevice(root);
        if (name == "domain")
            return domain(text);
        return false;
    } catch (const Error &) {
        return false;
    }
}

} // namespace xlnv::fuzz

#ifdef XLNV_LIBFUZZER
extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xlnv::fuzz::nvdimmParseOne(data, size);
    return 0;
}
#endif
