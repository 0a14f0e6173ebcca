#include "sim/sim_backings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "pmem/backing.h"
#include "pmem/provision.h"
#include "sim/sim_host.h"
#include "sim/sim_pmem_inventory.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

class SimBackings : public HostBackings {
public:
    SimBackings(std::shared_ptr<SimHost> host, SimPmemInventory &inventory)
        : host_(std::move(host)), inventory_(inventory)
    {
    }

    ResolvedBacking resolve(const conf::NvdimmDef &def) override
    {
        return inventory_.resolveBacking(def.path);
    }

    ProvisionedFile provision(const std::string &path, uint64_t size) override
    {
        ProvisionedFile out;
        if (devdax(path)) {
            out.resolved = inventory_.resolveBacking(path);
            return out;
        }
        if (size == 0 || size % kPageSize)
            raise(ErrorCode::InvalidArg,
                  _("the NVDIMM target size %llu for '%s' must be a positive multiple of 4 KiB"),
                  static_cast<unsigned long long>(size), path.c_str());
        checkUnderMount(path);
        UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd) {
            out.created = true;
        } else if (errno == EEXIST) {
            fd.reset(open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC));
            if (!fd)
                raiseSystem(errno, _("cannot open NVDIMM backing '%s'"), path.c_str());
        } else {
            raiseSystem(errno, _("cannot create NVDIMM backing '%s'"), path.c_str());
        }
        struct stat st;
        if (fstat(fd.get(), &st) < 0)
            raiseSystem(errno, _("cannot stat NVDIMM backing '%s'"), path.c_str());
        if (out.created)
            out.ino = static_cast<uint64_t>(st.st_ino);
        try {
            if (!S_ISREG(st.st_mode))
                raise(ErrorCode::InvalidArg,
                      _("NVDIMM backing '%s' on a DAX filesystem must be a regular file"), path.c_str());
            fillFile(fd.get(), size, false, path);
            out.resolved = inventory_.resolveBacking(path);
        } catch (...) {
            if (out.created)
                discardCreated(path, out.ino);
            throw;
        }
        return out;
    }

    std::string hostObject(const std::string &path) override
    {
        for (const auto &d : host_->description().namespaces)
            if (d.ns.mode == PmemMode::Devdax && path == "/dev/" + d.ns.chardev)
                return host_->backingFile(d);
        return path;
    }

    PinKind pinKind(const std::string &path) override
    {
        return hostObject(path) == path ? PinKind::Auto : PinKind::ClaimOnly;
    }

    void discardCreated(const std::string &path, uint64_t ino) noexcept override
    {
        unlinkIfSameInode(path, ino);
        // Forget where the sim placed it, so the host is as before.
        try {
            SimHost::Session s(*host_, true);
            bool changed = false;
            for (auto &[ns, files] : s.state().allocations)
                for (auto it = files.begin(); it != files.end();) {
                    struct stat st;
                    std::string mount;
                    for (const auto &d : host_->description().namespaces)
                        if (d.ns.dev == ns)
                            mount = host_->mountPath(d);
                    if (stat((mount + "/" + it->first).c_str(), &st) < 0 ||
                        static_cast<uint64_t>(st.st_ino) != it->second.ino) {
                        it = files.erase(it);
                        changed = true;
                    } else {
                        ++it;
                    }
                }
            if (changed)
                s.commit();
        } catch (...) {
        }
    }

private:
    bool devdax(const std::string &path) const
    {
        for (const auto &d : host_->description().namespaces)
            if (d.ns.mode == PmemMode::Devdax && path == "/dev/" + d.ns.chardev)
                return true;
        return false;
    }

    // Refuse before creating anything outside the sim's DAX mounts.
    void checkUnderMount(const std::string &path) const
    {
        const size_t slash = path.rfind('/');
        const std::string parent = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
        char real[PATH_MAX];
        if (path.empty() || path[0] != '/' || !realpath(parent.c_str(), real))
            raise(ErrorCode::InvalidArg,
                  _("'%s' is neither a devdax device nor a file on a DAX filesystem of this host"),
                  path.c_str());
        const std::string dir = real;
        for (const auto &d : host_->description().namespaces) {
            const std::string mount = host_->mountPath(d);
            if (!mount.empty() && (dir == mount || startsWith(dir, mount + "/")))
                return;
        }
        raise(ErrorCode::InvalidArg,
              _("'%s' is neither a devdax device nor a file on a DAX filesystem of this host"),
              path.c_str());
    }

    std::shared_ptr<SimHost> host_;
    SimPmemInventory &inventory_;
};

} // namespace

std::unique_ptr<HostBackings> makeSimBackings(std::shared_ptr<SimHost> host, SimPmemInventory &inventory)
{
    return std::make_unique<SimBackings>(std::move(host), inventory);
}

} // namespace xlnv::libxl
