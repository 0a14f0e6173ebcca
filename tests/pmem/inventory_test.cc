// The fixture inventory, the inventory factory and the JSON views.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "pmem/inventory.h"

using namespace xlnv;

namespace {

std::string fixturePath()
{
    const char *src = std::getenv("abs_srcdir");
    return std::string(src ? src : ".") + "/pmem/data/pmem-fixture.json";
}

std::string errorOf(const std::string &json)
{
    try {
        makeFixtureInventory(json, "t.json");
    } catch (const Error &e) {
        return e.message();
    }
    return "";
}

} // namespace

TEST(FixtureInventory, ReadsRegionsAndNamespacesWithHexAndDecimalNumbers)
{
    auto inv = loadFixtureInventory(fixturePath());
    auto regions = inv->regions();
    ASSERT_EQ(regions.size(), 2u);
    EXPECT_EQ(regions[0].spa, 0x100000000ull);
    EXPECT_EQ(regions[0].align, 16u << 20);
    auto ns = inv->namespaces();
    ASSERT_EQ(ns.size(), 2u);
    EXPECT_EQ(ns[0].mode, PmemMode::Fsdax);
    EXPECT_EQ(ns[0].spa, 0x101000000ull);
    EXPECT_EQ(ns[0].blockdev, "pmem0");
    EXPECT_EQ(ns[0].mount, "/mnt/pmem0");
    EXPECT_EQ(ns[1].mode, PmemMode::Devdax);
    EXPECT_EQ(ns[1].chardev, "dax1.0");
    EXPECT_EQ(ns[1].numa_node, 1);
}

TEST(FixtureInventory, RejectsAMissingSizeNamingTheEntry)
{
    std::string msg = errorOf(R"({"namespaces":[{"dev":"namespace0.0","mode":"fsdax","spa":1,"blockdev":"pmem0"}]})");
    EXPECT_NE(msg.find("namespaces[0]: field 'size' is missing"), std::string::npos) << msg;
}

TEST(FixtureInventory, RejectsAnUnknownMode)
{
    std::string msg = errorOf(R"({"namespaces":[{"dev":"n","mode":"memory","size":1,"spa":1}]})");
    EXPECT_NE(msg.find("field 'mode' must be one of"), std::string::npos) << msg;
}

TEST(FixtureInventory, RejectsDevdaxWithoutCharDevice)
{
    std::string msg = errorOf(R"({"namespaces":[{"dev":"n","mode":"devdax","size":1,"spa":1}]})");
    EXPECT_NE(msg.find("field 'chardev' is required"), std::string::npos) << msg;
}

TEST(FixtureInventory, RejectsMalformedNumbers)
{
    std::string msg = errorOf(R"({"regions":[{"dev":"r","spa":"0xZZ","size":1}]})");
    EXPECT_NE(msg.find("regions[0]: field 'spa' must be an unsigned number"), std::string::npos) << msg;
}

TEST(FixtureInventory, RejectsTextThatIsNotJson)
{
    EXPECT_NE(errorOf("{nope").find("is not a JSON object"), std::string::npos);
}

TEST(OpenPmemInventory, UsesTheFixtureFromTheEnvironment)
{
    setenv("LIBXL_NVDIMM_PMEM_FIXTURE", fixturePath().c_str(), 1);
    auto inv = openPmemInventory("xen:///system");
    unsetenv("LIBXL_NVDIMM_PMEM_FIXTURE");
    EXPECT_EQ(inv->namespaces().size(), 2u);
}

TEST(OpenPmemInventory, UsesTheProviderRegisteredForTheScheme)
{
    registerPmemInventoryProvider("fixturetest", [](const std::string &uri) {
        EXPECT_EQ(uri, "fixturetest:///x");
        return makeFixtureInventory(R"({"regions":[{"dev":"regionX","spa":0,"size":16}]})");
    });
    auto inv = openPmemInventory("fixturetest:///x");
    ASSERT_EQ(inv->regions().size(), 1u);
    EXPECT_EQ(inv->regions()[0].dev, "regionX");
}

TEST(PmemNamespaceToJson, HasTheFieldsPmemListPromises)
{
    auto inv = loadFixtureInventory(fixturePath());
    auto ns = inv->namespaces();
    nlohmann::json fs = pmemNamespaceToJson(ns[0]);
    for (const char *key : {"dev", "mode", "size", "spa", "align", "numa_node", "blockdev", "name", "mount"})
        EXPECT_TRUE(fs.contains(key)) << key;
    EXPECT_EQ(fs["spa"], 0x101000000ull);
    nlohmann::json dax = pmemNamespaceToJson(ns[1]);
    EXPECT_EQ(dax["chardev"], "dax1.0");
    EXPECT_FALSE(dax.contains("blockdev"));
    EXPECT_FALSE(dax.contains("mount"));
}

TEST(ResolvedBackingToJson, ListsExtentsInOrderWithByteNumbers)
{
    ResolvedBacking b;
    b.path = "/mnt/pmem0/g.img";
    b.size = 4 << 20;
    b.superpage = true;
    b.extents = {{0, 0x101200000ull, 2 << 20}, {2 << 20, 0x101600000ull, 2 << 20}};
    nlohmann::json j = resolvedBackingToJson(b);
    EXPECT_EQ(j["path"], "/mnt/pmem0/g.img");
    EXPECT_EQ(j["size"], 4u << 20);
    EXPECT_EQ(j["superpage"], true);
    ASSERT_EQ(j["extents"].size(), 2u);
    EXPECT_EQ(j["extents"][1]["offset"], 2u << 20);
    EXPECT_EQ(j["extents"][1]["spa"], 0x101600000ull);
    EXPECT_EQ(j["extents"][1]["length"], 2u << 20);
}

TEST(PmemModeName, RoundTripsEveryMode)
{
    for (PmemMode m : {PmemMode::Fsdax, PmemMode::Devdax, PmemMode::Raw, PmemMode::Sector})
        EXPECT_EQ(pmemModeFromName(pmemModeName(m)), m);
    EXPECT_EQ(pmemModeFromName("memory"), PmemMode::Unknown);
}
