// Pinning a backing while a guest has it: the descriptor is held open and
// a file gets FS_IMMUTABLE_FL (no truncate, hole punch, reflink, defrag
// or rename), with its previous flags restored on release.
//
// One backing belongs to one domain at a time. The claim is a small JSON
// record under STATE_DIR/pmem-pins/, named after the backing's device and
// inode ("<dev>-<ino>.json"), holding the owner, the path and the flags to
// restore; records are read and written under an flock on
// STATE_DIR/pmem-pins/.lock. A record outlives the process (a domain keeps
// its backing after the CLI exits); a later process releases it with
// releasePinRecord (live detach, crash recovery).
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>

#include "util/fd.h"

namespace xlnv {

struct PinRecord {
    std::string owner;        // domain name
    std::string path;
    unsigned flags = 0;       // inode flags before pinning (files only)
    bool file = false;        // immutable flag applied
};

// What a pin does to the object: a regular file gets FS_IMMUTABLE_FL
// (Auto); ClaimOnly records the owner alone, for a file that stands in for
// a device (the simulated host's image of /dev/daxX.Y: a character device
// has no such flag, and the stand-in must stay removable with its state
// directory).
enum class PinKind { Auto, ClaimOnly };

class BackingPin {
public:
    // Takes its own duplicate of `fd`. Throws xlnv::Error (OperationInvalid)
    // when another owner holds the backing; the same owner may pin again.
    static BackingPin acquire(int fd, const std::string &path, const std::string &state_dir,
                              const std::string &owner, PinKind kind = PinKind::Auto);

    BackingPin(BackingPin &&) noexcept;
    BackingPin &operator=(BackingPin &&) noexcept;
    BackingPin(const BackingPin &) = delete;
    BackingPin &operator=(const BackingPin &) = delete;
    ~BackingPin();

    // Restore the flags and drop the claim now (also done by the destructor).
    void release();
    // Keep the claim and the immutable flag after this object goes away
    // (the domain keeps running); releasePinRecord undoes it later.
    void persist();

    const std::string &path() const { return path_; }
    int fd() const { return fd_.get(); }

private:
    BackingPin() = default;
    UniqueFd fd_;
    std::string path_;
    std::string record_path_;
    std::string lock_path_;
    bool active_ = false;
};

// Who holds the backing open as `fd` (nullopt: nobody).
std::optional<PinRecord> pinHolder(int fd, const std::string &state_dir);
// Restore flags and remove the record of the backing open as `fd`, if `owner` holds it.
void releasePinRecord(int fd, const std::string &state_dir, const std::string &owner);

} // namespace xlnv
