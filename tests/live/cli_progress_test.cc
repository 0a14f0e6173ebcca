// Progress of long work on stderr (issue 16, util/progress.h): a line per
// step when stderr is not a terminal, one updating line ended by a newline
// on a terminal (also when Ctrl-C interrupts), nothing with --quiet; the
// results on stdout the same either way.
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>
#include <sys/stat.h>

#include "cli_snapshot.h"

using namespace xlnv::test;

namespace {

size_t countOf(const std::string &s, const std::string &what)
{
    size_t n = 0;
    for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + 1))
        ++n;
    return n;
}

std::string fileXml(const std::string &path, uint64_t mib)
{
    return nvdimmXml({.path = path, .size_mib = mib, .alias = "nvdimm0"});
}

// Every line of `err` is a progress line (and there are few of them).
void expectOnlyStepLines(const std::string &err)
{
    EXPECT_EQ(err.find('\r'), std::string::npos) << err;
    EXPECT_LE(countOf(err, "\n"), 20u) << err;
    std::istringstream in(err);
    for (std::string line; std::getline(in, line);)
        EXPECT_TRUE(line.rfind("Provisioning ", 0) == 0 || line.rfind("Resolving the extents of ", 0) == 0 ||
                    line.rfind("Labelling the NVDIMM backings of domain ", 0) == 0 ||
                    line.rfind("Mapping into domain ", 0) == 0)
            << "not a progress line: " << line;
}

// `text` with every `from` replaced by `to`.
std::string replaced(std::string text, const std::string &from, const std::string &to)
{
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
        text.replace(pos, from.size(), to);
    return text;
}

} // namespace

TEST(CliProgress, PmemProvisionOfAFileGivesStepLines)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/prov.img";
    const CliResult r = host.cli({"pmem-provision", file, "--size", "1G"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 0%\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 50%\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 100%\nResolving the extents of " + file + "\n"))
        << r.err;
    // At most one line per tenth: 0% ... 100%, some tenths skipped when
    // a report jumps over them.
    EXPECT_GE(countOf(r.err, "Provisioning "), 5u) << r.err;
    EXPECT_LE(countOf(r.err, "Provisioning "), 11u) << r.err;
    expectOnlyStepLines(r.err);
    EXPECT_TRUE(contains(r.out, "Backing '" + file + "'")) << r.out;
}

TEST(CliProgress, PmemProvisionQuietPrintsTheSameResultAndNothingElse)
{
    SimHostDir loud, quiet;
    const std::string loudFile = loud.fsdaxMount() + "/prov.img";
    const std::string quietFile = quiet.fsdaxMount() + "/prov.img";
    const CliResult l = loud.cli({"pmem-provision", loudFile, "--size", "1G"});
    const CliResult q = quiet.cli({"--quiet", "pmem-provision", quietFile, "--size", "1G"});
    ASSERT_EQ(l.status, 0) << l.err;
    ASSERT_EQ(q.status, 0) << q.err;
    EXPECT_TRUE(contains(l.err, "Provisioning ")) << l.err;
    EXPECT_EQ(q.err, "");
    EXPECT_EQ(replaced(q.out, quiet.fsdaxMount(), loud.fsdaxMount()), l.out);
    // -q is the short form, after the command too (virsh -q).
    const CliResult q2 = quiet.cli({"pmem-provision", quiet.fsdaxMount() + "/other.img", "--size", "128M", "-q"});
    EXPECT_EQ(q2.status, 0) << q2.err;
    EXPECT_EQ(q2.err, "");
}

TEST(CliProgress, JsonOnStdoutIsUnaffected)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/prov.img";
    const CliResult r = host.cli({"pmem-provision", file, "--size", "1G", "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 100%\n")) << r.err;
    const auto j = nlohmann::json::parse(r.out);   // nothing but the object
    EXPECT_EQ(j["path"], file);
    EXPECT_EQ(j["created"], true);
}

