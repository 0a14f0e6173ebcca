#include "pmem/host_backings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "pmem/backing.h"
#include "pmem/backing_handle.h"
#include "pmem/provision.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::libxl {

void HostBackings::discard(HeldBacking &held) noexcept
{
    if (held.created) {
        discardCreated(held.path, held.id.ino);
        held.created = false;
    } else if (held.grown && held.fd) {
        (void)ftruncate(held.fd.get(), static_cast<off_t>(held.old_size));
        held.grown = false;
    }
}

bool HeldBacking::hostFile() const
{
    struct stat st {};
    if (pin_kind == PinKind::ClaimOnly && fd && fstat(fd.get(), &st) == 0)
        return false;
    return !fd || fstat(fd.get(), &st) < 0 || S_ISREG(st.st_mode);
}

UniqueFd HostBackings::reopen(const FileIdentity &id, const std::string &object)
{
    return reopenIdentity(id, object, roots());
}

namespace {

class InventoryBackings : public HostBackings {
public:
    explicit InventoryBackings(PmemInventory &inventory) : inventory_(inventory) {}

    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        return resolveBackingPath(inventory_, def.path, 0);
    }

    HeldBacking hold(const std::string &path, uint64_t size, const ProgressFn &progress) override
    {
        ProvisionedBacking p = provisionBacking(inventory_, path, size, {}, progress);
        HeldBacking out;
        out.path = path;
        out.object = path;
        out.resolved = std::move(p.resolved);
        out.created = p.created;
        out.grown = !p.created && p.backing.kind == BackingKind::DaxFile && p.fill.old_size < size;
        out.old_size = p.fill.old_size;
        out.id = p.backing.id;
        out.fd = std::move(p.backing.fd);
        p.backing.created = false;
        return out;
    }

    UniqueFd probe(const std::string &path) override
    {
        return UniqueFd(openUnderRoots(path, roots(), O_PATH));
    }

    std::string hostObject(const std::string &path) override { return path; }
    std::vector<std::string> roots() override { return configuredPmemRoots(inventory_); }

    void discardCreated(const std::string &path, uint64_t ino) noexcept override
    {
        try {
            unlinkUnderRootsIfSameInode(path, roots(), ino);
        } catch (...) {
        }
    }

private:
    PmemInventory &inventory_;
};

} // namespace

std::unique_ptr<HostBackings> makeInventoryBackings(PmemInventory &inventory)
{
    return std::make_unique<InventoryBackings>(inventory);
}

} // namespace xlnv::libxl
