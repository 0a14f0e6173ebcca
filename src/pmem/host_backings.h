// The backings of one connection's host, for the live code: resolve a
// device's <source><path> to host ranges (BackingResolver), provision a
// file backing (create, fill, resolve: what pmem-provision does), name
// the host object that gets pinned and labeled, and discard a file an
// attach created when the attach is undone.
// The real host's implementation is here (provisionBacking /
// resolveBackingPath over the connection's inventory: libndctl + FIEMAP);
// the simulated host's is src/sim/sim_backings.h.
#pragma once

#include <memory>
#include <string>

#include "pmem/backing_resolver.h"
#include "pmem/pin.h"

namespace xlnv::libxl {

struct ProvisionedFile {
    ResolvedBacking resolved;
    bool created = false;     // this call created the file
    uint64_t ino = 0;         // inode of a created file (0 otherwise)
};

class HostBackings : public BackingResolver {
public:
    // Read-only: the backing must exist.
    ResolvedBacking resolve(const conf::NvdimmDef &def) override = 0;
    // Create a missing file (mode 0600), fill it up to `size` bytes
    // without touching existing data, resolve it. Devices are resolved
    // only. A file created here is removed again when this fails.
    virtual ProvisionedFile provision(const std::string &path, uint64_t size) = 0;
    // The file or device whose owner, labels and pin stand for `path`.
    virtual std::string hostObject(const std::string &path) = 0;
    // How that object is pinned (PinKind::ClaimOnly for a stand-in).
    virtual PinKind pinKind(const std::string &path) = 0;
    // Remove a file provision() created (still inode `ino`) and forget it.
    virtual void discardCreated(const std::string &path, uint64_t ino) noexcept = 0;
};

std::unique_ptr<HostBackings> makeInventoryBackings(PmemInventory &inventory);

// Remove `path` if it still names inode `ino` (a file this process created).
void unlinkIfSameInode(const std::string &path, uint64_t ino) noexcept;

} // namespace xlnv::libxl
