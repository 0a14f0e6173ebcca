// tests/lib/mkinitramfs, the initramfs builder both QEMU test beds use:
// content, module load order, caching and errors, on this machine's real
// busybox, binaries and kernel modules (no QEMU needed).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Output {
    int status;
    std::string text;
};

Output shell(const std::string &command)
{
    Output out{-1, {}};
    FILE *p = popen((command + " 2>&1").c_str(), "r");
    if (!p)
        return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        out.text.append(buf, n);
    const int rc = pclose(p);
    out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

std::string srcdir()
{
    const char *s = std::getenv("abs_top_srcdir");
    return s ? s : PROJECT_SOURCE_DIR;
}

class Mkinitramfs : public ::testing::Test {
protected:
    void SetUp() override
    {
        char templ[] = "/tmp/xlnv-mkinitramfs-XXXXXX";
        ASSERT_NE(mkdtemp(templ), nullptr);
        dir_ = templ;
        std::ofstream(dir_ + "/init.sh") << "#!/bin/sh\necho hello\n";
    }
    void TearDown() override
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    Output build(const std::string &out, const std::string &args)
    {
        return shell("python3 " + srcdir() + "/tests/lib/mkinitramfs --no-compress --out " +
                     dir_ + "/" + out + " --init " + dir_ + "/init.sh --cache-dir " + dir_ +
                     "/cache " + args);
    }
    std::string list(const std::string &image)
    {
        return shell("cpio -it --quiet < " + dir_ + "/" + image).text;
    }
    std::string extract(const std::string &image, const std::string &member)
    {
        return shell("cpio -i --quiet --to-stdout " + member + " < " + dir_ + "/" + image).text;
    }
    static bool hasLine(const std::string &text, const std::string &line)
    {
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);)
            if (l == line)
                return true;
        return false;
    }
    std::string dir_;
};

TEST_F(Mkinitramfs, PutsInitBusyboxAppletsBinariesAndTheirLibraries)
{
    const Output r = build("a.cpio", "--bin /usr/bin/ndctl");
    ASSERT_EQ(r.status, 0) << r.text;
    EXPECT_NE(r.text.find(dir_ + "/a.cpio"), std::string::npos) << "prints the result path";
    const std::string files = list("a.cpio");
    for (const char *f : {"init", "usr/bin/busybox", "usr/bin/sh", "usr/sbin/insmod",
                          "usr/bin/ndctl", "usr/lib/x86_64-linux-gnu/libndctl.so.6",
                          "usr/lib/x86_64-linux-gnu/libgcc_s.so.1", "dev/console", "lib"})
        EXPECT_TRUE(hasLine(files, f)) << f << " missing from\n" << files;
    EXPECT_EQ(extract("a.cpio", "init"), "#!/bin/sh\necho hello\n");
}

TEST_F(Mkinitramfs, ListsModulesWithTheirDependenciesInLoadOrder)
{
    const Output r = build("m.cpio", "--module nd_pmem --module-set ext4");
    ASSERT_EQ(r.status, 0) << r.text;
    const std::string order = extract("m.cpio", "etc/modules.order");
    auto pos = [&](const std::string &name) {
        const auto p = order.find("/" + name + ".ko\n");
        EXPECT_NE(p, std::string::npos) << name << " not in\n" << order;
        return p;
    };
    EXPECT_LT(pos("libnvdimm"), pos("nd_btt"));
    EXPECT_LT(pos("nd_btt"), pos("nd_pmem"));
    EXPECT_LT(pos("jbd2"), pos("ext4"));
    // ext4's softdep (crypto-crc32c) resolves to the module the caller asked for.
    EXPECT_LT(pos("crc32c_generic"), pos("ext4"));
    EXPECT_EQ(order.find("crc32c-intel"), std::string::npos) << order;
    std::istringstream lines(order);
    for (std::string l; std::getline(lines, l);)
        EXPECT_TRUE(hasLine(list("m.cpio"), l.substr(1))) << l << " listed but not shipped";
}

TEST_F(Mkinitramfs, ReusesTheCachedImageUntilAnInputChanges)
{
    ASSERT_EQ(build("1.cpio", "--module libnvdimm").status, 0);
    ASSERT_EQ(build("2.cpio", "--module libnvdimm").status, 0);
    struct stat a{}, b{};
    ASSERT_EQ(stat((dir_ + "/1.cpio").c_str(), &a), 0);
    ASSERT_EQ(stat((dir_ + "/2.cpio").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino) << "same inputs: the cached file, hard-linked";
    std::ofstream(dir_ + "/init.sh") << "#!/bin/sh\necho changed\n";
    ASSERT_EQ(build("3.cpio", "--module libnvdimm").status, 0);
    struct stat c{};
    ASSERT_EQ(stat((dir_ + "/3.cpio").c_str(), &c), 0);
    EXPECT_NE(a.st_ino, c.st_ino) << "a changed input byte must give a new image";
    EXPECT_EQ(extract("3.cpio", "init"), "#!/bin/sh\necho changed\n");
}

TEST_F(Mkinitramfs, RejectsAnUnknownModuleNamingIt)
{
    const Output r = build("x.cpio", "--module no_such_module_xlnv");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.text.find("error: kernel module not found: no_such_module_xlnv"),
              std::string::npos) << r.text;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.cpio")) << "no half-made image";
}

TEST_F(Mkinitramfs, RejectsAFileSpecWithoutDestination)
{
    const Output r = build("y.cpio", "--file /etc/hostname");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.text.find("--file wants SRC:DEST"), std::string::npos) << r.text;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/y.cpio"));
}

// A library and its SONAME link (an install tree's layout): --link keeps
// the link a link, and replaces what a --bin's ldd put at that path.
TEST_F(Mkinitramfs, LinkReplacesALibraryABinaryBroughtWithASymbolicLink)
{
    const Output r = build("l.cpio", "--bin /usr/bin/ndctl --file /etc/hostname:/opt/t/libx.so.0.1 "
                                     "--link libx.so.0.1:/usr/lib/x86_64-linux-gnu/libndctl.so.6");
    ASSERT_EQ(r.status, 0) << r.text;
    const Output v = shell("cpio -itv --quiet < " + dir_ + "/l.cpio | grep ' usr/lib/x86_64-linux-gnu/libndctl.so.6'");
    EXPECT_EQ(v.text.rfind("lrwxrwxrwx", 0), 0u) << v.text;
    EXPECT_NE(v.text.find("-> libx.so.0.1"), std::string::npos) << v.text;
}

TEST_F(Mkinitramfs, RejectsALinkSpecWithoutTarget)
{
    const Output r = build("z.cpio", "--link /usr/lib/x");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.text.find("--link wants TARGET:DEST"), std::string::npos) << r.text;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/z.cpio"));
}

}  // namespace
