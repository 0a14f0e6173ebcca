// DAC and SELinux labeling on real files, device nodes and filesystems,
// through the security manager, with libvirt's xattr records checked
// byte for byte.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "sec_test_util.h"
#include "security/dac_driver.h"
#include "security/fault_injection.h"
#include "security/host_boot_time.h"
#include "security/mcs_allocator.h"
#include "security/security_manager.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::security;
using namespace xlnv::sectest;

namespace {

const std::string kDac = "trusted.libvirt.security.dac";
const std::string kRefDac = "trusted.libvirt.security.ref_dac";
const std::string kStampDac = "trusted.libvirt.security.timestamp_dac";
const std::string kSe = "trusted.libvirt.security.selinux";
const std::string kRefSe = "trusted.libvirt.security.ref_selinux";
const std::string kStampSe = "trusted.libvirt.security.timestamp_selinux";

std::string dacSeclabel(unsigned uid, unsigned gid)
{
    return "<seclabel type='static' model='dac' relabel='yes'><label>+" + std::to_string(uid) +
           ":+" + std::to_string(gid) + "</label></seclabel>";
}

class Labeling : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (geteuid() != 0)
            GTEST_SKIP() << "needs root: chown, trusted.* xattrs, mknod and mount";
    }

    SecurityManager manager(bool selinux = false, bool remember = true)
    {
        SecurityOptions o = testOptions(dir_.file("state"), selinux);
        o.remember_owner = remember;
        return SecurityManager(o);
    }

    void label(const SecurityManager &mgr, const std::string &name, const std::string &seclabels,
               const std::vector<std::string> &paths, unsigned domid = 1)
    {
        XmlDoc doc = parseXml(domainXml(name, seclabels, paths));
        mgr.labelDomain(DomainRef{name, "", domid}, doc.get());
    }

    void restore(const SecurityManager &mgr, const std::string &name,
                 const std::string &seclabels, const std::vector<std::string> &paths,
                 unsigned domid = 1)
    {
        XmlDoc doc = parseXml(domainXml(name, seclabels, paths));
        mgr.restoreDomain(DomainRef{name, "", domid}, doc.get());
    }

    TempDir dir_;
};

} // namespace

TEST_F(Labeling, RegularFileRoundTripRecordsLibvirtXattrsByteForByte)
{
    std::string path = makeFile(dir_.file("guest.img"), 1234, 5678, 0640);
    setRawXattr(path, "user.unrelated", "keep me");
    Snapshot before = snapshot(path);
    auto mgr = manager();

    label(mgr, "d1", dacSeclabel(107, 108), {path});
    struct stat st = {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 107u);
    EXPECT_EQ(st.st_gid, 108u);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    // Exactly libvirt's bytes: no trailing NUL, decimal numbers.
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>(std::string("+1234:+5678", 11)));
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>(std::string("1", 1)));
    auto stamp = rawXattr(path, kStampDac);
    ASSERT_TRUE(stamp.has_value());
    EXPECT_EQ(*stamp, hostBootTimeString());
    EXPECT_EQ(stamp->find('\0'), std::string::npos);
    EXPECT_EQ(stamp->find_first_not_of("0123456789"), std::string::npos);
    EXPECT_EQ(rawXattr(path, "user.unrelated"), std::optional<std::string>("keep me"));

    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, HostBootTimeMatchesTheKernelsBootTime)
{
    // libvirt falls back to now - /proc/uptime; /proc/stat btime is the
    // kernel's own figure for the same instant.
    std::ifstream stat("/proc/stat");
    std::string key;
    unsigned long long btime = 0, value = 0;
    while (stat >> key) {
        if (key == "btime") {
            stat >> btime;
            break;
        }
        std::getline(stat, key);
    }
    ASSERT_GT(btime, 0u);
    value = hostBootTime();
    EXPECT_LE(value > btime ? value - btime : btime - value, 2u) << value << " vs " << btime;
    EXPECT_TRUE(isCurrentBoot(hostBootTimeString()));
    EXPECT_FALSE(isCurrentBoot("12345"));
    EXPECT_FALSE(isCurrentBoot("not-a-number"));
}

