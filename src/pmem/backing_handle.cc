#include "pmem/backing_handle.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv {

namespace {

std::string joinRoots(const std::vector<std::string> &roots)
{
    std::string out;
    for (const auto &r : roots)
        out += (out.empty() ? "" : ", ") + r;
    return out.empty() ? std::string(_("none")) : out;
}

// The directory a root stands for and the path relative to it; false
// when `path` is not under `root`.
bool splitUnder(std::string root, const std::string &path, std::string &dir, std::string &rel)
{
    if (root.find_first_of("*?[") != std::string::npos) {
        if (fnmatch(root.c_str(), path.c_str(), FNM_PATHNAME) != 0)
            return false;
        const size_t glob = root.find_first_of("*?[");
        const size_t slash = root.rfind('/', glob);
        dir = slash == 0 ? "/" : root.substr(0, slash);
        rel = path.substr(slash + 1);
        return !rel.empty();
    }
    while (root.size() > 1 && root.back() == '/')
        root.pop_back();
    if (root.empty() || root[0] != '/')
        return false;
    if (root == "/") {
        dir = "/";
        rel = path.substr(1);
        return !rel.empty();
    }
    if (!startsWith(path, root + "/"))
        return false;
    dir = root;
    rel = path.substr(root.size() + 1);
    return !rel.empty();
}

} // namespace

void checkBackingPathSyntax(const std::string &path)
{
    bool ok = !path.empty() && path[0] == '/' && path.size() < PATH_MAX && path != "/" &&
              path.find('\0') == std::string::npos;
    if (ok) {
        auto parts = split(std::string_view(path).substr(1), '/');
        for (const auto &p : parts)
            ok = ok && !p.empty() && p != "." && p != "..";
    }
    if (!ok)
        raise(ErrorCode::InvalidArg,
              _("backing path '%s' must be an absolute path shorter than %d bytes without '.', '..' or "
                "empty components"),
              quoteBounded(path).c_str(), PATH_MAX);
}

RootedPath rootedPath(const std::string &path, const std::vector<std::string> &roots)
{
    checkBackingPathSyntax(path);
    for (const auto &root : roots) {
        std::string dir, rel;
        if (!splitUnder(root, path, dir, rel))
            continue;
        // The roots are the administrator's; below them nothing is trusted.
        UniqueFd fd(openNoLinks(AT_FDCWD, dir, O_PATH | O_DIRECTORY, 0, false));
        if (!fd)
            raiseSystem(errno, _("cannot open the persistent memory root '%s'"), dir.c_str());
        return RootedPath{std::move(fd), rel};
    }
    raise(ErrorCode::AccessDenied,
          _("backing '%s' is outside the configured persistent memory roots (%s)"),
          path.c_str(), joinRoots(roots).c_str());
}

int openUnderRoots(const std::string &path, const std::vector<std::string> &roots, int flags, mode_t mode)
{
    RootedPath r = rootedPath(path, roots);
    return openNoLinks(r.root.get(), r.rel, flags, mode);
}

UniqueFd openParentUnderRoots(const std::string &path, const std::vector<std::string> &roots,
                              std::string &base)
{
    RootedPath r = rootedPath(path, roots);
    const size_t slash = r.rel.rfind('/');
    base = slash == std::string::npos ? r.rel : r.rel.substr(slash + 1);
    if (slash == std::string::npos)
        return std::move(r.root);
    return UniqueFd(openNoLinks(r.root.get(), r.rel.substr(0, slash), O_PATH | O_DIRECTORY));
}

void unlinkUnderRootsIfSameInode(const std::string &path, const std::vector<std::string> &roots,
                                 uint64_t ino) noexcept
{
    if (!ino)
        return;
    try {
        std::string base;
        UniqueFd dir = openParentUnderRoots(path, roots, base);
        struct stat st {};
        if (dir && fstatat(dir.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_ino) == ino)
            unlinkat(dir.get(), base.c_str(), 0);
    } catch (const Error &) {
    }
}

UniqueFd reopenIdentity(const FileIdentity &id, const std::string &path,
                        const std::vector<std::string> &roots)
{
    if (!id.handle.empty()) {
        for (const auto &root : roots) {
            std::string dir, rel;
            if (!splitUnder(root, path, dir, rel))
                continue;
            // open_by_handle_at wants a real descriptor on the filesystem, not O_PATH.
            UniqueFd mount(openNoLinks(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, false));
            struct stat st {};
            if (mount && fstat(mount.get(), &st) == 0 && static_cast<uint64_t>(st.st_dev) == id.dev)
                if (UniqueFd fd = openByIdentity(id, mount.get()); fd)
                    return fd;
        }
    }
    try {
        UniqueFd fd(openUnderRoots(path, roots, O_PATH));
        struct stat st {};
        if (fd && fstat(fd.get(), &st) == 0 && (!id.known() || id.sameInode(st)))
            return fd;
    } catch (const Error &) {
    }
    return UniqueFd();
}

} // namespace xlnv
