#include <gtest/gtest.h>

#include <fstream>

#include "sec_test_util.h"
#include "security/dm_identity.h"
#include "security/seclabel_def.h"
#include "security/security_manager.h"
#include "util/error.h"

using namespace xlnv;
using namespace xlnv::security;
using namespace xlnv::sectest;

namespace {

std::vector<SeclabelDef> parse(const std::string &seclabels)
{
    XmlDoc doc = parseXml(domainXml("d", seclabels, {}));
    return parseDomainSeclabels(doc.get());
}

std::string parseError(const std::string &seclabels)
{
    try {
        parse(seclabels);
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::XmlError);
        return e.message();
    }
    return "(accepted)";
}

// A passwd/group pair read by glibc's own parsers.
class UserFiles {
public:
    explicit UserFiles(const std::string &passwdLines, const std::string &groupLines = "")
    {
        std::ofstream(dir_.file("passwd")) << "root:x:0:0:root:/root:/bin/sh\n" << passwdLines;
        std::ofstream(dir_.file("group")) << "root:x:0:\n" << groupLines;
        db_ = passwdFileUserDb(dir_.file("passwd"), dir_.file("group"));
    }
    const UserDb &db() const { return *db_; }
    std::shared_ptr<const UserDb> shared() const { return db_; }

private:
    TempDir dir_;
    std::shared_ptr<UserDb> db_;
};

} // namespace

TEST(Seclabel, ParsesStaticDacLabel)
{
    auto labels = parse("<seclabel type='static' model='dac' relabel='yes'>"
                        "<label>+107:+108</label></seclabel>");
    ASSERT_EQ(labels.size(), 1u);
    EXPECT_EQ(labels[0].model, "dac");
    EXPECT_EQ(labels[0].type, SeclabelType::Static);
    EXPECT_TRUE(labels[0].relabel);
    EXPECT_EQ(labels[0].label, "+107:+108");
}

TEST(Seclabel, StaticDefaultsToNoRelabelAndDynamicToRelabel)
{
    auto labels = parse("<seclabel type='static' model='selinux'><label>a:b:c:s0</label></seclabel>"
                        "<seclabel type='dynamic' model='dac'/>");
    ASSERT_EQ(labels.size(), 2u);
    EXPECT_FALSE(labels[0].relabel);
    EXPECT_TRUE(labels[1].relabel);
}

TEST(Seclabel, RejectsDynamicWithoutRelabel)
{
    EXPECT_NE(parseError("<seclabel type='dynamic' model='selinux' relabel='no'/>")
                  .find("dynamic label type must use resource relabeling"), std::string::npos);
}

TEST(Seclabel, RejectsNoneWithRelabel)
{
    EXPECT_NE(parseError("<seclabel type='none' model='dac' relabel='yes'/>")
                  .find("not compatible with 'none'"), std::string::npos);
}

TEST(Seclabel, RejectsStaticWithoutLabel)
{
    EXPECT_NE(parseError("<seclabel type='static' model='dac' relabel='yes'/>")
                  .find("security label is missing"), std::string::npos);
}

TEST(Seclabel, RejectsUnknownTypeAndRelabelValues)
{
    EXPECT_NE(parseError("<seclabel type='sometimes' model='dac'/>")
                  .find("invalid security type 'sometimes'"), std::string::npos);
    EXPECT_NE(parseError("<seclabel type='dynamic' model='dac' relabel='maybe'/>")
                  .find("invalid security relabel value 'maybe'"), std::string::npos);
    EXPECT_NE(parseError("<seclabel type='dynamic' model='apparmor'/>")
                  .find("unsupported security model 'apparmor'"), std::string::npos);
}

TEST(Seclabel, MultipleLabelsNeedDistinctModels)
{
    EXPECT_NE(parseError("<seclabel type='dynamic'/><seclabel type='dynamic' model='dac'/>")
                  .find("missing security model"), std::string::npos);
    EXPECT_NE(parseError("<seclabel type='dynamic' model='dac'/><seclabel type='dynamic' model='dac'/>")
                  .find("already defined"), std::string::npos);
}

TEST(Seclabel, ModelLessLabelBelongsToThePrimaryDriver)
{
    auto labels = parse("<seclabel type='none'/>");
    EXPECT_EQ(findSeclabel(labels, "dac", "dac"), &labels[0]);
    EXPECT_EQ(findSeclabel(labels, "selinux", "dac"), nullptr);
}

