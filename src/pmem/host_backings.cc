#include "pmem/host_backings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "pmem/backing.h"
#include "pmem/provision.h"
#include "util/strutil.h"

namespace xlnv::libxl {

void unlinkIfSameInode(const std::string &path, uint64_t ino) noexcept
{
    struct stat st;
    if (ino && lstat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_ino) == ino)
        unlink(path.c_str());
}

namespace {

class InventoryBackings : public HostBackings {
public:
    explicit InventoryBackings(PmemInventory &inventory) : inventory_(inventory) {}

    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        return resolveBackingPath(inventory_, def.path, 0);
    }

    ProvisionedFile provision(const std::string &path, uint64_t size) override
    {
        ProvisionedBacking p = provisionBacking(inventory_, path, size);
        ProvisionedFile out;
        out.resolved = std::move(p.resolved);
        out.created = p.created;
        struct stat st;
        if (p.created && lstat(path.c_str(), &st) == 0)
            out.ino = static_cast<uint64_t>(st.st_ino);
        return out;
    }

    std::string hostObject(const std::string &path) override { return path; }
    PinKind pinKind(const std::string &) override { return PinKind::Auto; }

    void discardCreated(const std::string &path, uint64_t ino) noexcept override
    {
        unlinkIfSameInode(path, ino);
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
