#include "security/remembered_label.h"

#include <cerrno>

#include "security/fault_injection.h"
#include "security/host_boot_time.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xattr.h"

namespace xlnv::security {

namespace {

const std::string kPrefix = "trusted.libvirt.security.";

// Like xattr::get, but "no xattrs here" becomes `unsupported`.
std::optional<std::string> getOrUnsupported(int fd, const std::string &name,
                                            const std::string &path, bool &unsupported)
{
    try {
        return xattr::get(fd, name, path);
    } catch (const Error &e) {
        if (xattr::isUnsupportedErrno(e.errnum())) {
            unsupported = true;
            return std::nullopt;
        }
        throw;
    }
}

} // namespace

std::string rememberedLabelAttr(const std::string &driver)
{
    return kPrefix + driver;
}

std::string rememberedRefAttr(const std::string &driver)
{
    return kPrefix + "ref_" + driver;
}

std::string rememberedTimestampAttr(const std::string &driver)
{
    return kPrefix + "timestamp_" + driver;
}

RememberedRecord readRemembered(int fd, const std::string &path, const std::string &driver)
{
    RememberedRecord rec;
    bool unsupported = false;
    auto ref = getOrUnsupported(fd, rememberedRefAttr(driver), path, unsupported);
    if (unsupported) {
        rec.supported = false;
        return rec;
    }
    if (!ref) {
        // The refcount is written last and removed first: label or
        // timestamp without it are what a labeling or a restore killed
        // halfway left. Nothing of it was committed; drop it so a restore
        // leaves no trace of the interrupted run.
        if (xattr::get(fd, rememberedLabelAttr(driver), path) ||
            xattr::get(fd, rememberedTimestampAttr(driver), path)) {
            warn(_("removing an incomplete %s seclabel record on '%s' (left by an interrupted "
                   "labeling or restore)"),
                 driver.c_str(), path.c_str());
            removeRemembered(fd, path, driver);
            rec.droppedIncomplete = true;
        }
        return rec;
    }

    auto stamp = xattr::get(fd, rememberedTimestampAttr(driver), path);
    if (!stamp || !isCurrentBoot(*stamp)) {
        warn(_("dropping stale %s seclabel record on '%s' (recorded at boot time %s, host booted at %s)"),
             driver.c_str(), path.c_str(), stamp ? stamp->c_str() : "-",
             hostBootTimeString().c_str());
        removeRemembered(fd, path, driver);
        rec.droppedStale = true;
        return rec;
    }

    unsigned count = 0;
    if (!parseUInt(*ref, count))
        raise(ErrorCode::Internal, _("malformed refcount '%s' in %s on '%s'"), ref->c_str(),
              rememberedRefAttr(driver).c_str(), path.c_str());
    if (count == 0)
        return rec;
    auto label = xattr::get(fd, rememberedLabelAttr(driver), path);
    if (!label)
        raise(ErrorCode::Internal, _("%s is %u on '%s' but %s is missing"),
              rememberedRefAttr(driver).c_str(), count, path.c_str(),
              rememberedLabelAttr(driver).c_str());
    rec.refcount = count;
    rec.label = *label;
    return rec;
}

RememberedView viewRemembered(const std::string &path, const std::string &driver)
{
    return viewRemembered(-1, path, driver);
}

RememberedView viewRemembered(int fd, const std::string &path, const std::string &driver)
{
    RememberedView view;
    auto quiet = [&](const std::string &name) -> std::optional<std::string> {
        try {
            return fd >= 0 ? xattr::get(fd, name, path) : xattr::getPath(path, name);
        } catch (const Error &e) {
            if (xattr::isUnsupportedErrno(e.errnum()))
                return std::nullopt;
            throw;
        }
    };
    view.label = quiet(rememberedLabelAttr(driver));
    view.refcount = quiet(rememberedRefAttr(driver));
    view.timestamp = quiet(rememberedTimestampAttr(driver));
    if (view.refcount || view.label || view.timestamp)
        view.stale = !view.timestamp || !isCurrentBoot(*view.timestamp);
    return view;
}

void writeRememberedFirst(int fd, const std::string &path, const std::string &driver,
                          const std::string &label)
{
    std::string point = driver + ".remember-label";
    faultPoint(point.c_str());
    xattr::set(fd, rememberedLabelAttr(driver), label, path);
    point = driver + ".remember-timestamp";
    faultPoint(point.c_str());
    xattr::set(fd, rememberedTimestampAttr(driver), hostBootTimeString(), path);
    writeRememberedRef(fd, path, driver, 1);
}

void writeRememberedRef(int fd, const std::string &path, const std::string &driver,
                        unsigned refcount)
{
    std::string point = driver + ".remember-ref";
    faultPoint(point.c_str());
    xattr::set(fd, rememberedRefAttr(driver), strprintf("%u", refcount), path);
}

void removeRemembered(int fd, const std::string &path, const std::string &driver)
{
    std::string point = driver + ".forget";
    faultPoint(point.c_str());
    xattr::remove(fd, rememberedRefAttr(driver), path);
    xattr::remove(fd, rememberedLabelAttr(driver), path);
    xattr::remove(fd, rememberedTimestampAttr(driver), path);
}

} // namespace xlnv::security