TEST(Seclabel, PerDeviceRelabelNoCoversItsModelOnly)
{
    XmlDoc doc = parseXml(domainXml("d", "", {"/a", "/b", "/c"},
                                    {"<seclabel model='dac' relabel='no'/>",
                                     "<seclabel relabel='no'/>", ""}));
    auto backings = parseNvdimmBackings(doc.get());
    ASSERT_EQ(backings.size(), 3u);
    EXPECT_EQ(backings[0].path, "/a");
    EXPECT_FALSE(backings[0].relabel("dac"));
    EXPECT_TRUE(backings[0].relabel("selinux"));
    EXPECT_FALSE(backings[1].relabel("dac"));
    EXPECT_FALSE(backings[1].relabel("selinux"));
    EXPECT_TRUE(backings[2].relabel("dac"));
}

TEST(Seclabel, PerDeviceLabelOverrideIsRefused)
{
    XmlDoc doc = parseXml(domainXml("d", "", {"/a"},
                                    {"<seclabel model='dac'><label>+1:+1</label></seclabel>"}));
    EXPECT_THROW(parseNvdimmBackings(doc.get()), Error);
}

TEST(Seclabel, RejectsNonDomainDocument)
{
    XmlDoc doc = parseXml("<network/>");
    EXPECT_THROW(parseDomainSeclabels(doc.get()), Error);
}

TEST(DmIdentity, ExplicitDeviceModelUserWins)
{
    UserFiles users("qemu:x:107:108::/:/bin/false\n");
    DmUserSettings s{"qemu", true};
    DmIdentity id = resolveDmIdentity(s, 5, users.db());
    EXPECT_EQ(id.uid, 107u);
    EXPECT_EQ(id.gid, 108u);
    EXPECT_EQ(id.source, "device_model_user");
    DmIdentity numeric = resolveDmIdentity(DmUserSettings{"+4242", true}, 5, users.db());
    EXPECT_EQ(numeric.uid, 4242u);
}

TEST(DmIdentity, RootWhenDmRestrictIsOff)
{
    UserFiles users("xen-qemuuser-range-base:x:200000:200000::/:/bin/false\n");
    DmIdentity id = resolveDmIdentity(DmUserSettings{"", false}, 3, users.db());
    EXPECT_EQ(id.uid, 0u);
    EXPECT_EQ(id.gid, 0u);
    EXPECT_EQ(id.source, "root");
}

TEST(DmIdentity, RangeBasePlusDomid)
{
    UserFiles users("xen-qemuuser-range-base:x:200000:190000::/:/bin/false\n"
                    "xen-qemuuser-shared:x:300:300::/:/bin/false\n");
    DmIdentity id = resolveDmIdentity(DmUserSettings{"", true}, 7, users.db());
    EXPECT_EQ(id.uid, 200007u);
    EXPECT_EQ(id.gid, 190000u);
    EXPECT_EQ(id.source, "range-base");
}

TEST(DmIdentity, SharedUserWithoutRangeBase)
{
    UserFiles users("xen-qemuuser-shared:x:300:301::/:/bin/false\n");
    DmIdentity id = resolveDmIdentity(DmUserSettings{"", true}, 7, users.db());
    EXPECT_EQ(id.uid, 300u);
    EXPECT_EQ(id.gid, 301u);
    EXPECT_EQ(id.source, "shared");
}

TEST(DmIdentity, RefusedWhenNoUserCanBeFound)
{
    UserFiles users("");
    try {
        resolveDmIdentity(DmUserSettings{"", true}, 7, users.db());
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.code(), ErrorCode::ConfigUnsupported);
        EXPECT_NE(e.message().find("xen-qemuuser-range-base"), std::string::npos);
        EXPECT_NE(e.message().find("xen-qemuuser-shared"), std::string::npos);
    }
}

TEST(DmIdentity, RootRefusedUnderDmRestrict)
{
    UserFiles users("");
    EXPECT_THROW(resolveDmIdentity(DmUserSettings{"root", true}, 7, users.db()), Error);
    UserFiles sharedRoot("xen-qemuuser-shared:x:0:0::/:/bin/false\n");
    EXPECT_THROW(resolveDmIdentity(DmUserSettings{"", true}, 7, sharedRoot.db()), Error);
    // Without dm_restrict root is what libxl uses anyway.
    EXPECT_EQ(resolveDmIdentity(DmUserSettings{"root", false}, 7, users.db()).uid, 0u);
}

TEST(DmIdentity, RangeBaseRefusesDom0AndReservedDomids)
{
    UserFiles users("xen-qemuuser-range-base:x:200000:200000::/:/bin/false\n");
    EXPECT_THROW(resolveDmIdentity(DmUserSettings{"", true}, 0, users.db()), Error);
    EXPECT_THROW(resolveDmIdentity(DmUserSettings{"", true}, 0x7FF0, users.db()), Error);
}

TEST(DmIdentity, UnknownDeviceModelUserIsNamed)
{
    UserFiles users("");
    try {
        resolveDmIdentity(DmUserSettings{"nobody-here", false}, 1, users.db());
        FAIL();
    } catch (const Error &e) {
        EXPECT_NE(e.message().find("'nobody-here'"), std::string::npos);
    }
}

