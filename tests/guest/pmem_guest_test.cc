// The host-pmem truth tests: a real kernel with emulated NVDIMMs (QEMU,
// pmembed.py). The guest writes markers through its mapping of a backing;
// our CLI (pmem-extents, in the guest) computes their host physical
// addresses; each marker must be in the outer NVDIMM backing file at
// exactly SPA - NVDIMM base. Refusals: the specific error, exit status 1,
// nothing changed. Each scenario boots once; its checks are separate tests.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

namespace {

constexpr uint64_t MiB = 1ull << 20;
constexpr uint64_t kLabelBytes = 128 * 1024;

std::string env(const char *name, const char *def = "")
{
    const char *v = std::getenv(name);
    return v && *v ? v : def;
}

struct Scenario {
    std::vector<uint64_t> region_bytes;   // one NVDIMM each
};

const std::map<std::string, Scenario> kScenarios = {
    {"truth", {{256 * MiB, 256 * MiB, 256 * MiB, 512 * MiB, 256 * MiB}}},
    {"refusals", {{256 * MiB, 512 * MiB, 256 * MiB, 256 * MiB, 256 * MiB}}},
};

class Bed {
public:
    explicit Bed(const std::string &name) : name_(name)
    {
        std::string base = env("abs_builddir", "/tmp");
        std::string tmpl = base + "/pmembed-" + name + "-XXXXXX";
        if (!mkdtemp(tmpl.data())) {
            error_ = "mkdtemp failed";
            return;
        }
        dir_ = tmpl;
        const Scenario &sc = kScenarios.at(name);
        std::vector<std::string> argv = {
            "python3", env("abs_top_srcdir", ".") + "/tests/guest/pmembed.py",
            "--out-dir", dir_,
            "--script", env("abs_top_srcdir", ".") + "/tests/guest/scenarios/" + name + ".sh",
            "--project-bin", env("VIRT_XEN_NVDIMM"),
            "--poke", env("PMEM_POKE", PMEM_POKE),
            "--timeout", "300"};
        for (size_t i = 0; i < sc.region_bytes.size(); i++) {
            std::string path = dir_ + "/nv" + std::to_string(i) + ".img";
            backings_.push_back(path);
            int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd < 0 || ftruncate(fd, static_cast<off_t>(sc.region_bytes[i] + kLabelBytes)) < 0) {
                error_ = "cannot create " + path;
                return;
            }
            close(fd);
            argv.push_back("--nvdimm");
            argv.push_back(path + ":" + std::to_string(sc.region_bytes[i] + kLabelBytes));
        }
        std::string cmd;
        for (const auto &a : argv)
            cmd += "'" + a + "' ";
        cmd += "> '" + dir_ + "/harness.log' 2>&1";
        int status = std::system(cmd.c_str());
        exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream in(dir_ + "/result.json");
        std::stringstream buf;
        buf << in.rdbuf();
        report_ = nlohmann::json::parse(buf.str(), nullptr, false);
        if (report_.is_discarded() || !report_.is_object()) {
            error_ = "no result.json; harness said: " + slurp(dir_ + "/harness.log");
            report_ = nlohmann::json::object();
        } else if (!report_.value("ok", false)) {
            error_ = report_.value("error", std::string("?")) + "\nconsole tail:\n" + consoleTail();
        }
    }

