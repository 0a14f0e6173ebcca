// The state directory both hypervisor implementations keep their records
// in: where it is, an exclusive/shared lock over it, and atomic writes
// (temp file, fsync, rename, fsync of the directory).
#pragma once

#include <optional>
#include <string>

namespace xlnv::libxl {

// --state-dir / $LIBXL_NVDIMM_STATE_DIR win; otherwise, for a real host,
// root: /var/lib/libxl-nvdimm; others: $XDG_RUNTIME_DIR/libxl-nvdimm,
// else /tmp/libxl-nvdimm-$UID. A simulated host keeps its state apart:
// root: /run/libxl-nvdimm-sim; others: $XDG_RUNTIME_DIR/libxl-nvdimm-sim,
// else /tmp/libxl-nvdimm-sim-$UID; it refuses the production directory
// (OperationInvalid) however it is named.
constexpr const char *kProductionStateDir = "/var/lib/libxl-nvdimm";
std::string defaultStateDir(bool simulated = false);
std::string resolveStateDir(const std::string &requested, bool simulated = false);

// mkdir -p with mode 0700 for the directories it creates.
void makeDirectories(const std::string &path);

// flock(2) on a lock file, held for the object's lifetime.
class StateLock {
public:
    enum class Mode { Shared, Exclusive };
    StateLock(const std::string &lockPath, Mode mode);
    ~StateLock();
    StateLock(const StateLock &) = delete;
    StateLock &operator=(const StateLock &) = delete;

private:
    int fd_ = -1;
};

// Replace `path` with `content` so a reader sees the old or the new file,
// never a mixture, even across a crash.
void writeFileAtomic(const std::string &path, const std::string &content);
std::optional<std::string> readFileIfExists(const std::string &path);

} // namespace xlnv::libxl
