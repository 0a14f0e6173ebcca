// The backings of one connection's host, for the live code: resolve a
// device's <source><path> to host ranges (BackingResolver), and hold a
// backing for an operation: open it once beneath its root
// (backing_handle.h), provision it (create, fill, resolve: what
// pmem-provision does), and hand out the descriptor and inode identity
// that labels, the pin and the status act on from then on. Restore,
// unpin and recovery find that inode again with reopen(), never by
// re-resolving the path.
// The real host's implementation is here (provisionBacking over the
// connection's inventory: libndctl + FIEMAP); the simulated host's is
// src/sim/sim_backings.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pmem/backing_resolver.h"
#include "pmem/pin.h"
#include "util/fd.h"
#include "util/progress.h"
#include "util/safe_open.h"

namespace xlnv::libxl {

// A backing held for the length of an operation.
struct HeldBacking {
    std::string path;              // <source><path>
    std::string object;            // what is pinned and labeled (the sim's stand-in of a devdax device)
    UniqueFd fd;                   // O_RDWR | O_NOCTTY | O_NONBLOCK on `object`
    FileIdentity id;
    PinKind pin_kind = PinKind::Auto;
    ResolvedBacking resolved;
    bool created = false;          // this call created the file
    bool grown = false;            // an existing file was grown ...
    uint64_t old_size = 0;         // ... from this size

    // A regular file of the host (not a device node, nor the simulated
    // host's stand-in for one): what is done to it outlives a host crash.
    // True when in doubt.
    bool hostFile() const;
};

class HostBackings : public BackingResolver {
public:
    // Read-only: the backing must exist.
    ResolvedBacking resolve(const conf::NvdimmDef &def) override = 0;
    // Open `path` beneath the roots, create a missing file (mode 0600),
    // fill it up to `size` bytes without touching existing data, resolve
    // it. Devices are resolved only. A file created here is removed again
    // (a grown one cut back) when this fails. `progress` (may be empty)
    // hears the fill and the resolving.
    virtual HeldBacking hold(const std::string &path, uint64_t size, const ProgressFn &progress) = 0;
    // The object `path` names now as O_PATH (nothing opened for I/O);
    // invalid when it does not exist. Throws for a path outside the roots.
    virtual UniqueFd probe(const std::string &path) = 0;
    // The file or device whose owner, labels and pin stand for `path`.
    virtual std::string hostObject(const std::string &path) = 0;
    // Where host objects live (the pmem roots; the sim's mounts and stand-ins).
    virtual std::vector<std::string> roots() = 0;
    // Remove a file a hold() created (still inode `ino`, reached beneath
    // the roots) and forget it.
    virtual void discardCreated(const std::string &path, uint64_t ino) noexcept = 0;

    // Undo what hold() did to the file: a created file removed, a grown
    // one cut back to its own size. Never throws.
    void discard(HeldBacking &held) noexcept;
    // The inode `id` again (O_PATH), found by handle or by `object` when
    // that still names it; invalid when it is gone or was replaced.
    UniqueFd reopen(const FileIdentity &id, const std::string &object);
};

std::unique_ptr<HostBackings> makeInventoryBackings(PmemInventory &inventory);

} // namespace xlnv::libxl
