// SIGKILL at every step (LIBXL_NVDIMM_FAULT=live:N:kill and friends, here
// armed in a forked child): the next command on the domain, or
// recoverAll(), must roll an interrupted attach back (and finish an
// interrupted detach) so that nothing leaks: no mapping, permission, pin
// record, immutable flag, changed owner or xattr, stray file or status.
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"
#include "util/fault_injection.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

namespace {

// Runs `op` in a child that dies at the Nth point of `domain`. True when
// it was killed, false when it finished (fewer than N points).
bool runKilledAt(LiveHost &host, fault::Domain domain, unsigned n,
                 const std::function<void(NvdimmDriver &)> &op)
{
    pid_t pid = fork();
    if (pid == 0) {
        int rc = 0;
        try {
            fault::setFaultAt(domain, n, fault::Action::Kill);
            auto conn = Connection::open(host.uri(), host.dir());
            NvdimmDriver driver(*conn, DriverOptions{200});
            op(driver);
        } catch (const std::exception &e) {
            std::cerr << "child: " << e.what() << std::endl;
            rc = 2;
        }
        _exit(rc);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        EXPECT_EQ(WTERMSIG(status), SIGKILL);
        return true;
    }
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child failed at step " << n;
    return false;
}

// A pid that is surely gone: a child that exited and was reaped.
pid_t deadPid()
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
}

// Leaves what writeFileAtomic leaves when killed between create and
// rename: NAME.tmp.PID of a process that is gone.
void plantKilledTemps(const std::string &dir)
{
    const pid_t pid = deadPid();
    for (const std::string sub : {"/domains/demo", "/pmem-pins"})
        if (access((dir + sub).c_str(), F_OK) == 0)
            std::ofstream(dir + sub + "/status.json.tmp." + std::to_string(pid)) << "{";
}

// Every "*.tmp*" file under `dir`.
std::vector<std::string> tmpResidue(const std::string &dir)
{
    std::vector<std::string> out;
    for (const auto &e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".tmp") != std::string::npos)
            out.push_back(e.path().string());
    return out;
}

// Kills `op` at every point of `domain`; after each kill the host is
// repaired (recoverAll, or the next command on the domain) and must
// equal `expected` (a snapshot). Returns how many runs were killed.
unsigned killEverywhere(LiveHost &host, fault::Domain domain, const std::string &what,
                        const std::function<void(NvdimmDriver &)> &op, const test::Snapshot &expected,
                        const std::function<void()> &resetAfterSuccess = {})
{
    unsigned killed = 0;
    for (unsigned n = 1; n < 500; n++) {
        if (!runKilledAt(host, domain, n, op))
            break;
        killed++;
        plantKilledTemps(host.dir());
        host.reopen();
        if (n % 2)
            host.driver().recoverAll();
        else
            host.driver().dumpXml("demo", false);   // any command on the domain repairs it
        const std::string diff = test::diffSnapshots(expected, test::snapshotHost(host.dir()));
        EXPECT_EQ(diff, "") << what << ": killed at " << fault::domainName(domain) << " step " << n
                            << ", after recovery:\n" << diff;
        const auto residue = tmpResidue(host.dir());
        EXPECT_TRUE(residue.empty()) << what << ": killed at step " << n << ", left " << residue.front();
        if (!diff.empty() || !residue.empty())
            break;
    }
    if (resetAfterSuccess)
        resetAfterSuccess();
    std::cout << what << ": killed and recovered at " << killed << " " << fault::domainName(domain)
              << " points" << std::endl;
    return killed;
}

} // namespace

