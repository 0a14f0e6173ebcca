// `meson install --destdir` puts every deliverable under the prefix inside
// DESTDIR and nothing outside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include "subprocess.h"

namespace fs = std::filesystem;
using namespace xlnv::test;

namespace {

std::vector<std::string> linguas()
{
    std::vector<std::string> langs;
    std::ifstream in(fs::path(envOr("abs_top_srcdir", PROJECT_SOURCE_DIR)) / "po" / "LINGUAS");
    for (std::string word; in >> word;)
        if (word[0] != '#')
            langs.push_back(word);
    return langs;
}

// Modification time of `path`, or -1 when it does not exist.
long long mtimeOf(const fs::path &path)
{
    struct stat st;
    return lstat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_mtim.tv_sec) * 1000000000 +
                                                st.st_mtim.tv_nsec
                                          : -1;
}

} // namespace

TEST(Install, DestdirHoldsEveryDeliverableAndNothingLeaks)
{
    const fs::path build = envOr("abs_top_builddir");
    const fs::path destdir = fs::path(envOr("abs_builddir", "/tmp")) / "install-root";
    const fs::path prefix = envOr("INSTALL_PREFIX", "/usr/local");
    auto under = [&](const std::string &rel) { return prefix / rel; };
    const std::vector<fs::path> expected = [&] {
        std::vector<fs::path> v = {
            under(envOr("INSTALL_BINDIR")) / "virt-xen-nvdimm",
            under(envOr("INSTALL_MANDIR")) / "man1" / "virt-xen-nvdimm.1",
            under(envOr("INSTALL_COMPLETIONSDIR")) / "virt-xen-nvdimm",
            under(envOr("INSTALL_DOCDIR")) / "examples" / "libxl-nvdimm.conf",
            under(envOr("INSTALL_DOCDIR")) / "examples" / "guest-nvdimm.xml",
            under(envOr("INSTALL_DOCDIR")) / "formatdomain-nvdimm.rst",
            under(envOr("INSTALL_DOCDIR")) / "libvirt-libxl-driver.rst",
            under(envOr("INSTALL_DOCDIR")) / "hook.rst",
            // The C API: library (real file, soname link, dev link), header, pkg-config.
            under(envOr("INSTALL_LIBDIR")) / ("libxl-nvdimm.so." PACKAGE_VERSION),
            under(envOr("INSTALL_LIBDIR")) / "libxl-nvdimm.so.0",
            under(envOr("INSTALL_LIBDIR")) / "libxl-nvdimm.so",
            under(envOr("INSTALL_INCLUDEDIR")) / "libxl_nvdimm.h",
            under(envOr("INSTALL_LIBDIR")) / "pkgconfig" / "libxl-nvdimm.pc",
            // Where libvirt's libxl driver runs its hooks from.
            under(envOr("INSTALL_SYSCONFDIR")) / "libvirt" / "hooks" / "libxl.d" / "libxl-nvdimm-hook",
        };
        for (const auto &lang : linguas())
            v.push_back(under(envOr("INSTALL_LOCALEDIR")) / lang / "LC_MESSAGES" / "libxl-nvdimm.mo");
        return v;
    }();

    // The real prefix must not change: note what is there now.
    std::vector<long long> before;
    for (const auto &p : expected)
        before.push_back(mtimeOf(p));

    fs::remove_all(destdir);
    const ProcessResult r = runProcess({envOr("MESON", "meson"), "install", "--no-rebuild",
                                        "--quiet", "-C", build.string(), "--destdir",
                                        destdir.string()},
                                       {{"DESTDIR", ""}});
    ASSERT_TRUE(r.spawnError.empty()) << r.spawnError;
    ASSERT_EQ(r.status, 0) << r.out << r.err;

    std::vector<std::string> installed;
    for (const auto &e : fs::recursive_directory_iterator(destdir))
        if (!e.is_directory())
            // lexically: fs::relative would resolve the library's symlinks
            installed.push_back("/" + e.path().lexically_relative(destdir).string());
    std::sort(installed.begin(), installed.end());
    std::cout << "[          ] installed into DESTDIR=" << destdir.string() << ":\n";
    for (const auto &f : installed)
        std::cout << "[          ]   " << f << "\n";

    const std::set<std::string> installedSet(installed.begin(), installed.end());
    for (const auto &p : expected) {
        EXPECT_TRUE(installedSet.count(p.string())) << p.string() << " was not installed";
        if (fs::exists(destdir / p.relative_path())) {
            EXPECT_GT(fs::file_size(destdir / p.relative_path()), 0u) << p << " is empty";
        }
    }
    // Everything under the prefix, except configuration, which lives under
    // sysconfdir (outside the prefix when that is absolute, e.g. /etc).
    const fs::path sysconf = under(envOr("INSTALL_SYSCONFDIR"));
    for (const auto &f : installed)
        EXPECT_TRUE(f.rfind(prefix.string() + "/", 0) == 0 ||
                    f.rfind(sysconf.string() + "/", 0) == 0)
            << f << " is installed outside the prefix " << prefix.string();
    const fs::path exe = destdir / expected[0].relative_path();
    EXPECT_TRUE((fs::status(exe).permissions() & fs::perms::owner_exec) != fs::perms::none)
        << exe << " is not executable";
    const fs::path hook = destdir / expected[expected.size() - 1 - linguas().size()].relative_path();
    EXPECT_EQ(hook.filename(), "libxl-nvdimm-hook");
    EXPECT_TRUE((fs::status(hook).permissions() & fs::perms::others_exec) != fs::perms::none)
        << hook << ": libvirt runs only executable hooks";
    EXPECT_TRUE(fs::is_symlink(destdir / (under(envOr("INSTALL_LIBDIR")) / "libxl-nvdimm.so.0").relative_path()));

    // meson's own record of this install names only paths inside DESTDIR.
    std::ifstream log(build / "meson-logs" / "install-log.txt");
    int logged = 0;
    for (std::string line; std::getline(log, line);) {
        if (line.empty() || line[0] == '#')
            continue;
        EXPECT_TRUE(line == destdir.string() || line.rfind(destdir.string() + "/", 0) == 0)
            << "installed outside DESTDIR: " << line;
        if (!fs::is_directory(line))
            ++logged;
    }
    EXPECT_EQ(static_cast<size_t>(logged), installed.size()) << "install-log.txt disagrees with DESTDIR";
    for (size_t i = 0; i < expected.size(); ++i)
        EXPECT_EQ(mtimeOf(expected[i]), before[i]) << expected[i] << " in the real prefix changed";

    // The installed program runs from DESTDIR (no build-tree rpath needed).
    const ProcessResult version = runProcess({exe.string(), "--version"});
    EXPECT_EQ(version.status, 0) << version.err;
    EXPECT_NE(version.out.find("virt-xen-nvdimm"), std::string::npos) << version.out;
    fs::remove_all(destdir);
}