TEST_F(Labeling, CharacterDeviceNodeRoundTrip)
{
    std::string path = makeNode(dir_.file("dax0.0"), S_IFCHR, makedev(1, 3), 0, 6, 0660);
    Snapshot before = snapshot(path);
    auto mgr = manager();
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path).uid, 107u);
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>("+0:+6"));
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, BlockDeviceNodeRoundTrip)
{
    std::string path = makeNode(dir_.file("pmem0"), S_IFBLK, loopDeviceRdev(), 0, 6, 0660);
    Snapshot before = snapshot(path);
    auto mgr = manager();
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path).gid, 108u);
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("1"));
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path), before);
}

// Issue 15: a set-id backing would become set-id for the device model's
// user (or, restored, for root): refused, nothing changed.
TEST_F(Labeling, SetIdBackingsAreRefusedUntouched)
{
    for (mode_t mode : {02770, 04755, 06755}) {
        std::string path = makeFile(dir_.file("f" + std::to_string(mode)), 1000, 1000, mode);
        Snapshot before = snapshot(path);
        auto mgr = manager();
        EXPECT_THROW(label(mgr, "d1", dacSeclabel(107, 108), {path}), Error) << std::oct << mode;
        EXPECT_EQ(snapshot(path), before);
    }
}

// Set-group-ID without group execute (a mandatory-locking mark) is not a
// privilege: labeled; chown clears it and it stays cleared, also on restore.
TEST_F(Labeling, ChownClearedSetGidMarkIsNeverPutBack)
{
    std::string path = makeFile(dir_.file("f"), 1000, 1000, 02660);
    auto mgr = manager();
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path).mode & 07000, 0u);
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path).uid, 1000u);
    EXPECT_EQ(snapshot(path).mode & 07777, 0660u);
}

TEST_F(Labeling, TwoDomainsWithTheSameOwnerShareTheBacking)
{
    std::string path = makeFile(dir_.file("shared.img"), 1234, 5678, 0600);
    Snapshot before = snapshot(path);
    auto mgr = manager();
    label(mgr, "a", dacSeclabel(107, 108), {path}, 1);
    label(mgr, "b", dacSeclabel(107, 108), {path}, 2);
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("2"));
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>("+1234:+5678"));

    restore(mgr, "a", dacSeclabel(107, 108), {path}, 1);
    Snapshot mid = snapshot(path);
    EXPECT_EQ(mid.uid, 107u) << "restored while domain b still uses it";
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("1"));

    restore(mgr, "b", dacSeclabel(107, 108), {path}, 2);
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, SecondDomainWithADifferentOwnerIsRefusedAndNothingChanges)
{
    std::string path = makeFile(dir_.file("shared.img"), 1234, 5678, 0600);
    auto mgr = manager();
    label(mgr, "a", dacSeclabel(107, 108), {path}, 1);
    Snapshot labeled = snapshot(path);
    try {
        label(mgr, "b", dacSeclabel(200, 201), {path}, 2);
        FAIL() << "a second owner was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find(path), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("+200:+201"), std::string::npos) << e.message();
        EXPECT_NE(e.message().find("+107:+108"), std::string::npos) << e.message();
    }
    EXPECT_EQ(snapshot(path), labeled);
}

TEST_F(Labeling, StaleRecordFromAnEarlierBootIsDropped)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    // Left behind by a host that crashed with a guest running.
    setRawXattr(path, kDac, "+5:+5");
    setRawXattr(path, kRefDac, "3");
    setRawXattr(path, kStampDac, "1000000000");
    auto mgr = manager();
    {
        WarningCapture warnings;
        label(mgr, "d1", dacSeclabel(107, 108), {path});
        EXPECT_TRUE(warnings.contains("stale")) << "no warning about the stale record";
    }
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("1"));
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>("+1234:+5678"));
    EXPECT_EQ(rawXattr(path, kStampDac), std::optional<std::string>(hostBootTimeString()));
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    Snapshot after = snapshot(path);
    EXPECT_EQ(after.uid, 1234u);
    EXPECT_EQ(after.gid, 5678u);
    EXPECT_EQ(after.xattrs.count(kRefDac), 0u);
    EXPECT_EQ(after.xattrs.count(kDac), 0u);
    EXPECT_EQ(after.xattrs.count(kStampDac), 0u);
}

TEST_F(Labeling, RecordWithoutTimestampCountsAsStale)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    setRawXattr(path, kDac, "+5:+5");
    setRawXattr(path, kRefDac, "1");
    auto mgr = manager();
    WarningCapture warnings;
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>("+1234:+5678"));
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("1"));
}