TEST(CliProgress, LinesAreTranslated)
{
    const char *localedir = std::getenv("LIBXL_NVDIMM_LOCALEDIR");
    if (!localedir || !*localedir ||
        !std::filesystem::exists(std::string(localedir) + "/de/LC_MESSAGES/libxl-nvdimm.mo"))
        GTEST_SKIP() << "no built German catalogue (LIBXL_NVDIMM_LOCALEDIR; run through meson test)";
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/prov.img";
    // C.UTF-8 honours LANGUAGE (plain C would not); no German locale needed.
    const CliResult r = host.cli({"pmem-provision", file, "--size", "1G"},
                                 {{"LC_ALL", "C.UTF-8"}, {"LANGUAGE", "de"}});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "Bereitstellung von " + file + ": 100%\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Extents von " + file + " werden ermittelt\n")) << r.err;
    EXPECT_FALSE(contains(r.err, "Provisioning")) << r.err;
}

TEST(CliProgress, AttachDeviceOfAFileGivesStepLines)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/attach.img";
    const CliResult r = host.cli({"attach-device", "demo", host.file("d.xml", fileXml(file, 1024)), "--live"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Device attached successfully\n");
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 0%\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 100%\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Resolving the extents of " + file + "\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Labelling the NVDIMM backings of domain 'demo'\n")) << r.err;
    EXPECT_TRUE(contains(r.err, "Mapping into domain 'demo': range ")) << r.err;
    // The last mapping line says all ranges are mapped ("range N of N").
    const size_t last = r.err.rfind("Mapping into domain 'demo': range ");
    std::istringstream tail(r.err.substr(last + std::string("Mapping into domain 'demo': range ").size()));
    unsigned long n = 0, of = 0;
    std::string word;
    tail >> n >> word >> of;
    EXPECT_EQ(word, "of");
    EXPECT_GE(n, 1u);
    EXPECT_EQ(n, of) << r.err;
    expectOnlyStepLines(r.err);
}

TEST(CliProgress, AttachDeviceQuietPrintsNothingOnStderr)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/attach.img";
    const CliResult r =
        host.cli({"-q", "attach-device", "demo", host.file("d.xml", fileXml(file, 1024)), "--live"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Device attached successfully\n");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(nvdimmElements(host.cli({"dumpxml", "demo"}).out).size(), 1u);
}

TEST(CliProgress, StartAndPrepareGiveStepLines)
{
    // Each on a host of its own: the backing is new to both.
    for (const std::string command : {"prepare", "start"}) {
        SimHostDir host;
        const std::string file = host.fsdaxMount() + "/boot.img";
        const CliResult a =
            host.cli({"attach-device", "demo2", host.file("d.xml", fileXml(file, 1024)), "--config"});
        ASSERT_EQ(a.status, 0) << a.err;
        EXPECT_EQ(a.err, "");   // nothing provisioned for the definition

        const CliResult r = host.cli({command, "demo2"});
        ASSERT_EQ(r.status, 0) << command << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 0%\n")) << command << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "Provisioning " + file + ": 100%\n")) << command << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "Resolving the extents of " + file + "\n")) << command << ": " << r.err;
        EXPECT_TRUE(contains(r.err, "Labelling the NVDIMM backings of domain 'demo2'\n")) << command << ": " << r.err;
        expectOnlyStepLines(r.err);
        if (command == "prepare") {
            EXPECT_TRUE(contains(r.out, "Domain 'demo2' prepared with 1 NVDIMM(s)")) << r.out;
        } else {
            EXPECT_EQ(r.out, "Domain 'demo2' started\n");
            EXPECT_TRUE(contains(r.err, "Mapping into domain 'demo2': range ")) << r.err;
        }
    }
}

TEST(CliProgress, QuickWorkStaysSilent)
{
    // A devdax attach and a small file: done in a moment, nothing shown (as virsh).
    SimHostDir host;
    const CliResult dev = host.cli({"attach-device", "demo", host.file("dev.xml", nvdimmXml({.size_mib = 256})), "--live"});
    ASSERT_EQ(dev.status, 0) << dev.err;
    EXPECT_EQ(dev.err, "");
    const std::string file = host.fsdaxMount() + "/small.img";
    const CliResult small = host.cli({"pmem-provision", file, "--size", "64M"});
    ASSERT_EQ(small.status, 0) << small.err;
    EXPECT_EQ(small.err, "");
}

namespace {

// virt-xen-nvdimm with stderr on a pseudo-terminal (stdout to a file):
// what the terminal showed. With `interruptWhen`, SIGINT once that file exists.
struct TtyRun {
    int status = -1;
    std::string tty;
};

TtyRun runOnTty(const SimHostDir &host, const std::vector<std::string> &args,
                const std::string &interruptWhen = "")
{
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) < 0)
        throw std::runtime_error("openpty failed");
    std::vector<std::string> argv = {cliPath()};
    for (const auto &a : host.argv(args))
        argv.push_back(a);
    const auto env = host.env();
    const std::string outPath = host.scratch() + "/tty-out";
    const pid_t pid = fork();
    if (pid == 0) {
        close(master);
        const int out = open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int in = open("/dev/null", O_RDONLY);
        dup2(in, 0);
        dup2(out, 1);
        dup2(slave, 2);
        execWithEnv(argv, env);
    }
    close(slave);
    TtyRun r;
    bool signalled = interruptWhen.empty();
    char buf[4096];
    for (;;) {
        if (!signalled) {
            struct stat sb;
            if (stat(interruptWhen.c_str(), &sb) == 0 && sb.st_size > 0) {
                kill(pid, SIGINT);
                signalled = true;
            }
        }
        pollfd p{master, POLLIN, 0};
        if (poll(&p, 1, 5) < 0 && errno != EINTR)
            break;
        if (p.revents & POLLIN) {
            const ssize_t n = read(master, buf, sizeof(buf));
            if (n <= 0)
                break;   // EIO: every writer of the slave is gone
            r.tty.append(buf, static_cast<size_t>(n));
        } else if (p.revents & (POLLHUP | POLLERR)) {
            break;
        }
    }
    close(master);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

} // namespace

TEST(CliProgress, TerminalGetsOneUpdatingLineEndedByANewline)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/tty.img";
    const TtyRun r = runOnTty(host, {"pmem-provision", file, "--size", "1G"});
    ASSERT_EQ(r.status, 0) << r.tty;
    EXPECT_TRUE(contains(r.tty, "\rProvisioning " + file + ":   0% (0 of 1024 MiB)")) << r.tty;
    EXPECT_TRUE(contains(r.tty, "\rProvisioning " + file + ": 100% (1024 of 1024 MiB)")) << r.tty;
    EXPECT_TRUE(contains(r.tty, "\rResolving the extents of " + file)) << r.tty;
    // One line: the terminal shows a single newline (ONLCR makes it \r\n), at the end.
    EXPECT_EQ(countOf(r.tty, "\n"), 1u) << r.tty;
    EXPECT_EQ(r.tty.substr(r.tty.size() - 2), "\r\n") << r.tty;
}

