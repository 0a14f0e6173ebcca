// The status file as the journal writes it: nlohmann's own print of it,
// and read back to the same status.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "libxl/domain_status.h"

using namespace xlnv;
using namespace xlnv::libxl;

namespace {

DomainStatus everyField()
{
    DomainStatus s;
    s.name = "demo";
    s.uuid = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0";
    s.state = "running";
    s.domid = 7;
    s.label_domid = 7;
    s.kind = GuestKind::Pvh;
    s.window_base = 0x20000000000ULL;
    s.has_vnuma = true;
    s.acpi_firmware = "/run/x/nvdimm-acpi.bin";
    s.xml = "<domain type='xen'>\n  <name>demo</name>\n</domain>\n";
    s.memory_slots = 4;
    s.hotplug_irq = 11;
    s.fit_page = 0xfed00000ULL;
    s.fit = {0x00, 0x01, 0xfe, 0xff};
    s.fit_known = true;
    s.fit_generation = 6;
    s.occupied.push_back({2, 0x40000000, 0x100000, 0x123, 0x100});
    for (unsigned i = 0; i < 2; i++) {
        DeviceStatus d;
        d.alias = i ? "ua-\"quoted\"" : "nvdimm0";
        d.slot = i;
        d.base = 0x20000000000ULL + i * 0x40000000ULL;
        d.size = 0x40000000ULL;
        if (i)
            d.node = 1;
        d.readonly = i;
        d.path = i ? "/var/lib/pmem/caf\xc3\xa9.img" : "/dev/dax0.0";
        d.host_object = d.path;
        d.ranges.push_back({0x100000, 0x40000, 0x2000000, true});
        d.ranges.push_back({0x140000, 1, 0x2040000, false});
        d.labeled = d.pinned = d.granted = true;
        d.mapped = i;
        d.in_guest = !i;
        d.created_file = i;
        d.host_file = i;
        d.relabel_dac = !i;
        d.relabel_selinux = false;
        d.notified = true;
        if (i)
            d.inode = FileIdentity{65024, 11010588, 1, "1c02a800de3ca254"};
        s.devices.push_back(d);
    }
    PendingOperation p;
    p.op = "attach";
    p.alias = "nvdimm0";
    p.config = true;
    p.may_create = {"/var/lib/pmem/a.img", "/var/lib/pmem/b.img"};
    s.pending = p;
    return s;
}

} // namespace

TEST(DomainStatusText, IsWhatNlohmannPrintsAndReadsBack)
{
    const DomainStatus s = everyField();
    const std::string text = domainStatusText(s);
    const nlohmann::json j = nlohmann::json::parse(text);
    EXPECT_EQ(text, j.dump(1));
    const DomainStatus back = domainStatusFromJson(j, "status.json");
    EXPECT_EQ(back.devices, s.devices);
    EXPECT_EQ(back.occupied.size(), 1u);
    EXPECT_EQ(back.fit, s.fit);
    EXPECT_EQ(back.fit_generation, 6u);
    EXPECT_EQ(back.domid, s.domid);
    EXPECT_EQ(back.xml, s.xml);
    ASSERT_TRUE(back.pending);
    EXPECT_EQ(back.pending->may_create, s.pending->may_create);
    EXPECT_EQ(domainStatusText(back), text);
}

TEST(DomainStatusText, ANoneFieldIsLeftOutOrNull)
{
    DomainStatus s;
    s.name = "demo";
    s.state = "prepared";
    const nlohmann::json j = nlohmann::json::parse(domainStatusText(s));
    EXPECT_FALSE(j.contains("domid"));
    EXPECT_FALSE(j.contains("fit"));
    EXPECT_FALSE(j.contains("xml"));
    EXPECT_TRUE(j.at("pending").is_null());
    EXPECT_TRUE(j.at("devices").empty());
    EXPECT_EQ(domainStatusFromJson(j, "status.json").name, "demo");
}
