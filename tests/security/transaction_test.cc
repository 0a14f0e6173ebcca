// Failure injected at every step of labeling and restoring a
// multi-device domain: every file must be exactly as before (owner,
// mode, security.selinux, trusted.libvirt.* and any other xattr).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdio>
#include <cstdlib>

#include "sec_test_util.h"
#include "security/fault_injection.h"
#include "security/mcs_allocator.h"
#include "security/security_manager.h"
#include "security/security_transaction.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::security;
using namespace xlnv::sectest;

namespace {

class FaultInjection : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root: chown, trusted.* xattrs and mknod";
        // A file that already carries a label and an unrelated xattr, a
        // devdax-like character node and an fsdax-like block node.
        paths_ = {
            makeFile(dir_.file("guest.img"), 1234, 5678, 0640),
            makeNode(dir_.file("dax0.0"), S_IFCHR, makedev(1, 3), 0, 6, 0600),
            makeNode(dir_.file("pmem0"), S_IFBLK, loopDeviceRdev(), 0, 6, 0660),
        };
        setRawXattr(paths_[0], "security.selinux",
                    std::string("system_u:object_r:tmp_t:s0\0", 27));
        setRawXattr(paths_[0], "user.note", "unrelated");
        doc_ = parseXml(domainXml("faulty", "<seclabel type='static' model='dac' relabel='yes'>"
                                  "<label>+107:+108</label></seclabel>", paths_));
    }

    void TearDown() override { setFaultAt(0); }

    std::vector<Snapshot> snapshots() const
    {
        std::vector<Snapshot> out;
        for (const auto &p : paths_)
            out.push_back(snapshot(p));
        return out;
    }

    SecurityManager manager() const
    {
        return SecurityManager(testOptions(dir_.file("state"), true));
    }

    bool mcsHeld(const SecurityManager &mgr) const
    {
        return McsAllocator(mgr.mcsStateFile(), 1023).allocations().count(dom_.key()) != 0;
    }

    TempDir dir_;
    std::vector<std::string> paths_;
    XmlDoc doc_;
    DomainRef dom_{"faulty", "", 4};
};

} // namespace

TEST_F(FaultInjection, FailureAtEveryLabelStepLeavesEveryFileAsItWas)
{
    auto mgr = manager();
    const auto pristine = snapshots();

    // Count the steps of a clean run, then undo it.
    setFaultAt(0);
    mgr.labelDomain(dom_, doc_.get());
    const unsigned steps = faultPointsPassed();
    mgr.restoreDomain(dom_, doc_.get());
    ASSERT_EQ(snapshots(), pristine);
    ASSERT_GT(steps, 10u);
    std::printf("[ INFO     ] labelDomain of 3 backings (DAC + SELinux): %u injection points\n", steps);

    for (unsigned n = 1; n <= steps; n++) {
        setFaultAt(n);
        try {
            mgr.labelDomain(dom_, doc_.get());
            ADD_FAILURE() << "step " << n << " did not fail";
        } catch (const Error &e) {
            EXPECT_NE(e.message().find("injected fault"), std::string::npos) << e.message();
        }
        EXPECT_EQ(snapshots(), pristine) << "after a failure at step " << n << " ("
                                         << lastFaultPoint() << ")";
        EXPECT_FALSE(mcsHeld(mgr)) << "MCS pair kept after a failure at step " << n;
    }
    // Still usable afterwards.
    setFaultAt(0);
    mgr.labelDomain(dom_, doc_.get());
    EXPECT_EQ(snapshot(paths_[1]).uid, 107u);
    mgr.restoreDomain(dom_, doc_.get());
    EXPECT_EQ(snapshots(), pristine);
}

TEST_F(FaultInjection, FailureAtEveryRestoreStepLeavesTheLabelsInPlace)
{
    auto mgr = manager();
    const auto pristine = snapshots();
    mgr.labelDomain(dom_, doc_.get());

    setFaultAt(0);
    mgr.restoreDomain(dom_, doc_.get());
    const unsigned steps = faultPointsPassed();
    ASSERT_EQ(snapshots(), pristine);
    ASSERT_GT(steps, 5u);
    std::printf("[ INFO     ] restoreDomain of 3 backings (DAC + SELinux): %u injection points\n", steps);
    mgr.labelDomain(dom_, doc_.get());

    const auto relabeled = snapshots();
    for (unsigned n = 1; n <= steps; n++) {
        setFaultAt(n);
        EXPECT_THROW(mgr.restoreDomain(dom_, doc_.get()), Error) << "step " << n;
        EXPECT_EQ(snapshots(), relabeled) << "after a failure at restore step " << n << " ("
                                          << lastFaultPoint() << ")";
        EXPECT_TRUE(mcsHeld(mgr)) << "MCS pair freed by a failed restore, step " << n;
    }
    setFaultAt(0);
    mgr.restoreDomain(dom_, doc_.get());
    EXPECT_EQ(snapshots(), pristine);
}

TEST_F(FaultInjection, EnvironmentSwitchArmsAStep)
{
    auto mgr = manager();
    const auto pristine = snapshots();
    setenv("LIBXL_NVDIMM_FAULT", "security:3", 1);
    armFaultFromEnvironment();
    unsetenv("LIBXL_NVDIMM_FAULT");
    try {
        mgr.labelDomain(dom_, doc_.get());
        FAIL() << "LIBXL_NVDIMM_FAULT=security:3 did not fail";
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("injected fault at security step 3"), std::string::npos)
            << e.message();
    }
    EXPECT_EQ(snapshots(), pristine);
}

TEST_F(FaultInjection, RefusedSecondBackingRollsBackTheFirst)
{
    auto mgr = manager();
    // Backing 2 is in use by another domain with another owner.
    XmlDoc other = parseXml(domainXml("other", "<seclabel type='static' model='dac' relabel='yes'>"
                                      "<label>+300:+300</label></seclabel>"
                                      "<seclabel type='none' model='selinux'/>", {paths_[1]}));
    DomainRef otherDom{"other", "", 9};
    mgr.labelDomain(otherDom, other.get());
    const auto before = snapshots();
    try {
        mgr.labelDomain(dom_, doc_.get());
        FAIL() << "labeled a backing in use by another owner";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find(paths_[1]), std::string::npos) << e.message();
    }
    EXPECT_EQ(snapshots(), before);
    EXPECT_FALSE(mcsHeld(mgr));
    mgr.restoreDomain(otherDom, other.get());
}

TEST_F(FaultInjection, UncommittedTransactionRestoresOnDestruction)
{
    const auto pristine = snapshots();
    {
        SecurityTransaction tx;
        tx.lockBackings(paths_);
        for (const auto &p : paths_) {
            auto *b = tx.find(p);
            ASSERT_NE(b, nullptr);
            ASSERT_EQ(fchown(b->fd(), 4242, 4242), 0);
        }
        bool undone = false;
        tx.onRollback([&] { undone = true; });
        EXPECT_EQ(snapshot(paths_[0]).uid, 4242u);
        tx.rollback();
        EXPECT_TRUE(undone);
    }
    EXPECT_EQ(snapshots(), pristine);
}
