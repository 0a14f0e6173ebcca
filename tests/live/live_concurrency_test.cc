// Concurrent commands serialize on the domain and backing locks: eight
// processes attaching to one domain get eight slots and disjoint
// mappings; a backing one domain holds is refused to another.
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include <gtest/gtest.h>

#include "sim/sim_hypervisor.h"
#include "live_test_util.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::libxl;
using xlnv::test::LiveHost;

TEST(LiveConcurrency, EightParallelAttachesGetUniqueSlotsAndDisjointMappings)
{
    LiveHost host;
    std::vector<pid_t> children;
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    for (int i = 0; i < 8; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(ready[1]);
            char c;
            (void)!read(ready[0], &c, 1);   // start together
            int rc = 0;
            try {
                auto conn = Connection::open(host.uri(), host.dir());
                NvdimmDriver driver(*conn);
                driver.attachDevice("demo", test::fileXml(host.mount() + "/p" + std::to_string(i) + ".img", 4),
                                    kAffectLive);
            } catch (const std::exception &e) {
                fprintf(stderr, "child %d: %s\n", i, e.what());
                rc = 1;
            }
            _exit(rc);
        }
        children.push_back(pid);
    }
    close(ready[0]);
    close(ready[1]);   // EOF releases them all
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    host.reopen();
    const std::string xml = host.driver().dumpXml("demo", false);
    for (int slot = 0; slot < 8; slot++)
        EXPECT_NE(xml.find("<alias name='nvdimm" + std::to_string(slot) + "'/>"), std::string::npos) << xml;
    const SimStats stats = host.conn().requireSimulated("test").stats();
    for (const auto &d : stats.domains)
        if (d.name == "demo") {
            EXPECT_EQ(d.mapped_bytes, 8ull * (4 << 20));
            EXPECT_EQ(d.guest.nvdimms.size(), 8u);
            std::set<uint64_t> bases;
            for (const auto &n : d.guest.nvdimms)
                bases.insert(n.base);
            EXPECT_EQ(bases.size(), 8u);
            // The ledger merges neighbours; overlaps would have been refused.
            uint64_t frames = 0;
            for (const auto &m : d.mappings)
                frames += m.nr;
            EXPECT_EQ(frames * 4096, 8ull * (4 << 20));
        }
}

TEST(LiveConcurrency, BackingHeldByOneDomainIsRefusedToAnother)
{
    LiveHost host;
    host.driver().start("demo2");
    host.driver().attachDevice("demo", test::devdaxXml("64", "MiB"), kAffectLive);
    const auto snap = test::snapshotHost(host.dir());
    try {
        host.driver().attachDevice("demo2", test::devdaxXml("64", "MiB"), kAffectLive);
        FAIL() << "second domain got the backing";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("NVDIMM backing '/dev/dax0.0' is in use by domain 'demo'"), std::string::npos)
            << e.message();
    }
    EXPECT_EQ(test::diffSnapshots(snap, test::snapshotHost(host.dir())), "");
}
