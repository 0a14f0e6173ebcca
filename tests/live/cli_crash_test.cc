// A command killed (SIGKILL) anywhere in an attach: the next command on
// the domain finishes or rolls the attach back, and nothing leaks. And
// concurrent attaches: they serialize, get unique slots, never map a
// frame twice, and never give one backing to two domains.
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "cli_snapshot.h"

using namespace xlnv::test;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

uint64_t iomemBytes(const nlohmann::json &domain)
{
    uint64_t total = 0;
    for (const auto &r : domain["iomem_ranges"])
        total += r["nr"].get<uint64_t>() * 4096;
    return total;
}

// One kind of attach to interrupt.
struct CrashVariant {
    const char *name;
    NvdimmSpec device;            // path "" = a new file on the DAX mount
    std::vector<NvdimmSpec> before;  // attached first (the "two-step" case)
    std::vector<std::string> flags = {"--live"};
    bool existingFile = false;    // the backing file exists (with data) before the attach
};

struct CrashTally {
    unsigned killed = 0;
    unsigned finished = 0;        // repaired by finishing the attach
    unsigned rolledBack = 0;
};

// After an interrupted attach and one repairing command, the host is in
// one of two states: as before, or with the device fully attached.
// Returns true when it was fully attached (and detaches it again).
bool checkRepairedAndReset(SimHostDir &host, const HostSnapshot &baseline, const NvdimmSpec &dev,
                           size_t devicesBefore, uint64_t bytesBefore, bool newFile,
                           const std::string &what,
                           const std::vector<std::string> &flags = {"--live"})
{
    const auto st = host.stats();
    const auto &demo = st["domains"]["demo"];
    const uint64_t mapped = demo["mapped_bytes"].get<uint64_t>();
    const auto xml = host.cli({"dumpxml", "demo"}).out;
    const auto devices = nvdimmElements(xml);
    const std::string pins = listDirectory(host.stateDir() + "/pmem-pins", ".json");
    const size_t pinCount = std::count(pins.begin(), pins.end(), '\n');
    EXPECT_EQ(iomemBytes(demo), mapped) << what << ": permissions and mappings disagree\n" << st.dump(1);

    if (mapped == bytesBefore) {
        EXPECT_EQ(devices.size(), devicesBefore) << what << ": a half device in the live XML\n" << xml;
        EXPECT_EQ(pinCount, devicesBefore) << what << ": stale pin record\n" << pins;
        if (newFile) {
            EXPECT_FALSE(std::filesystem::exists(dev.path)) << what << ": half-made backing file left";
        }
        EXPECT_EQ(snapshot(host), baseline) << what;
        return false;
    }
    EXPECT_EQ(mapped, bytesBefore + dev.size_mib * kMiB) << what << ": partly mapped\n" << st.dump(1);
    EXPECT_EQ(devices.size(), devicesBefore + 1) << what << "\n" << xml;
    EXPECT_EQ(pinCount, devicesBefore + 1) << what << "\n" << pins;
    // Undo it to start the next run from the baseline.
    std::vector<std::string> args = {"detach-device", "demo", host.file("undo.xml", nvdimmXml(dev))};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto detach = host.cli(args);
    EXPECT_EQ(detach.status, 0) << what << ": " << detach.err;
    if (newFile)
        std::filesystem::remove(dev.path);
    EXPECT_EQ(snapshot(host), baseline) << what << " (after detaching the finished device)";
    return true;
}