TEST(CliProgress, InterruptOnATerminalEndsTheLineBeforeTheError)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/big.img";
    const TtyRun r = runOnTty(host, {"attach-device", "demo", host.file("big.xml", fileXml(file, 6144)), "--live"},
                              file);
    EXPECT_EQ(r.status, 1) << r.tty;
    const size_t err = r.tty.find("error: operation interrupted;");
    ASSERT_NE(err, std::string::npos) << r.tty;
    EXPECT_TRUE(contains(r.tty, "\rProvisioning " + file + ": ")) << r.tty;
    // The bar's line was ended: the error starts a line of its own.
    EXPECT_EQ(r.tty.substr(err - 2, 2), "\r\n") << r.tty;
    EXPECT_TRUE(contains(r.tty.substr(err), "rolled back")) << r.tty;
    struct stat sb;
    EXPECT_NE(stat(file.c_str(), &sb), 0) << "the backing was not removed";
}

TEST(CliProgress, QuietOnATerminalShowsNothing)
{
    SimHostDir host;
    const std::string file = host.fsdaxMount() + "/tty.img";
    const TtyRun r = runOnTty(host, {"--quiet", "pmem-provision", file, "--size", "1G"});
    ASSERT_EQ(r.status, 0) << r.tty;
    EXPECT_EQ(r.tty, "");
}
