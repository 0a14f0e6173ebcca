// The C API as installed: `meson install --destdir` of this build, then
// the installed header, pkg-config module and shared library are used the
// way a C toolstack (libvirt's libxl driver) would use them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "subprocess.h"

namespace fs = std::filesystem;
using namespace xlnv::test;

namespace {

std::vector<std::string> words(const std::string &text)
{
    std::istringstream in(text);
    std::vector<std::string> out;
    for (std::string w; in >> w;)
        out.push_back(w);
    return out;
}

class InstalledCApi : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        root_ = fs::path(envOr("abs_builddir", "/tmp")) / "capi-root";
        fs::remove_all(root_);
        const ProcessResult r =
            runProcess({envOr("MESON", "meson"), "install", "--no-rebuild", "--quiet", "-C",
                        envOr("abs_top_builddir"), "--destdir", root_.string()},
                       {{"DESTDIR", ""}});
        installStatus_ = r.spawnError.empty() ? r.status : -1;
        installLog_ = r.spawnError + r.out + r.err;
    }
    static void TearDownTestSuite() { fs::remove_all(root_); }

    void SetUp() override
    {
        ASSERT_EQ(installStatus_, 0) << "meson install failed:\n" << installLog_;
    }

    static fs::path under(const std::string &dirVar)
    {
        return root_ / fs::path(envOr("INSTALL_PREFIX", "/usr/local")).relative_path() /
               envOr(dirVar.c_str());
    }
    static fs::path libdir() { return under("INSTALL_LIBDIR"); }
    static fs::path includedir() { return under("INSTALL_INCLUDEDIR"); }

    // pkg-config reading the installed .pc, its paths moved into DESTDIR.
    static ProcessResult pkgConfig(const std::vector<std::string> &args)
    {
        std::vector<std::string> argv = {"pkg-config"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back("libxl-nvdimm");
        return runProcess(argv, {{"PKG_CONFIG_PATH", (libdir() / "pkgconfig").string()},
                                 {"PKG_CONFIG_SYSROOT_DIR", root_.string()}});
    }

    // cc -std=c99 -Wall -Werror SOURCE $(pkg-config --cflags --libs libxl-nvdimm)
    static ProcessResult compileC(const fs::path &source, const fs::path &output,
                                  const std::vector<std::string> &extraFlags = {})
    {
        const ProcessResult flags = pkgConfig({"--cflags", "--libs"});
        if (flags.status != 0)
            return flags;
        std::vector<std::string> argv = {envOr("CC", "cc"), "-std=c99", "-Wall", "-Werror"};
        argv.insert(argv.end(), extraFlags.begin(), extraFlags.end());
        argv.push_back(source.string());
        argv.push_back("-o");
        argv.push_back(output.string());
        for (const auto &w : words(flags.out))
            argv.push_back(w);
        return runProcess(argv);
    }

    static fs::path root_;
    static int installStatus_;
    static std::string installLog_;
};

fs::path InstalledCApi::root_;
int InstalledCApi::installStatus_ = -1;
std::string InstalledCApi::installLog_;

} // namespace

TEST_F(InstalledCApi, PkgConfigModuleNamesTheInstalledHeaderAndLibrary)
{
    const ProcessResult r = pkgConfig({"--cflags", "--libs"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("-I" + includedir().string()), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("-lxl-nvdimm"), std::string::npos) << r.out;
    EXPECT_TRUE(fs::exists(includedir() / "libxl_nvdimm.h"));
    const ProcessResult version = pkgConfig({"--modversion"});
    EXPECT_EQ(version.out, std::string(PACKAGE_VERSION) + "\n");
    // libxl_nvdimm.h includes libxl.h: the module must pull in xenlight.
    const ProcessResult requires_ = pkgConfig({"--print-requires"});
    EXPECT_NE(requires_.out.find("xenlight"), std::string::npos) << requires_.out;
}

TEST_F(InstalledCApi, HeaderCompilesAsPedanticC99)
{
    const fs::path dir = root_ / "c99";
    fs::create_directories(dir);
    std::ofstream(dir / "only_header.c") << "#include <libxl_nvdimm.h>\n"
                                            "int main(void) { return libxl_nvdimm_last_error_code(); }\n";
    const ProcessResult r = compileC(dir / "only_header.c", dir / "only_header",
                                     {"-Wextra", "-pedantic", "-Wstrict-prototypes"});
    EXPECT_EQ(r.status, 0) << r.spawnError << r.out << r.err;
}

TEST_F(InstalledCApi, SharedLibraryExportsOnlyTheApiUnderSoname0)
{
    const fs::path lib = libdir() / "libxl-nvdimm.so.0";
    ASSERT_TRUE(fs::exists(lib)) << lib;
    EXPECT_TRUE(fs::is_symlink(libdir() / "libxl-nvdimm.so"));

    const ProcessResult nm = runProcess({"nm", "-D", "--defined-only", lib.string()});
    ASSERT_EQ(nm.status, 0) << nm.spawnError << nm.err;
    int api = 0;
    std::istringstream lines(nm.out);
    for (std::string line; std::getline(lines, line);) {
        const auto w = words(line);
        ASSERT_FALSE(w.empty());
        const std::string &name = w.back();
        const std::string &type = w.size() >= 2 ? w[w.size() - 2] : "";
        if (type == "A" && name.rfind("LIBXL_NVDIMM_", 0) == 0)
            continue;   // the version node of libxl_nvdimm.syms
        EXPECT_EQ(name.rfind("libxl_nvdimm_", 0), 0u) << "exported: " << line;
        ++api;
    }
    EXPECT_GE(api, 20) << nm.out;
    EXPECT_NE(nm.out.find(" T libxl_nvdimm_domain_config_fill"), std::string::npos) << nm.out;

    const ProcessResult dyn = runProcess({"objdump", "-p", lib.string()});
    ASSERT_EQ(dyn.status, 0) << dyn.err;
    EXPECT_NE(dyn.out.find("SONAME               libxl-nvdimm.so.0"), std::string::npos) << dyn.out;
}

TEST_F(InstalledCApi, CProgramRunsTheMainFlowsOnTheSimulatedHost)
{
    const fs::path dir = root_ / "capi-run";
    fs::create_directories(dir / "work");
    const fs::path exe = dir / "capi-test";
    const fs::path source = envOr("CAPI_TEST_SOURCE");
    const ProcessResult cc = compileC(source, exe);
    ASSERT_EQ(cc.status, 0) << "compiling " << source << " against the installed files failed:\n"
                            << cc.spawnError << cc.out << cc.err;

    // Only the installed library: no build-tree rpath, LD_LIBRARY_PATH
    // at DESTDIR's libdir.
    const ProcessResult ldd = runProcess({"ldd", exe.string()},
                                         {{"LD_LIBRARY_PATH", libdir().string()}});
    EXPECT_NE(ldd.out.find((libdir() / "libxl-nvdimm.so.0").string()), std::string::npos) << ldd.out;

    const ProcessResult run = runProcess({exe.string(), (dir / "work").string()},
                                         {{"LD_LIBRARY_PATH", libdir().string()},
                                          {"LIBXL_NVDIMM_STATE_DIR", ""},
                                          {"LIBXL_NVDIMM_DEFAULT_URI", ""}});
    std::cout << "[          ] capi-test: " << run.out;
    if (run.status == 77)
        GTEST_SKIP() << run.out << run.err;
    EXPECT_EQ(run.status, 0) << run.spawnError << run.out << run.err;
    EXPECT_NE(run.out.find(", 0 failed"), std::string::npos) << run.out << run.err;
}