CrashTally runKillSweep(const CrashVariant &v, const char *repairCommand, unsigned maxPoints = 200)
{
    CrashTally tally;
    SimHostDir host;
    if (v.device.readonly)   // Xen cannot enforce it: the advisory opt-in
        host.setConfig("[hypervisor]\neject_timeout_ms=2000\nadvisory_readonly=true\n");
    const std::string mount = host.fsdaxMount();
    NvdimmSpec dev = v.device;
    const bool newFile = dev.path.empty() && !v.existingFile;
    if (dev.path.empty())
        dev.path = mount + "/crash.img";
    // The user's data in an existing backing must survive every
    // interrupted attach.
    std::string userData;
    if (v.existingFile) {
        userData.assign(dev.size_mib * kMiB, '\0');
        for (size_t i = 0; i < userData.size(); i += 4096)
            userData[i] = static_cast<char>('A' + (i / 4096) % 26);
        writeFile(dev.path, userData);
    }
    uint64_t bytesBefore = 0;
    for (size_t i = 0; i < v.before.size(); ++i) {
        NvdimmSpec b = v.before[i];
        if (b.path.empty())
            b.path = mount + "/before" + std::to_string(i) + ".img";
        const auto r = host.cli({"attach-device", "demo", host.file("b.xml", nvdimmXml(b)), "--live"});
        EXPECT_EQ(r.status, 0) << r.err;
        bytesBefore += b.size_mib * kMiB;
    }
    const HostSnapshot baseline = snapshot(host);
    const auto file = host.file("dev.xml", nvdimmXml(dev));

    for (unsigned n = 1; n <= maxPoints; ++n) {
        std::vector<std::string> args = {"attach-device", "demo", file};
        args.insert(args.end(), v.flags.begin(), v.flags.end());
        const CliResult r = host.cli(args, {{"LIBXL_NVDIMM_FAULT", "live:" + std::to_string(n) + ":kill"}});
        const std::string what = std::string(v.name) + " killed at live point " + std::to_string(n);
        if (r.status == 0) {
            // Past the last point: a plain success.
            EXPECT_TRUE(checkRepairedAndReset(host, baseline, dev, v.before.size(), bytesBefore, newFile, what, v.flags));
            break;
        }
        EXPECT_EQ(r.signal, SIGKILL) << what << ": status " << r.status << " " << r.err;
        ++tally.killed;
        const CliResult repair = host.cli({repairCommand, "demo"});
        EXPECT_EQ(repair.status, 0) << what << ": " << repairCommand << " did not repair: " << repair.err;
        if (checkRepairedAndReset(host, baseline, dev, v.before.size(), bytesBefore, newFile, what, v.flags))
            ++tally.finished;
        else
            ++tally.rolledBack;
        if (v.existingFile) {
            EXPECT_TRUE(readFile(dev.path) == userData) << what << ": the backing's data changed";
        }
        if (::testing::Test::HasFailure())
            break;
    }
    std::cout << "[          ] " << v.name << ": " << tally.killed << " kills, " << tally.finished
              << " finished, " << tally.rolledBack << " rolled back\n";
    return tally;
}

TEST(CliCrash, AttachKilledAtEveryPointIsRepairedByTheNextCommand)
{
    const std::vector<CrashVariant> variants = {
        {"devdax", {.size_mib = 1024}, {}},
        {"fsdax-new-file", {.path = "", .size_mib = 64}, {}},
        {"two-step", {.size_mib = 512}, {{.path = "", .size_mib = 32}}},
        {"readonly", {.size_mib = 256, .readonly = true}, {}},
        {"persistent", {.size_mib = 256}, {}, {"--persistent"}},
        {"live-and-config", {.size_mib = 512}, {}, {"--live", "--config"}},
        {"fsdax-existing-file", {.path = "", .size_mib = 64}, {}, {"--live"}, true},
        {"three-step", {.path = "", .size_mib = 32}, {{.size_mib = 256}, {.path = "", .size_mib = 16}}},
    };
    unsigned kills = 0;
    for (const auto &v : variants) {
        const CrashTally t = runKillSweep(v, "dumpxml");
        EXPECT_GT(t.killed, 0u) << v.name << ": no fault point fired; is LIBXL_NVDIMM_FAULT honoured?";
        kills += t.killed;
        if (HasFailure())
            break;
    }
    std::cout << "[          ] " << kills << " SIGKILL runs in all\n";
    EXPECT_GE(kills, 50u) << "too few kill points across the variants";
}

TEST(CliCrash, RandomDelayKillsLeaveNothingBehind)
{
    SimHostDir host;
    const HostSnapshot baseline = snapshot(host);
    const NvdimmSpec dev = {.size_mib = 1024};
    const auto file = host.file("dev.xml", nvdimmXml(dev));
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> delayUs(0, 300000);
    unsigned killedMidway = 0;
    for (int run = 0; run < 12; ++run) {
        auto p = host.spawn({"attach-device", "demo", file, "--live"});
        std::this_thread::sleep_for(std::chrono::microseconds(delayUs(rng)));
        p->signal(SIGKILL);
        const CliResult r = p->wait();
        killedMidway += r.signal == SIGKILL;
        const CliResult repair = host.cli({"dumpxml", "demo"});
        EXPECT_EQ(repair.status, 0) << repair.err;
        checkRepairedAndReset(host, baseline, dev, 0, 0, false, "random kill run " + std::to_string(run));
        if (HasFailure())
            break;
    }
    std::cout << "[          ] " << killedMidway << " of 12 random kills hit a running attach\n";
}