TEST(LiveCrash, KilledAttachesAreRolledBackAtEveryPoint)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::fileXml(host.mount() + "/present.img", 4), kAffectLive);
    const test::Snapshot before = test::snapshotHost(host.dir());
    unsigned runs = 0;
    auto cleanup = [&](const std::string &alias) {
        return [&host, alias] {
            host.reopen();
            host.driver().detachDeviceAlias("demo", alias, kAffectLive, true);
        };
    };

    runs += killEverywhere(host, fault::Domain::Live, "attach devdax",
                           [](NvdimmDriver &d) { d.attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive); },
                           before, cleanup("nvdimm1"));
    EXPECT_EQ(test::diffSnapshots(before, test::snapshotHost(host.dir())), "");

    const std::string fresh = host.mount() + "/fresh.img";
    runs += killEverywhere(host, fault::Domain::Live, "attach new file",
                           [&](NvdimmDriver &d) { d.attachDevice("demo", test::fileXml(fresh, 4), kAffectLive); },
                           before, [&] {
                               cleanup("nvdimm1")();
                               unlink(fresh.c_str());
                           });

    runs += killEverywhere(host, fault::Domain::Live, "attach --live --config",
                           [](NvdimmDriver &d) {
                               d.attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive | kAffectConfig);
                           },
                           before, [&] {
                               host.reopen();
                               host.driver().detachDeviceAlias("demo", "nvdimm1", kAffectLive | kAffectConfig, true);
                           });

    runs += killEverywhere(host, fault::Domain::Sim, "attach devdax",
                           [](NvdimmDriver &d) { d.attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive); },
                           before, cleanup("nvdimm1"));

    runs += killEverywhere(host, fault::Domain::Security, "attach new file",
                           [&](NvdimmDriver &d) { d.attachDevice("demo", test::fileXml(fresh, 4), kAffectLive); },
                           before, [&] {
                               cleanup("nvdimm1")();
                               unlink(fresh.c_str());
                           });
    runs += killEverywhere(host, fault::Domain::Sim, "attach --live --config",
                           [](NvdimmDriver &d) {
                               d.attachDevice("demo", test::devdaxXml("1", "GiB"), kAffectLive | kAffectConfig);
                           },
                           before, [&] {
                               host.reopen();
                               host.driver().detachDeviceAlias("demo", "nvdimm1", kAffectLive | kAffectConfig, true);
                           });

    runs += killEverywhere(host, fault::Domain::Security, "attach devdax",
                           [](NvdimmDriver &d) { d.attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive); },
                           before, cleanup("nvdimm1"));
    std::cout << "attach: " << runs << " SIGKILL runs recovered" << std::endl;
    EXPECT_GE(runs, 50u);
}

TEST(LiveCrash, KilledDetachesAreFinished)
{
    LiveHost host;
    host.driver().attachDevice("demo", test::fileXml(host.mount() + "/present.img", 4), kAffectLive);
    const test::Snapshot detached = test::snapshotHost(host.dir());
    unsigned runs = 0;
    for (unsigned n = 1; n < 100; n++) {
        host.reopen();
        host.driver().attachDevice("demo", test::devdaxXml("256", "MiB"), kAffectLive);
        const bool killed = runKilledAt(host, fault::Domain::Live, n, [](NvdimmDriver &d) {
            d.detachDeviceAlias("demo", "nvdimm1", kAffectLive, false);
        });
        host.reopen();
        host.driver().recoverAll();
        const std::string diff = test::diffSnapshots(detached, test::snapshotHost(host.dir()));
        EXPECT_EQ(diff, "") << "detach killed at live step " << n << ":\n" << diff;
        if (!killed || !diff.empty())
            break;
        runs++;
    }
    std::cout << "detach: " << runs << " SIGKILL runs finished" << std::endl;
    EXPECT_GE(runs, 6u);
}

TEST(LiveCrash, DeadTemporariesGoOnTheDomainsOperationsAndOnRecover)
{
    // A long-lived driver (libvirtd's) sweeps the shared directories on its
    // first operation and on every recoverAll, and a domain's own
    // directory on every operation on that domain.
    LiveHost host;
    host.driver().attachDevice("demo", test::devdaxXml("256", "MiB"), kAffectLive);
    plantKilledTemps(host.dir());
    ASSERT_EQ(tmpResidue(host.dir()).size(), 2u);
    host.driver().dumpXml("demo", false);
    auto residue = tmpResidue(host.dir());
    ASSERT_EQ(residue.size(), 1u);
    EXPECT_NE(residue.front().find("/pmem-pins/"), std::string::npos) << residue.front();
    host.driver().recoverAll();
    EXPECT_TRUE(tmpResidue(host.dir()).empty());
    // A new driver sweeps the shared ones on its first operation, whichever
    // domain it is on; the domain's own on an operation on that domain.
    plantKilledTemps(host.dir());
    host.reopen();
    host.driver().dumpXml("demo2", false);
    residue = tmpResidue(host.dir());
    ASSERT_EQ(residue.size(), 1u);
    EXPECT_NE(residue.front().find("/domains/demo/"), std::string::npos) << residue.front();
    host.driver().dumpXml("demo", false);
    EXPECT_TRUE(tmpResidue(host.dir()).empty());
}

TEST(LiveCrash, KilledStartIsRolledBack)
{
    LiveHost host;
    host.driver().attachDevice("demo2", test::devdaxXml("128", "MiB"), kAffectConfig);
    const test::Snapshot off = test::snapshotHost(host.dir());
    unsigned runs = 0;
    for (unsigned n = 1; n < 100; n++) {
        const bool killed = runKilledAt(host, fault::Domain::Live, n, [](NvdimmDriver &d) { d.start("demo2"); });
        if (!killed)
            break;
        host.reopen();
        host.driver().recoverAll();
        const std::string diff = test::diffSnapshots(off, test::snapshotHost(host.dir()));
        EXPECT_EQ(diff, "") << "start killed at live step " << n << ":\n" << diff;
        if (!diff.empty())
            break;
        runs++;
    }
    std::cout << "start: " << runs << " SIGKILL runs rolled back" << std::endl;
    EXPECT_GE(runs, 5u);
}
