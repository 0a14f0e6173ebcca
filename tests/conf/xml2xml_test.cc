// Data-driven suite: every tests/nvdimmxml2xmldata/NAME.xml is a case.
// NAME.out.xml holds what `format` prints when the input is valid,
// NAME.err the error line `validate` prints when it is not, and an
// optional NAME.warn the warnings a valid input gives. Each case runs
// through the library and through the real CLI binary.
// VIR_TEST_REGENERATE_OUTPUT=1 rewrites the expected files from the
// library's current output.
#include <gtest/gtest.h>

#include <glib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/domain_conf.h"
#include "conf/nvdimm_conf.h"
#include "conf/xml_doc.h"
#include "util/error.h"
#include "util/log.h"
#include "../support/test_files.h"

namespace fs = std::filesystem;
using namespace xlnv;
using namespace xlnv::conf;

namespace {

using xlnv::test::writeFile;

fs::path dataDir()
{
    return fs::path(PROJECT_SOURCE_DIR) / "tests" / "nvdimmxml2xmldata";
}

std::vector<std::string> discoverCases()
{
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(dataDir(), ec)) {
        const std::string file = entry.path().filename().string();
        if (file.size() > 4 && file.ends_with(".xml") && !file.ends_with(".out.xml"))
            names.push_back(file.substr(0, file.size() - 4));
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::optional<std::string> readFile(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

bool regenerate()
{
    const char *env = std::getenv("VIR_TEST_REGENERATE_OUTPUT");
    return env && std::string(env) == "1";
}

struct Outcome {
    std::string output;    // format output when valid
    std::string error;     // "error: <message>\n" when not
    std::string warnings;  // "warning: <message>\n" lines
};

// What validate + format do, through the library.
Outcome runLibrary(const std::string &text, const std::string &name)
{
    Outcome out;
    auto old = setWarningSink([&](const std::string &m) { out.warnings += "warning: " + m + "\n"; });
    try {
        const XmlDocUPtr doc = parseXmlDocument(text, name);
        xmlNodePtr root = xmlDocGetRootElement(doc.get());
        if (xmlName(root) == "memory") {
            const NvdimmDef def = parseNvdimm(root, NVDIMM_INACTIVE);
            validateNvdimm(def, "");
            out.output = formatNvdimm(def, NVDIMM_INACTIVE);
        } else {
            if (xmlName(root) != "domain")
                raise(ErrorCode::XmlError, "unexpected root element <%s>, expecting <%s> or <%s>",
                      xmlName(root).c_str(), "domain", "memory");
            const DomainXml dom = DomainXml::parseNamed(text, NVDIMM_INACTIVE, name);
            validateDomain(dom);
            validateXenRules(dom);
            out.output = dom.format();
        }
    } catch (const Error &e) {
        out.error = "error: " + e.message() + "\n";
        out.output.clear();
    }
    setWarningSink(old);
    return out;
}

struct CliResult {
    int status = -1;
    std::string out;
    std::string err;
};

CliResult runCli(const std::vector<std::string> &args, const std::string &cwd)
{
    std::vector<char *> argv;
    for (const auto &a : args)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    gchar *out = nullptr;
    gchar *err = nullptr;
    gint status = 0;
    GError *gerr = nullptr;
    CliResult r;
    if (!g_spawn_sync(cwd.c_str(), argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr,
                      &out, &err, &status, &gerr)) {
        r.err = gerr ? gerr->message : "spawn failed";
        g_clear_error(&gerr);
        return r;
    }
    r.out = out ? out : "";
    r.err = err ? err : "";
    g_free(out);
    g_free(err);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

class NvdimmXml2Xml : public ::testing::TestWithParam<std::string> {
protected:
    fs::path input() const { return dataDir() / (GetParam() + ".xml"); }
    fs::path outFile() const { return dataDir() / (GetParam() + ".out.xml"); }
    fs::path errFile() const { return dataDir() / (GetParam() + ".err"); }
    fs::path warnFile() const { return dataDir() / (GetParam() + ".warn"); }
    // Messages name the file as the test passes it to the CLI.
    std::string displayName() const { return GetParam() + ".xml"; }
};

TEST_P(NvdimmXml2Xml, Library)
{
    const auto text = readFile(input());
    ASSERT_TRUE(text) << input();
    const Outcome got = runLibrary(*text, displayName());

    if (regenerate()) {
        std::error_code ec;
        if (got.error.empty()) {
            writeFile(outFile(), got.output);
            fs::remove(errFile(), ec);
        } else {
            writeFile(errFile(), got.error);
            fs::remove(outFile(), ec);
        }
        if (got.warnings.empty())
            fs::remove(warnFile(), ec);
        else
            writeFile(warnFile(), got.warnings);
    }

    const auto expectedOut = readFile(outFile());
    const auto expectedErr = readFile(errFile());
    ASSERT_TRUE(expectedOut.has_value() != expectedErr.has_value())
        << "case needs exactly one of " << outFile().filename() << " and " << errFile().filename();
    if (expectedErr) {
        EXPECT_EQ(got.error, *expectedErr);
    } else {
        EXPECT_EQ(got.error, "");
        EXPECT_EQ(got.output, *expectedOut);
    }
    EXPECT_EQ(got.warnings, readFile(warnFile()).value_or(""));
}

TEST_P(NvdimmXml2Xml, Cli)
{
    const char *cli = std::getenv("VIRT_XEN_NVDIMM");
    if (!cli || !*cli || !fs::exists(cli))
        GTEST_SKIP() << "VIRT_XEN_NVDIMM does not name the built CLI (run through meson test)";
    const auto expectedOut = readFile(outFile());
    const auto expectedErr = readFile(errFile());
    ASSERT_TRUE(expectedOut.has_value() != expectedErr.has_value());

    // Run in the data folder so messages carry the bare file name.
    const std::string cliPath = fs::absolute(cli).string();
    const CliResult validate = runCli({cliPath, "validate", displayName()}, dataDir().string());
    const CliResult format = runCli({cliPath, "format", displayName()}, dataDir().string());

    EXPECT_EQ(validate.out, "");
    if (expectedErr) {
        EXPECT_EQ(validate.status, 1);
        EXPECT_EQ(validate.err, *expectedErr);
    } else {
        EXPECT_EQ(validate.status, 0) << validate.err;
        EXPECT_EQ(validate.err, readFile(warnFile()).value_or(""));
        EXPECT_EQ(format.status, 0) << format.err;
        EXPECT_EQ(format.out, *expectedOut);
    }
}

std::string caseName(const ::testing::TestParamInfo<std::string> &info)
{
    std::string name = info.param;
    for (char &c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Data, NvdimmXml2Xml, ::testing::ValuesIn(discoverCases()), caseName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(NvdimmXml2Xml);

TEST(NvdimmXml2XmlData, HasAtLeastFortyCases)
{
    EXPECT_GE(discoverCases().size(), 40u) << dataDir();
}

} // namespace