TEST(CliConcurrency, EightAttachesGetUniqueSlotsAndNeverOverlap)
{
    SimHostDir host;
    const std::string mount = host.fsdaxMount();
    std::vector<std::unique_ptr<CliProcess>> procs;
    for (int i = 0; i < 8; ++i)
        procs.push_back(host.spawn(
            {"attach-device", "demo",
             host.file("c" + std::to_string(i) + ".xml",
                       nvdimmXml({.path = mount + "/c" + std::to_string(i) + ".img", .size_mib = 16})),
             "--live"}));
    for (auto &p : procs) {
        const CliResult r = p->wait();
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.out, "Device attached successfully\n");
    }
    const auto devices = nvdimmElements(host.cli({"dumpxml", "demo"}).out);
    ASSERT_EQ(devices.size(), 8u);
    std::set<std::string> aliases, slots;
    for (const auto &d : devices) {
        const size_t a = d.find("<alias name='");
        const size_t s = d.find("slot='");
        ASSERT_NE(a, std::string::npos) << d;
        ASSERT_NE(s, std::string::npos) << d;
        aliases.insert(d.substr(a + 13, d.find('\'', a + 13) - a - 13));
        slots.insert(d.substr(s + 6, d.find('\'', s + 6) - s - 6));
    }
    EXPECT_EQ(aliases.size(), 8u);
    EXPECT_EQ(slots.size(), 8u);
    EXPECT_EQ(aliases, (std::set<std::string>{"nvdimm0", "nvdimm1", "nvdimm2", "nvdimm3", "nvdimm4", "nvdimm5",
                                              "nvdimm6", "nvdimm7"}));

    const auto st = host.stats();
    EXPECT_EQ(st["domains"]["demo"]["mapped_bytes"], 8 * 16 * kMiB);
    std::vector<std::pair<uint64_t, uint64_t>> guest, hostFrames;
    for (const auto &m : st["domains"]["demo"]["mappings"]) {
        const uint64_t gfn = m["gfn"].get<uint64_t>();
        const uint64_t mfn = m["mfn"].get<uint64_t>();
        const uint64_t nr = m["nr"];
        guest.emplace_back(gfn, gfn + nr);
        hostFrames.emplace_back(mfn, mfn + nr);
    }
    for (auto *ranges : {&guest, &hostFrames}) {
        std::sort(ranges->begin(), ranges->end());
        for (size_t i = 1; i < ranges->size(); ++i)
            EXPECT_LE((*ranges)[i - 1].second, (*ranges)[i].first) << "overlapping mappings\n" << st.dump(1);
    }
}

TEST(CliConcurrency, OneBackingIsRefusedToASecondDomain)
{
    SimHostDir host;
    ASSERT_EQ(host.cli({"start", "demo2"}).status, 0);
    const auto dev = host.file("dev.xml", nvdimmXml({.size_mib = 256}));
    ASSERT_EQ(host.cli({"attach-device", "demo", dev, "--live"}).status, 0);
    const HostSnapshot before = snapshot(host);
    const CliResult r = host.cli({"attach-device", "demo2", dev, "--live"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("/dev/dax0.0"), std::string::npos) << "the refusal must name the backing: " << r.err;
    EXPECT_EQ(snapshot(host), before);
}

TEST(CliConcurrency, OneBackingRacedToTwoDomainsGoesToExactlyOne)
{
    SimHostDir host;
    ASSERT_EQ(host.cli({"start", "demo2"}).status, 0);
    const std::string img = host.fsdaxMount() + "/shared.img";
    const auto dev = host.file("dev.xml", nvdimmXml({.path = img, .size_mib = 32}));
    auto a = host.spawn({"attach-device", "demo", dev, "--live"});
    auto b = host.spawn({"attach-device", "demo2", dev, "--live"});
    const CliResult ra = a->wait();
    const CliResult rb = b->wait();
    EXPECT_EQ((ra.status == 0) + (rb.status == 0), 1) << ra.err << rb.err;
    const CliResult &loser = ra.status == 0 ? rb : ra;
    EXPECT_NE(loser.err.find(img), std::string::npos) << loser.err;
    const auto st = host.stats();
    EXPECT_EQ(st["domains"]["demo"]["mapped_bytes"].get<uint64_t>() +
                  st["domains"]["demo2"]["mapped_bytes"].get<uint64_t>(),
              32 * kMiB);
}

} // namespace
