// The state directory both hypervisor implementations keep their records
// in: where it is, an exclusive/shared lock over it, and atomic writes
// (temp file, fsync, rename, fsync of the directory).
#pragma once

#include <sys/types.h>

#include <cstdint>
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

// mkdir -p with mode 0700 for the directories it creates; the last one
// must be a directory (not a symbolic link).
void makeDirectories(const std::string &path);

// The state directory holds what decides which files get relabeled and
// pinned: it must be private. Created (0700) when missing; refused with a
// clear error when it is a symbolic link, not a directory, not owned by
// the caller, or (for a non-root caller) not mode 0700; for root, when
// group or others may write it.
void checkStateDir(const std::string &dir);

// Domain names become file names. Refused unless safe as one path
// component, like libvirt's rules: not empty, at most 255 bytes, no '/',
// no leading '.', no control characters. Throws InvalidArg.
void validateDomainName(const std::string &name);
// The same rule, answered instead of thrown.
bool isValidDomainName(const std::string &name);

// Remove temporary files writeFileAtomic left in `dir` (NAME.tmp.PID)
// whose process is gone (killed mid-write). Returns how many.
unsigned removeStaleTemps(const std::string &dir);

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
// never a mixture, even across a crash: NAME.tmp.PID created O_EXCL |
// O_NOFOLLOW relative to the directory's descriptor, written, fsynced,
// renamed over NAME, the directory fsynced. The one helper for every
// state file (status, ACPI blob, pin records, MCS file, definitions).
// Volatile: the same atomic replace without the two fsyncs, for state
// that models a hypervisor's memory (the simulated host's), which a real
// host loses on power failure anyway; a killed process still leaves the
// old or the new file.
enum class Durability { Durable, Volatile };
void writeFileAtomic(const std::string &path, const std::string &content, mode_t mode = 0600,
                     Durability durability = Durability::Durable);
// How many durable writes this process made (the benchmark and the tests
// count an operation's fsyncs with it).
uint64_t durableWriteCount();
// Read a state file without following a symbolic link (nullopt: missing).
std::optional<std::string> readFileIfExists(const std::string &path);

} // namespace xlnv::libxl