// A labeling killed between writing the remembered label and its
// refcount (or a restore killed between removing the refcount and the
// rest) leaves a record without a refcount. The next run of the security
// layer alone removes it: a restore ends with no trace, a labeling starts
// from a clean record.
TEST_F(Labeling, IncompleteRecordOfAnInterruptedRunIsRemovedOnRestore)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    setRawXattr(path, "user.note", "unrelated");
    const Snapshot pristine = snapshot(path);
    setRawXattr(path, kDac, "+1234:+5678");
    setRawXattr(path, kStampDac, hostBootTimeString());
    auto mgr = manager();
    {
        WarningCapture warnings;
        restore(mgr, "d1", dacSeclabel(107, 108), {path});
        EXPECT_TRUE(warnings.contains("incomplete")) << "no warning about the incomplete record";
    }
    EXPECT_EQ(snapshot(path), pristine);
}

TEST_F(Labeling, IncompleteRecordIsReplacedByTheNextLabeling)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    const Snapshot pristine = snapshot(path);
    setRawXattr(path, kStampDac, hostBootTimeString());   // only the timestamp made it
    auto mgr = manager();
    {
        WarningCapture warnings;
        label(mgr, "d1", dacSeclabel(107, 108), {path});
        EXPECT_TRUE(warnings.contains("incomplete"));
    }
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>("1"));
    EXPECT_EQ(rawXattr(path, kDac), std::optional<std::string>("+1234:+5678"));
    EXPECT_EQ(snapshot(path).uid, 107u);
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path), pristine);
}

// The DAC driver alone, stopped at every step of a restore (what a kill
// leaves, without the transaction's rollback): the original owner is
// never forgotten. Either the record is still complete, or the owner is
// back already; the next restore then ends with the file as it was.
TEST_F(Labeling, RestoreStoppedAtAnyStepNeverForgetsTheOriginalOwner)
{
    const std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    const Snapshot pristine = snapshot(path);
    const DacDriver dac(true);
    auto withFd = [&](auto fn) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        fn(fd);
        ::close(fd);
    };
    setFaultAt(0);
    withFd([&](int fd) { dac.label(fd, path, 107, 108); });
    setFaultAt(0);   // count the restore's steps only
    withFd([&](int fd) { dac.restore(fd, path); });
    const unsigned steps = faultPointsPassed();
    ASSERT_EQ(snapshot(path), pristine);
    ASSERT_GT(steps, 0u);
    for (unsigned n = 1; n <= steps; n++) {
        setFaultAt(0);
        withFd([&](int fd) { dac.label(fd, path, 107, 108); });
        setFaultAt(n);
        withFd([&](int fd) { EXPECT_THROW(dac.restore(fd, path), Error) << "step " << n; });
        const std::string point = lastFaultPoint();
        setFaultAt(0);
        const Snapshot stopped = snapshot(path);
        const bool record = stopped.xattrs.count(kRefDac) != 0;
        EXPECT_TRUE(record || (stopped.uid == 1234u && stopped.gid == 5678u))
            << "stopped at " << point << ": no record and owner " << stopped.uid;
        withFd([&](int fd) { dac.restore(fd, path); });
        EXPECT_EQ(snapshot(path), pristine) << "after a restore stopped at " << point;
    }
}

TEST_F(Labeling, MalformedRefcountIsAnErrorAndChangesNothing)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    setRawXattr(path, kDac, "+5:+5");
    setRawXattr(path, kRefDac, "two");
    setRawXattr(path, kStampDac, hostBootTimeString());
    Snapshot before = snapshot(path);
    auto mgr = manager();
    try {
        label(mgr, "d1", dacSeclabel(107, 108), {path});
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("malformed refcount 'two'"), std::string::npos) << e.message();
    }
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, FilesystemWithoutXattrsWarnsAndRestoresRoot)
{
    std::string why;
    std::string mnt = dir_.mount("ramfs", why);
    if (mnt.empty())
        GTEST_SKIP() << "no xattr-less filesystem mountable here: " << why;
    std::string path = makeFile(mnt + "/guest.img", 1234, 5678, 0600);
    auto mgr = manager();
    {
        WarningCapture warnings;
        label(mgr, "d1", dacSeclabel(107, 108), {path});
        EXPECT_TRUE(warnings.contains("does not support extended attributes"));
        EXPECT_TRUE(warnings.contains("root:root"));
    }
    EXPECT_EQ(snapshot(path).uid, 107u);
    {
        WarningCapture warnings;
        restore(mgr, "d1", dacSeclabel(107, 108), {path});
        EXPECT_TRUE(warnings.contains("restoring root:root"));
    }
    Snapshot after = snapshot(path);
    EXPECT_EQ(after.uid, 0u);
    EXPECT_EQ(after.gid, 0u);
    EXPECT_EQ(after.mode & 07777, 0600u);
}

