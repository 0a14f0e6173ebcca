#include "sim/sim_backings.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "pmem/backing.h"
#include "pmem/backing_handle.h"
#include "pmem/provision.h"
#include "sim/sim_host.h"
#include "sim/sim_pmem_inventory.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/i18n.h"
#include "util/safe_open.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

[[noreturn]] void raiseBackingOpen(int err, const std::string &path)
{
    if (err == ELOOP)
        raise(ErrorCode::ConfigUnsupported,
              _("backing path '%s' is or passes through a symbolic link"), path.c_str());
    if (err == EXDEV)
        raise(ErrorCode::ConfigUnsupported,
              _("backing path '%s' leaves its persistent memory root"), path.c_str());
    raiseSystem(err, _("cannot open NVDIMM backing '%s'"), path.c_str());
}

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

    HeldBacking hold(const std::string &path, uint64_t size, const ProgressFn &progress) override
    {
        HeldBacking out;
        out.path = path;
        out.object = hostObject(path);
        if (devdax(path)) {
            // The stand-in image lives in the sim's own state directory.
            UniqueFd fd(openNoLinks(AT_FDCWD, out.object, O_PATH, 0, false));
            if (!fd)
                raiseSystem(errno, _("cannot open NVDIMM backing '%s'"), path.c_str());
            out.fd = reopenForIo(fd.get(), O_RDWR, path);
            out.id = identityOf(out.fd.get());
            out.pin_kind = PinKind::ClaimOnly;
            out.resolved = inventory_.resolveBacking(path);
            return out;
        }
        if (size == 0 || size % kPageSize)
            raise(ErrorCode::InvalidArg,
                  _("the NVDIMM target size %llu for '%s' must be a positive multiple of 4 KiB"),
                  static_cast<unsigned long long>(size), path.c_str());
        const std::vector<std::string> mounts = inventory_.mountRoots();
        // O_PATH first, beneath a mount, no link in any component.
        UniqueFd fd(openUnderRoots(path, mounts, O_PATH));
        if (!fd && errno == ENOENT) {
            std::string base;
            UniqueFd dir = openParentUnderRoots(path, mounts, base);
            if (!dir)
                raiseBackingOpen(errno, path);
            fd.reset(openNoLinks(dir.get(), base, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY, 0600));
            if (!fd)
                raiseSystem(errno, _("cannot create NVDIMM backing '%s'"), path.c_str());
            out.created = true;
        } else if (!fd) {
            raiseBackingOpen(errno, path);
        }
        struct stat st;
        if (fstat(fd.get(), &st) < 0)
            raiseSystem(errno, _("cannot stat NVDIMM backing '%s'"), path.c_str());
        out.id = identityOf(fd.get());
        try {
            checkOpenableObject(st, path, false);
            out.fd = out.created ? std::move(fd) : reopenForIo(fd.get(), O_RDWR, path);
            out.old_size = static_cast<uint64_t>(st.st_size);
            out.grown = !out.created && out.old_size < size;
            fillFile(out.fd.get(), size, false, path, progress);
            if (progress)
                progress({ProgressPhase::Resolving, path, 0, 0});
            out.resolved = inventory_.resolveFile(out.fd.get(), path);
        } catch (...) {
            discard(out);
            throw;
        }
        return out;
    }

    UniqueFd probe(const std::string &path) override
    {
        if (devdax(path))
            return UniqueFd(openNoLinks(AT_FDCWD, hostObject(path), O_PATH, 0, false));
        return UniqueFd(openUnderRoots(path, inventory_.mountRoots(), O_PATH));
    }

    std::vector<std::string> roots() override
    {
        std::vector<std::string> out = inventory_.mountRoots();
        for (const auto &d : host_->description().namespaces)
            if (d.ns.mode == PmemMode::Devdax) {
                const std::string image = host_->backingFile(d);
                out.push_back(image.substr(0, image.rfind('/')));
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

    void discardCreated(const std::string &path, uint64_t ino) noexcept override
    {
        unlinkUnderRootsIfSameInode(path, inventory_.mountRoots(), ino);
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

    std::shared_ptr<SimHost> host_;
    SimPmemInventory &inventory_;
};

} // namespace

std::unique_ptr<HostBackings> makeSimBackings(std::shared_ptr<SimHost> host, SimPmemInventory &inventory)
{
    return std::make_unique<SimBackings>(std::move(host), inventory);
}

} // namespace xlnv::libxl