    ~Bed()
    {
        if (!dir_.empty() && env("XLNV_KEEP_BED") != "1") {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    // Usable: booted and ran the whole scenario. Otherwise why, loudly.
    bool ok() const { return error_.empty() && exit_ == 0; }
    std::string failure() const
    {
        return "pmembed '" + name_ + "' (exit " + std::to_string(exit_) + "): " + error_;
    }
    bool has(const std::string &key) const { return report_["results"].contains(key); }
    std::string result(const std::string &key) const
    {
        auto &r = report_["results"];
        return r.contains(key) ? r[key].get<std::string>() : "<missing " + key + ">";
    }
    uint64_t nvdimmSpa(size_t i) const { return report_["nvdimm_spa"][i].get<uint64_t>(); }
    size_t nvdimms() const { return backings_.size(); }
    uint64_t nvdimmBytes(size_t i) const { return kScenarios.at(name_).region_bytes[i]; }
    std::string readBacking(size_t i, uint64_t offset, size_t length) const
    {
        std::ifstream in(backings_[i], std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset));
        std::string out(length, '\0');
        in.read(out.data(), static_cast<std::streamsize>(length));
        out.resize(static_cast<size_t>(in.gcount()));
        return out;
    }
    const nlohmann::json &report() const { return report_; }

private:
    static std::string slurp(const std::string &path)
    {
        std::ifstream in(path);
        std::stringstream buf;
        buf << in.rdbuf();
        return buf.str();
    }
    std::string consoleTail() const
    {
        std::string c = slurp(dir_ + "/console.log");
        return c.size() > 3000 ? c.substr(c.size() - 3000) : c;
    }

    std::string name_;
    std::string dir_;
    std::vector<std::string> backings_;
    nlohmann::json report_;
    std::string error_;
    int exit_ = -1;
};

// One boot per scenario, shared by its tests (they only read).
const Bed &bed(const std::string &name)
{
    static std::map<std::string, std::unique_ptr<Bed>> beds;
    auto &b = beds[name];
    if (!b)
        b = std::make_unique<Bed>(name);
    return *b;
}

#define REQUIRE_BED(b) \
    do { \
        if (!(b).ok()) \
            FAIL() << (b).failure(); \
    } while (0)

// The CLI ran `key` successfully; its stdout as JSON.
nlohmann::json cliJson(const Bed &b, const std::string &key)
{
    EXPECT_EQ(b.result(key + ".rc"), "0") << key << " stderr: " << b.result(key + ".err");
    auto j = nlohmann::json::parse(b.result(key + ".out"), nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << key << " stdout is not JSON: " << b.result(key + ".out");
    return j.is_discarded() ? nlohmann::json::object() : j;
}

// The extents list of pmem-extents --json: ordered, adjacent, covering [0, size).
void expectCoverage(const nlohmann::json &j, uint64_t size)
{
    ASSERT_TRUE(j.contains("extents") && j["extents"].is_array()) << j.dump();
    EXPECT_EQ(j["size"].get<uint64_t>(), size);
    uint64_t next = 0;
    for (const auto &e : j["extents"]) {
        EXPECT_EQ(e["offset"].get<uint64_t>(), next) << j.dump();
        EXPECT_GT(e["length"].get<uint64_t>(), 0u);
        next = e["offset"].get<uint64_t>() + e["length"].get<uint64_t>();
    }
    EXPECT_EQ(next, size);
}

// Host physical address of backing byte `offset`, by the extents.
std::optional<uint64_t> spaOf(const nlohmann::json &j, uint64_t offset)
{
    for (const auto &e : j["extents"]) {
        uint64_t o = e["offset"].get<uint64_t>(), l = e["length"].get<uint64_t>();
        if (offset >= o && offset < o + l)
            return e["spa"].get<uint64_t>() + (offset - o);
    }
    return std::nullopt;
}

// Every marker the guest wrote for `key` is in NVDIMM `nvdimm`'s outer
// backing file at (SPA computed by pmem-extents) - (NVDIMM base). Byte by
// byte, so a marker crossing extents is checked at both places.
void expectMarkersAtSpa(const Bed &b, const std::string &key, size_t nvdimm, uint64_t size,
                        unsigned min_markers)
{
    nlohmann::json j = cliJson(b, key);
    expectCoverage(j, size);
    unsigned found = 0;
    for (unsigned n = 0; b.has(key + ".marker." + std::to_string(n)); n++) {
        std::string spec = b.result(key + ".marker." + std::to_string(n));
        size_t colon = spec.find(':');
        uint64_t offset = std::stoull(spec.substr(0, colon));
        std::string text = spec.substr(colon + 1);
        ASSERT_NE(text, "POKE-FAILED") << key << " marker " << n << " could not be written";
        std::string seen;
        for (size_t k = 0; k < text.size(); k++) {
            auto spa = spaOf(j, offset + k);
            ASSERT_TRUE(spa) << key << ": offset " << offset + k << " not covered";
            ASSERT_GE(*spa, b.nvdimmSpa(nvdimm)) << key << ": SPA outside NVDIMM " << nvdimm;
            ASSERT_LT(*spa, b.nvdimmSpa(nvdimm) + b.nvdimmBytes(nvdimm))
                << key << ": SPA outside NVDIMM " << nvdimm;
            seen += b.readBacking(nvdimm, *spa - b.nvdimmSpa(nvdimm), 1);
        }
        EXPECT_EQ(seen, text) << key << " marker " << n << " at backing offset " << offset
                              << " is not at its computed SPA";
        found++;
    }
    EXPECT_GE(found, min_markers) << key;
}

void expectRefused(const Bed &b, const std::string &key, const std::string &words)
{
    EXPECT_EQ(b.result(key + ".rc"), "1") << key;
    std::string err = b.result(key + ".err");
    EXPECT_EQ(err.rfind("error: ", 0), 0u) << key << ": " << err;
    EXPECT_NE(err.find(words), std::string::npos) << key << ": " << err;
    EXPECT_EQ(b.result(key + ".out"), "") << key;
}

} // namespace

// ---------------------------------------------------------------- truth

TEST(PmemTruth, BootsAndRunsTheWholeScenario)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    for (int i = 0; i < 5; i++)
        EXPECT_FALSE(b.has("ndctl." + std::to_string(i) + ".err"))
            << b.result("ndctl." + std::to_string(i) + ".err");
    std::printf("truth boot: %.1f s to init, %.1f s in all\n", b.report().value("boot", 0.0),
                b.report().value("elapsed", 0.0));
    RecordProperty("boot_seconds", std::to_string(b.report().value("boot", 0.0)));
    RecordProperty("total_seconds", std::to_string(b.report().value("elapsed", 0.0)));
}

