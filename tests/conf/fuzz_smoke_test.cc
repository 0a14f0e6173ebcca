// Runs the parser's fuzz entry point without sanitizers, so CI exercises
// it: every seed of tests/fuzz/corpus, then a few thousand deterministic
// mutations of them. The entry point aborts (failing this test) when
// formatting an accepted input is not stable.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../fuzz/nvdimm_parse_fuzz.h"
#include "../support/test_files.h"

namespace fs = std::filesystem;

namespace {

using xlnv::test::readFile;

fs::path sourceDir() { return fs::path(PROJECT_SOURCE_DIR) / "tests"; }

struct Seed {
    std::string name;
    std::string text;
};

std::vector<Seed> seeds()
{
    std::vector<Seed> out;
    for (const auto &entry : fs::directory_iterator(sourceDir() / "fuzz" / "corpus"))
        out.push_back({entry.path().stem().string(), readFile(entry.path())});
    std::sort(out.begin(), out.end(), [](const Seed &a, const Seed &b) { return a.name < b.name; });
    return out;
}

bool runOne(const std::string &text)
{
    return xlnv::fuzz::nvdimmParseOne(reinterpret_cast<const uint8_t *>(text.data()), text.size());
}

// Small deterministic PRNG (xorshift64*), so a failure reproduces.
struct Rng {
    uint64_t state;
    uint64_t next()
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 2685821657736338717ULL;
    }
    size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

const char *kTokens[] = {"<", ">", "/>", "'", "\"", "&amp;", "<!--", "-->", "<![CDATA[", "]]>",
                         "unit='EiB'", "unit='b'", "unit='zz'", "9007199254740992", "-1", "0x",
                         "<node>1</node>", "<label><size>128</size></label>", "<pmem/>",
                         "<alias name='ua-x'/>", "<address type='dimm' slot='9'/>", "\xff\xfe",
                         "<memory model='nvdimm'>", "</memory>", "<readonly/>", "</target>"};

std::string mutate(const std::string &input, const std::vector<Seed> &all, Rng &rng)
{
    std::string s = input;
    const int steps = 1 + static_cast<int>(rng.below(4));
    for (int i = 0; i < steps; i++) {
        const size_t pos = rng.below(s.size() + 1);
        switch (rng.below(5)) {
        case 0:  // flip a byte
            if (!s.empty())
                s[rng.below(s.size())] ^= static_cast<char>(1u << rng.below(8));
            break;
        case 1:  // delete a range
            if (pos < s.size())
                s.erase(pos, 1 + rng.below(16));
            break;
        case 2:  // insert a token
            s.insert(pos, kTokens[rng.below(std::size(kTokens))]);
            break;
        case 3: {  // duplicate a range
            if (pos < s.size()) {
                const std::string piece = s.substr(pos, 1 + rng.below(32));
                s.insert(rng.below(s.size() + 1), piece);
            }
            break;
        }
        default: {  // splice in part of another seed
            const std::string &other = all[rng.below(all.size())].text;
            const size_t from = rng.below(other.size());
            s.insert(pos, other.substr(from, 1 + rng.below(64)));
            break;
        }
        }
    }
    return s;
}

} // namespace

TEST(FuzzSmoke, SeedsAreAcceptedExactlyWhenTheirDataCaseIsValid)
{
    const auto all = seeds();
    ASSERT_GE(all.size(), 10u);
    for (const Seed &seed : all) {
        // A seed copied from the data suite is valid when the case has an .out.xml.
        const bool valid = fs::exists(sourceDir() / "nvdimmxml2xmldata" / (seed.name + ".out.xml"));
        EXPECT_EQ(runOne(seed.text), valid) << seed.name;
    }
}

TEST(FuzzSmoke, MutatedInputsNeverCrash)
{
    const auto all = seeds();
    ASSERT_FALSE(all.empty());
    Rng rng{0x9e3779b97f4a7c15ULL};
    size_t accepted = 0, rejected = 0;
    const size_t rounds = 4000;
    for (size_t i = 0; i < rounds; i++) {
        const std::string input = mutate(all[i % all.size()].text, all, rng);
        if (runOne(input))
            accepted++;
        else
            rejected++;
    }
    std::printf("fuzz smoke: %zu mutated inputs, %zu accepted, %zu rejected\n", rounds, accepted,
                rejected);
    // Mutations must reach both sides, or the run proves little.
    EXPECT_GT(accepted, 0u);
    EXPECT_GT(rejected, 0u);
}
