// The state directory and the file access under it (util/state_dir.h,
// util/safe_open.h): private directories only, one atomic write that
// never follows a link, stale temporaries removed, domain names checked
// before they become file names, bounded quotes of user text.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/error.h"
#include "util/safe_open.h"
#include "util/state_dir.h"
#include "util/strutil.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

struct TempDir {
    std::string path;
    TempDir()
    {
        std::string t = "/tmp/xlnv-safe-XXXXXX";
        if (!mkdtemp(t.data()))
            throw std::runtime_error("mkdtemp");
        path = t;
    }
    ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

std::string slurp(const std::string &p)
{
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST(StateDir, DomainNamesAreCheckedBeforeTheyBecomePaths)
{
    for (const std::string &ok : std::vector<std::string>{"demo", "a-b_c.d", "x y", std::string(255, 'n')})
        EXPECT_NO_THROW(validateDomainName(ok)) << ok;
    for (const std::string &bad : std::vector<std::string>{"", ".hidden", "..", "a/b", "../../etc", "a\nb", std::string(256, 'n')})
        EXPECT_THROW(validateDomainName(bad), Error) << bad;
}

TEST(StateDir, ForeignOrOpenOrLinkedStateDirsAreRefused)
{
    TempDir t;
    const std::string mine = t.path + "/mine";
    EXPECT_NO_THROW(checkStateDir(mine));   // created 0700
    struct stat st {};
    ASSERT_EQ(stat(mine.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    const std::string open = t.path + "/open";
    ASSERT_EQ(mkdir(open.c_str(), 0777), 0);
    ASSERT_EQ(chmod(open.c_str(), 0777), 0);
    if (geteuid() == 0)
        EXPECT_THROW(checkStateDir(open), Error);

    const std::string foreign = t.path + "/foreign";
    ASSERT_EQ(mkdir(foreign.c_str(), 0700), 0);
    if (geteuid() == 0) {
        ASSERT_EQ(chown(foreign.c_str(), 1234, 1234), 0);
        try {
            checkStateDir(foreign);
            ADD_FAILURE() << "a directory of uid 1234 was accepted";
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find("owned by uid 1234"), std::string::npos) << e.what();
        }
    }

    const std::string link = t.path + "/link";
    ASSERT_EQ(symlink(mine.c_str(), link.c_str()), 0);
    EXPECT_THROW(checkStateDir(link), Error);
}

TEST(StateDir, AtomicWriteNeverFollowsALinkAndLeavesNoTemporary)
{
    TempDir t;
    const std::string victim = t.path + "/victim";
    std::ofstream(victim) << "keep";
    const std::string file = t.path + "/status.json";
    ASSERT_EQ(symlink(victim.c_str(), file.c_str()), 0);
    // A link planted as the temporary name is replaced, not followed.
    ASSERT_EQ(symlink(victim.c_str(), (file + ".tmp." + std::to_string(getpid())).c_str()), 0);
    writeFileAtomic(file, "new\n");
    EXPECT_EQ(slurp(victim), "keep");
    EXPECT_EQ(slurp(file), "new\n");
    struct stat st {};
    ASSERT_EQ(lstat(file.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(access((file + ".tmp." + std::to_string(getpid())).c_str(), F_OK), -1);

    // Reading does not follow a link either.
    const std::string linked = t.path + "/linked.json";
    ASSERT_EQ(symlink(victim.c_str(), linked.c_str()), 0);
    EXPECT_THROW(readFileIfExists(linked), Error);
    EXPECT_EQ(readFileIfExists(t.path + "/missing"), std::nullopt);
}

TEST(StateDir, AVolatileWriteReplacesTheFileWholeAndLeavesNoTemporary)
{
    TempDir t;
    const std::string file = t.path + "/host.json";
    const std::string temp = file + ".tmp." + std::to_string(getpid());
    // No file yet: created.
    writeFileAtomic(file, "first\n", 0600, Durability::Volatile);
    EXPECT_EQ(slurp(file), "first\n");
    struct stat before {};
    ASSERT_EQ(stat(file.c_str(), &before), 0);
    EXPECT_EQ(before.st_mode & 0777, 0600u);

    // A reader that opened the old file keeps reading the old content:
    // the new one is another inode, put in place by one exchange.
    const int reader = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(reader, 0);
    writeFileAtomic(file, "second, longer\n", 0640, Durability::Volatile);
    EXPECT_EQ(slurp(file), "second, longer\n");
    char buf[64] = {};
    EXPECT_EQ(pread(reader, buf, sizeof(buf) - 1, 0), 6);
    EXPECT_STREQ(buf, "first\n");
    close(reader);
    struct stat after {};
    ASSERT_EQ(stat(file.c_str(), &after), 0);
    EXPECT_NE(after.st_ino, before.st_ino);
    EXPECT_EQ(after.st_mode & 0777, 0640u);
    EXPECT_EQ(access(temp.c_str(), F_OK), -1);

    // A link in the file's place is replaced, never followed.
    const std::string victim = t.path + "/victim";
    std::ofstream(victim) << "keep";
    ASSERT_EQ(unlink(file.c_str()), 0);
    ASSERT_EQ(symlink(victim.c_str(), file.c_str()), 0);
    writeFileAtomic(file, "third\n", 0600, Durability::Volatile);
    EXPECT_EQ(slurp(victim), "keep");
    struct stat st {};
    ASSERT_EQ(lstat(file.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(slurp(file), "third\n");
    EXPECT_EQ(access(temp.c_str(), F_OK), -1);
    EXPECT_EQ(lstat(victim.c_str(), &st), 0);

    // A directory in the file's place stays, and the write is refused.
    const std::string dir = t.path + "/dir.json";
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    EXPECT_THROW(writeFileAtomic(dir, "x", 0600, Durability::Volatile), Error);
    ASSERT_EQ(lstat(dir.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(access((dir + ".tmp." + std::to_string(getpid())).c_str(), F_OK), -1);
}

TEST(StateDir, StaleTemporariesOfDeadProcessesAreRemoved)
{
    TempDir t;
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, nullptr, 0);
    const std::string stale = t.path + "/status.json.tmp." + std::to_string(dead);
    const std::string live = t.path + "/status.json.tmp." + std::to_string(getpid());
    std::ofstream(stale) << "{";
    std::ofstream(live) << "{";
    std::ofstream(t.path + "/status.json") << "{}";
    EXPECT_EQ(removeStaleTemps(t.path), 1u);
    EXPECT_EQ(access(stale.c_str(), F_OK), -1);
    EXPECT_EQ(access(live.c_str(), F_OK), 0);
    EXPECT_EQ(access((t.path + "/status.json").c_str(), F_OK), 0);
}

TEST(SafeOpen, LinksAnywhereAndEscapesAreRefused)
{
    TempDir t;
    ASSERT_EQ(mkdir((t.path + "/d").c_str(), 0700), 0);
    std::ofstream(t.path + "/d/f") << "x";
    ASSERT_EQ(symlink((t.path + "/d").c_str(), (t.path + "/ld").c_str()), 0);
    UniqueFd root(open(t.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    UniqueFd ok(openNoLinks(root.get(), "d/f", O_PATH));
    EXPECT_TRUE(ok);
    EXPECT_FALSE(UniqueFd(openNoLinks(root.get(), "ld/f", O_PATH)));
    EXPECT_EQ(errno, ELOOP);
    EXPECT_FALSE(UniqueFd(openNoLinks(root.get(), "../" + t.path.substr(5) + "/d/f", O_PATH)));
    EXPECT_FALSE(UniqueFd(openNoLinks(root.get(), t.path + "/d/f", O_PATH)));   // absolute: not beneath

    // Identity: the same inode after a rename, by handle (root) or not at all.
    FileIdentity id = identityOf(ok.get());
    EXPECT_TRUE(id.known());
    ASSERT_EQ(rename((t.path + "/d").c_str(), (t.path + "/moved").c_str()), 0);
    if (geteuid() == 0 && !id.handle.empty()) {
        UniqueFd mount(open(t.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        UniqueFd again = openByIdentity(id, mount.get());
        ASSERT_TRUE(again);
        struct stat st {};
        ASSERT_EQ(fstat(again.get(), &st), 0);
        EXPECT_TRUE(id.sameInode(st));
    }
}

TEST(SafeOpen, FifosSocketsAndSetIdFilesAreNotOpenable)
{
    struct Case {
        mode_t mode;
        bool devices;
        bool openable;
    };
    const Case cases[] = {
        {S_IFIFO | 0644, true, false},  {S_IFSOCK | 0644, true, false}, {S_IFDIR | 0755, true, false},
        {S_IFREG | 04755, true, false}, {S_IFREG | 02755, true, false}, {S_IFCHR | 0600, false, false},
        {S_IFCHR | 0600, true, true},   {S_IFREG | 02644, true, true},  {S_IFREG | 0600, false, true},
    };
    for (const Case &c : cases) {
        struct stat st {};
        st.st_mode = c.mode;
        if (c.openable)
            EXPECT_NO_THROW(checkOpenableObject(st, "/x", c.devices)) << std::oct << c.mode;
        else
            EXPECT_THROW(checkOpenableObject(st, "/x", c.devices), Error) << std::oct << c.mode;
    }
}

TEST(StrUtil, QuoteBoundedCutsAndEscapes)
{
    EXPECT_EQ(quoteBounded("abc"), "abc");
    EXPECT_EQ(quoteBounded(std::string("a\0b\n", 4)), "a\\x00b\\x0a");
    const std::string big(100000, 'p');
    const std::string q = quoteBounded(big, 16);
    EXPECT_EQ(q, std::string(16, 'p') + "... (100000 bytes)");
}