TEST(PmemTruth, PmemListReportsEachNamespaceInsideItsNvdimm)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    nlohmann::json list = cliJson(b, "list");
    ASSERT_TRUE(list.is_array());
    ASSERT_EQ(list.size(), 5u) << list.dump();
    std::map<size_t, std::string> mount_of;
    for (const auto &ns : list) {
        for (const char *k : {"dev", "mode", "size", "spa", "align", "numa_node"})
            EXPECT_TRUE(ns.contains(k)) << k << " in " << ns.dump();
        // As ndctl: a key with no value (no name, no uuid) is left out.
        for (const char *k : {"name", "uuid"})
            EXPECT_TRUE(!ns.contains(k) || ns[k] != "") << k << " in " << ns.dump();
        uint64_t spa = ns["spa"], size = ns["size"];
        // Which NVDIMM holds it, by address; then it must be wholly inside.
        size_t i = 0;
        while (i < b.nvdimms() && !(spa >= b.nvdimmSpa(i) && spa < b.nvdimmSpa(i) + b.nvdimmBytes(i)))
            i++;
        ASSERT_LT(i, b.nvdimms()) << "namespace outside every NVDIMM: " << ns.dump();
        EXPECT_LE(spa + size, b.nvdimmSpa(i) + b.nvdimmBytes(i)) << ns.dump();
        EXPECT_GE(size, b.nvdimmBytes(i) - 16 * MiB) << ns.dump();
        const std::string region = b.result("region." + std::to_string(i));
        EXPECT_EQ(ns["dev"], "namespace" + region + ".0");
        if (i == 0) {
            EXPECT_EQ(ns["mode"], "devdax");
            EXPECT_EQ(ns["chardev"], "dax" + region + ".0");
        } else {
            EXPECT_EQ(ns["mode"], "fsdax");
            EXPECT_EQ(ns["blockdev"], "pmem" + region);
            EXPECT_EQ(ns["align"], 2 * MiB);
        }
        mount_of[i] = ns.value("mount", std::string("-"));
    }
    EXPECT_EQ(mount_of[1], "-");
    EXPECT_EQ(mount_of[2], "/mnt/ext4");
    EXPECT_EQ(mount_of[3], "/mnt/xfs");
    EXPECT_EQ(mount_of[4], "/mnt/part");
}

