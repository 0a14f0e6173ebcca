// The GoogleTest side of the Xen test bed: runs tests/xen/xenbed.py for one
// boot (a dom0 scenario script), owns the NVDIMM backing files and the
// temporary directory, and gives the tests the RESULT lines, logs and
// backing bytes to assert on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace xlnv::testbed {

// QEMU keeps the NVDIMM label area after the region in the backing file.
inline constexpr std::uint64_t kLabelBytes = 128 * 1024;
inline constexpr std::uint64_t kPage = 4096;
// Where QEMU puts NVDIMM i (tests/lib/beds.py: 0x100000000 + i * 0x80000000).
inline constexpr std::uint64_t kNvdimm0Spa = 0x100000000;
inline constexpr std::uint64_t kNvdimm1Spa = 0x180000000;
inline constexpr std::uint64_t kNvdimm2Spa = 0x200000000;

struct NvdimmBacking {
    std::uint64_t region_bytes;          // multiple of 16 MiB
    std::string path;                    // filled in by XenBoot::prepare
};

class XenBoot {
public:
    XenBoot();
    ~XenBoot();                          // removes the temp dir (unless
                                         // XLNV_KEEP_BED=1)
    XenBoot(const XenBoot &) = delete;
    XenBoot &operator=(const XenBoot &) = delete;

    // Creates the temp dir and the (sparse, zero) backing files.
    void prepare(std::vector<NvdimmBacking> nvdimms);

    // Before boot: bytes the guests should find in NVDIMM `index`.
    void writeBacking(std::size_t index, std::uint64_t offset, const std::string &bytes);

    // A file for the dom0 image (e.g. ACPI tables); returns its host path.
    std::string addFile(const std::string &name, const std::vector<std::uint8_t> &bytes,
                        const std::string &dest);
    void addBinary(const std::string &host_path, const std::string &dest);
    // A host file as it is (no copy into the temp dir), at dest in dom0.
    void addHostFile(const std::string &host_path, const std::string &dest);
    // Paths (relative, comma-free) of an install tree at the same paths in
    // dom0, with the host libraries its programs need (xenbed.py --tree).
    void addTree(const std::string &tree, const std::vector<std::string> &paths);
    void setParams(std::vector<std::pair<std::string, std::string>> params);
    void setProjectBinary(const std::string &path) { project_bin_ = path; }
    void setHvm(bool hvm) { hvm_ = hvm; }  // device model + firmware in dom0

    // Runs the boot; false only when the harness could not run at all.
    bool run(const std::string &scenario, unsigned timeout_s);

    std::uint32_t nonce() const { return nonce_; }
    const std::string &dir() const { return dir_; }
    const nlohmann::json &report() const { return report_; }
    bool ok() const;
    // "why the boot is not usable", with the console's tail, for messages.
    std::string failure() const;

    // RESULT key=value from dom0 ("dom0") or a guest (its name).
    std::optional<std::string> result(const std::string &source,
                                      const std::string &key) const;
    std::string log(const std::string &name) const;   // "dom0" or guest
    std::string readBacking(std::size_t index, std::uint64_t offset,
                            std::size_t length) const;
    std::uint64_t readBacking64(std::size_t index, std::uint64_t offset) const;

private:
    std::string dir_;
    std::uint32_t nonce_;
    std::vector<NvdimmBacking> nvdimms_;
    std::vector<std::string> extra_args_;
    std::vector<std::pair<std::string, std::string>> params_;
    std::string project_bin_;
    bool hvm_ = false;
    nlohmann::json report_;
};

// The 64-bit marker the guest helper library writes (guestlib.sh).
std::uint64_t guestMarker(std::uint32_t nonce, unsigned index);

// "0x1f" (lower-case hex with prefix).
std::string hex(std::uint64_t v);

// A hex field of Xen's own log line of a mapping call, e.g. "mfn" of
// "memory_map:add: d5 gfn=940000 mfn=200002 nr=40".
std::optional<std::uint64_t> xenLogField(const std::string &line, const std::string &field);

// Parses 0x... / decimal; nullopt when not a number.
std::optional<std::uint64_t> parseNumber(const std::string &text);

// Runs argv, stdout+stderr to log_path; returns the exit status or -1.
int runProgram(const std::vector<std::string> &argv, const std::string &log_path);

std::string sourceDir();                 // the project's source root

}  // namespace xlnv::testbed