TEST(DmIdentity, SystemUserDbFindsRoot)
{
    auto db = systemUserDb();
    auto root = db->userByName("root");
    ASSERT_TRUE(root.has_value());
    EXPECT_EQ(root->uid, 0u);
    EXPECT_EQ(db->groupById(0)->name, "root");
}

TEST(DacLabel, ParsesNumericAndNamedForms)
{
    UserFiles users("qemu:x:107:108::/:/bin/false\n", "kvm:x:109:\n");
    DmIdentity a = parseDacLabel("+107:+108", users.db());
    EXPECT_EQ(a.uid, 107u);
    EXPECT_EQ(a.gid, 108u);
    DmIdentity b = parseDacLabel("qemu:kvm", users.db());
    EXPECT_EQ(b.uid, 107u);
    EXPECT_EQ(b.gid, 109u);
    DmIdentity c = parseDacLabel("501:502", users.db());
    EXPECT_EQ(c.uid, 501u);
    EXPECT_EQ(c.gid, 502u);
}

TEST(DacLabel, RejectsMalformedLabels)
{
    UserFiles users("");
    for (const char *bad : {"107", "+107:+x", "ghost:root", "root:ghost", "+1:+2:+3", "+:+1"})
        EXPECT_THROW(parseDacLabel(bad, users.db()), Error) << bad;
}

TEST(DacOwner, FormatsLikeLibvirtAndRoundTrips)
{
    EXPECT_EQ(formatDacOwner(107, 36), "+107:+36");
    uid_t u = 1;
    gid_t g = 1;
    ASSERT_TRUE(parseDacOwner("+0:+0", u, g));
    EXPECT_EQ(u, 0u);
    EXPECT_EQ(g, 0u);
    EXPECT_FALSE(parseDacOwner("107:107", u, g));
    EXPECT_FALSE(parseDacOwner("+107", u, g));
    EXPECT_FALSE(parseDacOwner("+107:+", u, g));
}

TEST(SecurityPlan, DacSeclabelOverridesTheConfiguredIdentity)
{
    UserFiles users("qemu:x:107:108::/:/bin/false\n");
    SecurityOptions o = testOptions("/tmp", false);
    o.dm.device_model_user = "qemu";
    SecurityManager mgr(o, users.shared());
    DomainRef dom{"d", "", 3};
    SecurityPlan fromConfig = mgr.plan(dom, {});
    EXPECT_TRUE(fromConfig.dac);
    auto labels = parse("<seclabel type='static' model='dac' relabel='yes'><label>+900:+901</label></seclabel>");
    SecurityPlan fromXml = mgr.plan(dom, labels);
    EXPECT_EQ(fromXml.uid, 900u);
    EXPECT_EQ(fromXml.gid, 901u);
    EXPECT_EQ(fromXml.dac_source, "seclabel");
    SecurityPlan off = mgr.plan(dom, parse("<seclabel type='none' model='dac'/>"));
    EXPECT_FALSE(off.dac);
    SecurityPlan noRelabel = mgr.plan(dom, parse("<seclabel type='static' model='dac' relabel='no'>"
                                                 "<label>+1:+1</label></seclabel>"));
    EXPECT_FALSE(noRelabel.dac);
}

TEST(SecurityPlan, StaticSelinuxImageLabelIsDerivedFromTheProcessLabel)
{
    SecurityManager mgr(testOptions("/tmp", true));
    DomainRef dom{"d", "", 3};
    auto derived = mgr.plan(dom, parse("<seclabel type='static' model='selinux' relabel='yes'>"
                                       "<label>system_u:system_r:svirt_t:s0:c10,c20</label></seclabel>"));
    EXPECT_TRUE(derived.selinux);
    EXPECT_FALSE(derived.selinux_dynamic);
    EXPECT_EQ(derived.image_label, "system_u:object_r:svirt_image_t:s0:c10,c20");
    auto given = mgr.plan(dom, parse("<seclabel type='static' model='selinux' relabel='yes'>"
                                     "<label>system_u:system_r:svirt_t:s0:c1,c2</label>"
                                     "<imagelabel>system_u:object_r:svirt_image_t:s0:c3,c4</imagelabel>"
                                     "</seclabel>"));
    EXPECT_EQ(given.image_label, "system_u:object_r:svirt_image_t:s0:c3,c4");
    auto dynamic = mgr.plan(dom, {});
    EXPECT_TRUE(dynamic.selinux_dynamic);
    EXPECT_EQ(mgr.dynamicImageLabel("c5,c600"), "system_u:object_r:svirt_image_t:s0:c5,c600");
}