TEST_F(Labeling, RememberOwnerOffLeavesNoRecordsAndRestoresRoot)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    auto mgr = manager(false, false);
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_TRUE(snapshot(path).xattrs.empty());
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path).uid, 0u);
}

TEST_F(Labeling, PerDeviceRelabelNoLeavesThatBackingAlone)
{
    std::string a = makeFile(dir_.file("a"), 1234, 5678, 0600);
    std::string b = makeFile(dir_.file("b"), 1234, 5678, 0600);
    Snapshot beforeB = snapshot(b);
    auto mgr = manager();
    XmlDoc doc = parseXml(domainXml("d1", dacSeclabel(107, 108), {a, b},
                                    {"", "<seclabel model='dac' relabel='no'/>"}));
    mgr.labelDomain(DomainRef{"d1", "", 1}, doc.get());
    EXPECT_EQ(snapshot(a).uid, 107u);
    EXPECT_EQ(snapshot(b), beforeB);
    mgr.restoreDomain(DomainRef{"d1", "", 1}, doc.get());
    EXPECT_EQ(snapshot(a).uid, 1234u);
}

TEST_F(Labeling, ConcurrentLabelersSerializeOnTheFileLock)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    Snapshot before = snapshot(path);
    auto mgr = manager();
    const int n = 8;
    std::atomic<int> failures{0};
    auto run = [&](bool labelIt) {
        std::vector<std::thread> threads;
        for (int i = 0; i < n; i++)
            threads.emplace_back([&, i] {
                try {
                    XmlDoc doc = parseXml(domainXml("t" + std::to_string(i), dacSeclabel(107, 108), {path}));
                    DomainRef dom{"t" + std::to_string(i), "", static_cast<unsigned>(i + 1)};
                    if (labelIt)
                        mgr.labelDomain(dom, doc.get());
                    else
                        mgr.restoreDomain(dom, doc.get());
                } catch (...) {
                    failures++;
                }
            });
        for (auto &t : threads)
            t.join();
    };
    run(true);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(rawXattr(path, kRefDac), std::optional<std::string>(std::to_string(n)));
    run(false);
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, MissingBackingIsNamedAndNothingIsTouched)
{
    std::string a = makeFile(dir_.file("a"), 1234, 5678, 0600);
    Snapshot before = snapshot(a);
    auto mgr = manager();
    try {
        label(mgr, "d1", dacSeclabel(107, 108), {a, dir_.file("missing")});
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(e.message().find(dir_.file("missing")), std::string::npos) << e.message();
    }
    EXPECT_EQ(snapshot(a), before);
}

// --- SELinux, driver forced on (SELinux is disabled on this host) ---

