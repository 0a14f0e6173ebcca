// The translation catalogue stays current: POTFILES.in lists every file
// that marks messages, the committed template holds every message the
// sources mark now, each language in LINGUAS translates all of them, and
// the CLI really speaks a translated language. Fix: scripts/update-po.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "po_catalogue.h"
#include "subprocess.h"
#include "../support/test_files.h"

namespace fs = std::filesystem;
using namespace xlnv::test;

namespace {

const char kFix[] = "run scripts/update-po BUILDDIR, translate what it reports in po/LL.po, "
                    "and commit po/";

std::string srcdir() { return envOr("abs_top_srcdir", PROJECT_SOURCE_DIR); }

// XGETTEXT_ARGS: the exact options po/meson.build gives xgettext, one a line.
std::vector<std::string> xgettextArgs()
{
    std::vector<std::string> args;
    std::istringstream in(envOr("XGETTEXT_ARGS"));
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            args.push_back(line);
    return args;
}

std::vector<std::string> listedPotfiles()
{
    std::vector<std::string> files;
    std::istringstream in(readFile(fs::path(srcdir()) / "po" / "POTFILES.in"));
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line[0] != '#')
            files.push_back(line);
    return files;
}

// Every C/C++ source under src/ and tools/, relative to the source root.
std::vector<std::string> allSources()
{
    std::vector<std::string> files;
    for (const char *top : {"src", "tools"}) {
        for (const auto &e : fs::recursive_directory_iterator(fs::path(srcdir()) / top)) {
            const auto ext = e.path().extension();
            if (e.is_regular_file() && (ext == ".cc" || ext == ".h"))
                files.push_back(fs::relative(e.path(), srcdir()).string());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Run xgettext over `files` with the build's own options; the catalogue it
// finds in the sources now.
PoCatalogue extract(const std::vector<std::string> &files)
{
    const fs::path dir = fs::path(envOr("abs_builddir", ".")) / "po-test";
    fs::create_directories(dir);
    const fs::path list = dir / "files.txt", pot = dir / "current.pot";
    {
        std::ofstream out(list);
        for (const auto &f : files)
            out << f << "\n";
    }
    std::vector<std::string> argv = {envOr("XGETTEXT", "xgettext")};
    for (const auto &a : xgettextArgs())
        argv.push_back(a);
    argv.insert(argv.end(), {"-D", srcdir(), "-f", list.string(), "-o", pot.string(),
                             "--force-po"});
    const ProcessResult r = runProcess(argv);
    if (r.status != 0)
        throw std::runtime_error("xgettext failed: " + r.spawnError + r.err);
    return readPoFile(pot.string());
}

std::string firstLocation(const PoEntry &e)
{
    return e.locations.empty() ? std::string("?") : e.locations.front();
}

std::vector<std::string> linguas()
{
    std::vector<std::string> langs;
    std::istringstream in(readFile(fs::path(srcdir()) / "po" / "LINGUAS"));
    for (std::string word; in >> word;) {
        if (word[0] == '#') {
            std::string rest;
            std::getline(in, rest);
            continue;
        }
        langs.push_back(word);
    }
    return langs;
}

} // namespace

TEST(PoCatalogue, XgettextKnowsEveryPrintfStyleFunction)
{
    // Each function declared format(printf, N, M) with M != 0 in our headers
    // needs --flag=NAME:N:c-format, so msgfmt -c checks its translations.
    const std::vector<std::string> args = xgettextArgs();
    ASSERT_FALSE(args.empty()) << "XGETTEXT_ARGS is not set by tests/po/meson.build";
    auto has = [&](const std::string &a) { return std::find(args.begin(), args.end(), a) != args.end(); };
    EXPECT_TRUE(has("--keyword=_")) << "xgettext must take _() messages";
    EXPECT_TRUE(has("--keyword=N_")) << "xgettext must take N_() messages";
    const std::regex decl(
        R"((\w+)\s*\([^;{}()]*\)\s*__attribute__\s*\(\(\s*format\s*\(\s*printf\s*,\s*(\d+)\s*,\s*(\d+))");
    int functions = 0;
    for (const auto &file : allSources()) {
        const std::string text = readFile(fs::path(srcdir()) / file);
        for (std::sregex_iterator it(text.begin(), text.end(), decl), end; it != end; ++it) {
            if ((*it)[3] == "0")
                continue;   // va_list variant: called with a format already checked
            ++functions;
            const std::string flag = "--flag=" + (*it)[1].str() + ":" + (*it)[2].str() + ":c-format";
            EXPECT_TRUE(has(flag)) << file << " declares printf-style " << (*it)[1]
                                   << "(); add '" << flag << "' to xgettext_args in po/meson.build";
        }
    }
    EXPECT_GE(functions, 4) << "expected at least strprintf, raise, raiseSystem and warn";
}

TEST(PoCatalogue, PotfilesListsEveryFileWithMessages)
{
    const std::vector<std::string> listed = listedPotfiles();
    const std::set<std::string> listedSet(listed.begin(), listed.end());
    for (const auto &f : listed)
        EXPECT_TRUE(fs::exists(fs::path(srcdir()) / f))
            << "po/POTFILES.in lists " << f << ", which does not exist; " << kFix;

    const PoCatalogue found = extract(allSources());
    std::set<std::string> withMessages;
    for (const auto &e : found.entries)
        for (const auto &loc : e.locations)
            withMessages.insert(loc.substr(0, loc.rfind(':')));
    EXPECT_FALSE(withMessages.empty()) << "xgettext found no messages at all";
    for (const auto &file : withMessages)
        EXPECT_TRUE(listedSet.count(file))
            << file << " marks messages with _() or N_() but is missing from po/POTFILES.in; " << kFix;
}

TEST(PoCatalogue, CommittedTemplateHasEveryMessage)
{
    const fs::path potPath = fs::path(srcdir()) / "po" / "libxl-nvdimm.pot";
    ASSERT_TRUE(fs::exists(potPath)) << potPath << " is missing; " << kFix;
    const PoCatalogue committed = readPoFile(potPath.string());
    const PoCatalogue current = extract(allSources());
    int missing = 0;
    for (const auto &e : current.entries) {
        if (committed.find(e.msgid))
            continue;
        ++missing;
        ADD_FAILURE() << firstLocation(e) << ": message " << quoteMsgid(e.msgid)
                      << " is not in po/libxl-nvdimm.pot";
    }
    if (missing)
        ADD_FAILURE() << missing << " message(s) missing from po/libxl-nvdimm.pot; " << kFix;
    std::cout << "[          ] " << current.entries.size() << " messages in the sources, "
              << committed.entries.size() << " in po/libxl-nvdimm.pot\n";
}

class PoTranslation : public testing::TestWithParam<std::string> {};

TEST_P(PoTranslation, TranslatesEveryMessage)
{
    const std::string lang = GetParam();
    const fs::path poPath = fs::path(srcdir()) / "po" / (lang + ".po");
    ASSERT_TRUE(fs::exists(poPath)) << "po/LINGUAS names " << lang << " but " << poPath
                                    << " is missing; " << kFix;
    const PoCatalogue po = readPoFile(poPath.string());
    const PoCatalogue current = extract(allSources());
    int lacking = 0;
    for (const auto &e : current.entries) {
        const PoEntry *t = po.find(e.msgid);
        const char *what = !t ? "is missing from" : t->msgstr.empty() ? "is untranslated in"
                         : t->fuzzy ? "is fuzzy in" : nullptr;
        if (!what)
            continue;
        ++lacking;
        ADD_FAILURE() << firstLocation(e) << ": message " << quoteMsgid(e.msgid) << " "
                      << what << " po/" << lang << ".po";
    }
    if (lacking)
        ADD_FAILURE() << lacking << " message(s) lack a " << lang << " translation; " << kFix;

    // msgfmt -c: every translation keeps the message's printf conversions.
    const ProcessResult r = runProcess({envOr("MSGFMT", "msgfmt"), "-c", "--statistics",
                                        "-o", "/dev/null", poPath.string()});
    ASSERT_TRUE(r.spawnError.empty()) << r.spawnError;
    EXPECT_EQ(r.status, 0) << "msgfmt -c rejects po/" << lang << ".po:\n" << r.err;
    std::cout << "[          ] " << lang << ": " << r.err;
}

INSTANTIATE_TEST_SUITE_P(Linguas, PoTranslation, testing::ValuesIn(linguas()),
                         [](const auto &info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PoTranslation);

// Why the German CLI tests cannot run here, or "" when they can.
static std::string germanUnavailable()
{
    const auto langs = linguas();
    if (std::find(langs.begin(), langs.end(), "de") == langs.end())
        return "no German translation in po/LINGUAS";
    const std::string localedir = envOr("LIBXL_NVDIMM_LOCALEDIR");
    if (!fs::exists(fs::path(localedir) / "de" / "LC_MESSAGES" / "libxl-nvdimm.mo"))
        return "de catalogue not built in " + localedir;
    return "";
}

TEST(PoCatalogue, CliPrintsTranslatedGermanError)
{
    if (const std::string why = germanUnavailable(); !why.empty())
        GTEST_SKIP() << why;
    const PoCatalogue de = readPoFile((fs::path(srcdir()) / "po" / "de.po").string());
    const PoEntry *prefix = de.find("error: %s\n");
    const PoEntry *message = de.find("Failed to open file '%s'");
    ASSERT_TRUE(prefix && message) << "de.po lacks the messages this test prints";
    // Format with the translations only when they keep exactly one %s
    // (msgfmt -c in TranslatesEveryMessage says why otherwise).
    auto oneString = [](const std::string &f) {
        return f.find("%s") != std::string::npos && f.find('%') == f.find("%s") &&
               f.find('%', f.find("%s") + 2) == std::string::npos;
    };
    ASSERT_TRUE(oneString(prefix->msgstr) && oneString(message->msgstr))
        << "de.po: translations of the tested messages must keep one %s";

    const std::string missing = (fs::path(envOr("abs_builddir", "/tmp")) / "no-such-domain.xml").string();
    // glibc honours LANGUAGE unless the locale is plain "C"; C.UTF-8 is
    // always there, so no German locale needs to be generated.
    const ProcessResult r = runProcess({envOr("VIRT_XEN_NVDIMM"), "validate", missing},
                                       {{"LC_ALL", "C.UTF-8"}, {"LANGUAGE", "de"}});
    ASSERT_TRUE(r.spawnError.empty()) << r.spawnError;
    EXPECT_EQ(r.status, 1);
    g_autofree gchar *inner = g_strdup_printf(message->msgstr.c_str(), missing.c_str());
    g_autofree gchar *full = g_strdup_printf(prefix->msgstr.c_str(), inner);
    const std::string expectedStart = full;
    EXPECT_EQ(r.err.rfind(expectedStart.substr(0, expectedStart.size() - 1), 0), 0u)
        << "stderr: " << r.err << "expected it to start with: " << expectedStart;
    EXPECT_EQ(r.err.find("error:"), std::string::npos) << "English text in: " << r.err;
}

// The argument parser speaks the same language as the rest: a German
// error comes with German usage words, not CLI11's English.
TEST(PoCatalogue, CliParserErrorsAndHelpAreTranslated)
{
    if (const std::string why = germanUnavailable(); !why.empty())
        GTEST_SKIP() << why;
    const PoCatalogue de = readPoFile((fs::path(srcdir()) / "po" / "de.po").string());
    const PoEntry *required = de.find("%s is required");
    const PoEntry *usage = de.find("Usage");
    const PoEntry *options = de.find("Options");
    ASSERT_TRUE(required && usage && options) << "de.po lacks the parser's words";
    const std::map<std::string, std::string> german = {{"LC_ALL", "C.UTF-8"}, {"LANGUAGE", "de"}};

    const ProcessResult err = runProcess({envOr("VIRT_XEN_NVDIMM"), "pmem-provision", "/x.img"}, german);
    EXPECT_EQ(err.status, 1);
    g_autofree gchar *msg = g_strdup_printf(required->msgstr.c_str(), "--size");
    EXPECT_NE(err.err.find(msg), std::string::npos) << err.err;
    EXPECT_EQ(err.err.find("is required"), std::string::npos) << "English text in: " << err.err;
    const ProcessResult extra = runProcess({envOr("VIRT_XEN_NVDIMM"), "list", "extra"}, german);
    EXPECT_EQ(extra.status, 1);
    EXPECT_EQ(extra.err.find("not expected"), std::string::npos) << "English text in: " << extra.err;

    const ProcessResult help = runProcess({envOr("VIRT_XEN_NVDIMM"), "pmem-provision", "--help"}, german);
    EXPECT_EQ(help.status, 0);
    EXPECT_NE(help.out.find(usage->msgstr + ":"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("\n" + options->msgstr + ":\n"), std::string::npos) << help.out;
    for (const char *english : {"Usage:", "Options:", "Positionals:", "Print this help message", "REQUIRED"})
        EXPECT_EQ(help.out.find(english), std::string::npos) << "English '" << english << "' in: " << help.out;
}
