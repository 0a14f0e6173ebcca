#include "sim/sim_pmem_inventory.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

#include "pmem/backing_handle.h"
#include "util/error.h"
#include "util/fd.h"
#include "util/safe_open.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::libxl {

namespace {

uint64_t roundUp(uint64_t v, uint64_t unit)
{
    return (v + unit - 1) / unit * unit;
}

ResolvedBacking singleExtent(const std::string &path, BackingKind kind, const PmemNamespace &ns,
                             uint64_t spa, uint64_t length)
{
    ResolvedBacking b;
    b.path = path;
    b.kind = kind;
    b.size = length;
    b.extents.push_back({0, spa, length});
    b.superpage = spa % (2 << 20) == 0 && length % (2 << 20) == 0;
    b.namespace_dev = ns.dev;
    b.numa_node = ns.numa_node;
    return b;
}

} // namespace

SimPmemInventory::SimPmemInventory(std::shared_ptr<SimHost> host) : host_(std::move(host)) {}

std::vector<PmemRegion> SimPmemInventory::regions()
{
    return host_->description().regions;
}

std::vector<PmemNamespace> SimPmemInventory::namespaces()
{
    std::vector<PmemNamespace> out;
    for (const auto &d : host_->description().namespaces) {
        PmemNamespace ns = d.ns;
        ns.mount = host_->mountPath(d);
        out.push_back(ns);
    }
    return out;
}

std::vector<std::string> SimPmemInventory::mountRoots() const
{
    std::vector<std::string> roots;
    for (const auto &d : host_->description().namespaces)
        if (const std::string mount = host_->mountPath(d); !mount.empty())
            roots.push_back(mount);
    return roots;
}

ResolvedBacking SimPmemInventory::resolveBacking(const std::string &path)
{
    for (const auto &d : host_->description().namespaces)
        if (d.ns.mode == PmemMode::Devdax && path == "/dev/" + d.ns.chardev)
            return singleExtent(path, BackingKind::Devdax, d.ns, d.ns.spa, d.ns.size);
    // Like the real host: beneath a mount, no link in any component.
    UniqueFd fd(openUnderRoots(path, mountRoots(), O_PATH));
    if (!fd) {
        if (errno == ENOENT)
            raise(ErrorCode::InvalidArg, _("backing '%s' does not exist; create it with pmem-provision"),
                  path.c_str());
        raiseSystem(errno, _("cannot resolve NVDIMM backing '%s'"), path.c_str());
    }
    return resolveFile(fd.get(), path);
}

ResolvedBacking SimPmemInventory::resolveFile(int fd, const std::string &path)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        raiseSystem(errno, _("cannot stat NVDIMM backing '%s'"), path.c_str());
    checkOpenableObject(st, path, false);
    for (const auto &d : host_->description().namespaces) {
        const std::string mount = host_->mountPath(d);
        if (mount.empty() || !startsWith(path, mount + "/"))
            continue;
        const std::string resolved = path;
        const uint64_t unit = d.ns.align ? d.ns.align : kPageSize;
        const uint64_t length = roundUp(std::max<uint64_t>(static_cast<uint64_t>(st.st_size), 1), unit);
        const std::string rel = resolved.substr(mount.size() + 1);

        SimHost::Session s(*host_, true);
        auto &files = s.state().allocations[d.ns.dev];
        // Forget files that were removed or replaced since.
        for (auto it = files.begin(); it != files.end();) {
            struct stat other;
            if (stat((mount + "/" + it->first).c_str(), &other) < 0 || other.st_ino != it->second.ino)
                it = files.erase(it);
            else
                ++it;
        }
        auto mine = files.find(rel);
        if (mine == files.end() || mine->second.length < length) {
            if (mine != files.end())
                files.erase(mine);
            // First fit after one reserved unit of filesystem metadata.
            std::vector<SimFileAllocation> used;
            for (const auto &entry : files)
                used.push_back(entry.second);
            std::sort(used.begin(), used.end(),
                      [](const auto &a, const auto &b) { return a.offset < b.offset; });
            uint64_t offset = unit;
            for (const auto &a : used) {
                if (a.offset >= offset + length)
                    break;
                offset = std::max(offset, a.offset + a.length);
            }
            if (offset + length > d.ns.size)
                raise(ErrorCode::OperationFailed,
                      _("no space left for '%s' on the simulated DAX filesystem of '%s'"),
                      path.c_str(), d.ns.blockdev.c_str());
            files[rel] = {static_cast<uint64_t>(st.st_ino), offset, length};
            s.commit();
        }
        const SimFileAllocation a = files[rel];
        return singleExtent(resolved, BackingKind::DaxFile, d.ns, d.ns.spa + a.offset, a.length);
    }
    raise(ErrorCode::InvalidArg,
          _("'%s' is neither a devdax device nor a file on a DAX filesystem of this host"),
          path.c_str());
}

} // namespace xlnv::libxl