TEST_F(Labeling, SelinuxForcedOnWritesAndRestoresSecurityXattrOnExt4)
{
    std::string path = makeFile(dir_.file("f"), 1234, 5678, 0600);
    // As libselinux writes it: the context and its NUL.
    setRawXattr(path, "security.selinux", std::string("system_u:object_r:tmp_t:s0\0", 27));
    Snapshot before = snapshot(path);
    auto mgr = manager(true);
    const std::string seclabels = dacSeclabel(107, 108) +
        "<seclabel type='static' model='selinux' relabel='yes'>"
        "<label>system_u:system_r:svirt_t:s0:c1,c2</label></seclabel>";
    label(mgr, "d1", seclabels, {path});
    EXPECT_EQ(rawXattr(path, "security.selinux"),
              std::optional<std::string>(std::string("system_u:object_r:svirt_image_t:s0:c1,c2\0", 41)));
    EXPECT_EQ(rawXattr(path, kSe), std::optional<std::string>("system_u:object_r:tmp_t:s0"));
    EXPECT_EQ(rawXattr(path, kRefSe), std::optional<std::string>("1"));
    EXPECT_EQ(rawXattr(path, kStampSe), std::optional<std::string>(hostBootTimeString()));
    restore(mgr, "d1", seclabels, {path});
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, SelinuxForcedOnRoundTripOnTmpfs)
{
    std::string why;
    std::string mnt = dir_.mount("tmpfs", why);
    if (mnt.empty())
        GTEST_SKIP() << why;
    std::string path = makeFile(mnt + "/f", 1234, 5678, 0600);
    Snapshot before = snapshot(path);
    ASSERT_EQ(before.xattrs.count("security.selinux"), 0u);
    auto mgr = manager(true);
    label(mgr, "d1", dacSeclabel(107, 108), {path});
    auto con = rawXattr(path, "security.selinux");
    ASSERT_TRUE(con.has_value()) << "tmpfs did not store security.selinux";
    EXPECT_EQ(con->rfind("system_u:object_r:svirt_image_t:s0:c", 0), 0u) << *con;
    EXPECT_EQ(rawXattr(path, kSe), std::optional<std::string>(""));
    restore(mgr, "d1", dacSeclabel(107, 108), {path});
    EXPECT_EQ(snapshot(path), before);
}

TEST_F(Labeling, DynamicSelinuxLabelsAreUniquePerDomainAndFreedOnRelease)
{
    std::string a = makeFile(dir_.file("a"), 0, 0, 0600);
    std::string b = makeFile(dir_.file("b"), 0, 0, 0600);
    auto mgr = manager(true);
    label(mgr, "one", dacSeclabel(107, 108), {a}, 1);
    label(mgr, "two", dacSeclabel(107, 108), {b}, 2);
    auto la = rawXattr(a, "security.selinux");
    auto lb = rawXattr(b, "security.selinux");
    ASSERT_TRUE(la && lb);
    EXPECT_NE(*la, *lb);
    McsAllocator mcs(mgr.mcsStateFile(), 1023);
    auto table = mcs.allocations();
    ASSERT_EQ(table.size(), 2u);
    EXPECT_EQ(*la, mgr.dynamicImageLabel(table.at("one")) + std::string(1, '\0'));
    restore(mgr, "one", dacSeclabel(107, 108), {a}, 1);
    table = mcs.allocations();
    EXPECT_EQ(table.count("one"), 0u);
    EXPECT_EQ(table.count("two"), 1u);
    restore(mgr, "two", dacSeclabel(107, 108), {b}, 2);
    EXPECT_TRUE(mcs.allocations().empty());
}

TEST_F(Labeling, McsPairsStayUniqueWhenTheSpaceIsNearlyFull)
{
    // c0..c3 has 6 pairs: allocate all, then the 7th must fail.
    McsAllocator mcs(dir_.file("state/mcs.json"), 3);
    std::set<std::string> seen;
    for (int i = 0; i < 6; i++) {
        bool created = false;
        seen.insert(mcs.acquire("d" + std::to_string(i), created));
        EXPECT_TRUE(created);
    }
    EXPECT_EQ(seen.size(), 6u);
    bool created = true;
    std::string d0 = mcs.allocations().at("d0");
    EXPECT_EQ(mcs.acquire("d0", created), d0);
    EXPECT_FALSE(created);
    EXPECT_THROW(mcs.acquire("d6", created), Error);
    EXPECT_TRUE(mcs.release("d3"));
    EXPECT_NO_THROW(mcs.acquire("d6", created));
}

TEST_F(Labeling, DifferentSelinuxLabelOnABackingInUseIsRefused)
{
    std::string path = makeFile(dir_.file("f"), 0, 0, 0600);
    auto mgr = manager(true);
    label(mgr, "one", dacSeclabel(107, 108), {path}, 1);
    Snapshot labeled = snapshot(path);
    try {
        label(mgr, "two", dacSeclabel(107, 108), {path}, 2);
        FAIL() << "two dynamic labels on one backing";
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::OperationInvalid);
        EXPECT_NE(e.message().find("SELinux label"), std::string::npos) << e.message();
    }
    EXPECT_EQ(snapshot(path), labeled);
    McsAllocator mcs(mgr.mcsStateFile(), 1023);
    EXPECT_EQ(mcs.allocations().count("two"), 0u) << "the refused domain kept its MCS pair";
}