TEST(PmemTruth, DevdaxMarkersAreAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectMarkersAtSpa(b, "devdax", 0, 64 * MiB, 4);
    EXPECT_EQ(cliJson(b, "devdax")["extents"].size(), 1u);
}

TEST(PmemTruth, DevdaxRefusesATargetLargerThanTheDevice)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectRefused(b, "devdax_small", "less than the NVDIMM target size 1 GiB");
}

TEST(PmemTruth, FsdaxBlockDeviceMarkersAreAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectMarkersAtSpa(b, "blk", 1, 64 * MiB, 4);
}

TEST(PmemTruth, NewFileOnExt4DaxMarkersAreAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    nlohmann::json prov = cliJson(b, "ext4new.prov");
    EXPECT_EQ(prov.value("created", false), true) << prov.dump();
    EXPECT_EQ(prov.value("filled", 0ull), 32 * MiB) << prov.dump();
    expectMarkersAtSpa(b, "ext4new", 2, 32 * MiB, 4);
}

TEST(PmemTruth, ExistingFileWithUnwrittenRangesIsRefusedUntilProvisioned)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectRefused(b, "ext4old.unprovisioned", "unwritten extent");
}

TEST(PmemTruth, ProvisioningKeepsTheDataOfAnExistingFile)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    nlohmann::json prov = cliJson(b, "ext4old.prov");
    EXPECT_EQ(prov.value("created", true), false);
    EXPECT_GT(prov.value("filled", 0ull), 0u);
    EXPECT_LT(prov.value("filled", 0ull), 24 * MiB);
    EXPECT_EQ(b.result("ext4old.keep1"), "KEEP-ME-ONE");
    EXPECT_EQ(b.result("ext4old.keep2"), "KEEP-ME-TWO");
    EXPECT_EQ(b.result("ext4old.size"), std::to_string(24 * MiB));
}

TEST(PmemTruth, ExistingFileMarkersAreAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectMarkersAtSpa(b, "ext4old", 2, 24 * MiB, 5);
    EXPECT_EQ(b.result("ext4old.keep1.after"), "KEEP-ME-ONE");
}

TEST(PmemTruth, RemovesTheFileItCreatedWhenSpaceRunsOut)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectRefused(b, "ext4enospc", "not enough space");
    EXPECT_EQ(b.result("ext4enospc.exists"), "no");
}

TEST(PmemTruth, NewFileOnXfsDaxIsOneSuperpageExtentAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    expectMarkersAtSpa(b, "xfsnew", 3, 64 * MiB, 4);
    nlohmann::json j = cliJson(b, "xfsnew");
    EXPECT_EQ(j["extents"].size(), 1u) << j.dump();
    EXPECT_EQ(j["superpage"], true) << j.dump();
}

TEST(PmemTruth, FragmentedFileOnXfsDaxMarkersAreAtTheComputedSpa)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    nlohmann::json prov = cliJson(b, "xfsfrag.prov");
    EXPECT_EQ(prov.value("filled", 1ull), 0u) << "a fully written file needs no filling";
    nlohmann::json j = cliJson(b, "xfsfrag");
    EXPECT_GE(j["extents"].size(), 4u) << "not fragmented: " << j.dump();
    RecordProperty("xfsfrag_extents", std::to_string(j["extents"].size()));
    std::printf("xfsfrag: %zu extents\n", j["extents"].size());
    expectMarkersAtSpa(b, "xfsfrag", 3, 16 * MiB, 8);
}

TEST(PmemTruth, FileOnAPartitionMarkersAreAtTheComputedSpaIncludingThePartitionStart)
{
    const Bed &b = bed("truth");
    REQUIRE_BED(b);
    EXPECT_EQ(b.result("part.start"), "4096");
    expectMarkersAtSpa(b, "part", 4, 16 * MiB, 4);
}

// ---------------------------------------------------------------- refusals

TEST(PmemRefusal, BootsAndRunsTheWholeScenario)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    for (int i : {0, 1, 3, 4})
        EXPECT_FALSE(b.has("ndctl." + std::to_string(i) + ".err"))
            << b.result("ndctl." + std::to_string(i) + ".err");
}

TEST(PmemRefusal, NonDaxMountIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "nodax_new", "mounted without DAX");
    expectRefused(b, "nodax_old", "mounted without DAX");
    EXPECT_EQ(b.result("nodax.before"), b.result("nodax.after"));
}

TEST(PmemRefusal, TmpfsIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "tmpfs_new", "is on tmpfs, which is not persistent memory");
    expectRefused(b, "tmpfs_old", "is on tmpfs, which is not persistent memory");
    EXPECT_EQ(b.result("tmpfs.before"), b.result("tmpfs.after"));
}

TEST(PmemRefusal, ReflinkedFileIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    ASSERT_EQ(b.result("reflink.mount"), "dax") << "XFS with reflink=1 did not mount with DAX";
    EXPECT_FALSE(b.has("reflink.xfs_io")) << b.result("reflink.xfs_io");
    expectRefused(b, "reflink", "shared (reflinked) extent");
    expectRefused(b, "reflink_ext", "shared (reflinked) extent");
    EXPECT_EQ(b.result("reflink.before"), b.result("reflink.after"));
}

TEST(PmemRefusal, RawNamespaceIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "raw", "in raw mode; only fsdax and devdax namespaces can back an NVDIMM");
    expectRefused(b, "raw_prov", "in raw mode");
    EXPECT_EQ(b.result("raw.before"), b.result("raw.after"));
}

TEST(PmemRefusal, SectorNamespaceIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "sector", "in sector mode");
    expectRefused(b, "sector_file", "in sector mode");
    EXPECT_EQ(b.result("sector.before"), b.result("sector.after"));
}

TEST(PmemRefusal, PathOutsideThePmemRootsIsRefusedAndNothingChanges)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "outside", "outside the configured persistent memory roots (/mnt/other)");
    expectRefused(b, "outside_default", "outside the configured persistent memory roots");
    EXPECT_EQ(b.result("outside_default.exists"), "no");
    EXPECT_EQ(b.result("dax.before"), b.result("dax.after"));
}

TEST(PmemRefusal, SymlinkDirectoryMountedDeviceAndProcAreRefused)
{
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectRefused(b, "symlink", "symbolic link");
    expectRefused(b, "directory", "is a directory");
    expectRefused(b, "mounted", "holds a mounted filesystem");
    expectRefused(b, "proc", "is in /proc");
    EXPECT_EQ(b.result("dax.before"), b.result("dax.after"));
    // The control: the real file beside them resolves.
    EXPECT_EQ(b.result("real.rc"), "0") << b.result("real.err");
}

TEST(PmemRefusal, FileOnA4KiBAlignedMemMapNamespaceMarkersAreAtTheComputedSpa)
{
    // The PV dom0 case: fsdax -M mem -a 4K (see xen-testbed.md).
    const Bed &b = bed("refusals");
    REQUIRE_BED(b);
    expectMarkersAtSpa(b, "real", 4, 8 * MiB, 4);
}
