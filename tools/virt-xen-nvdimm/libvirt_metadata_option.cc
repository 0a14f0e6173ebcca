#include "libvirt_metadata_option.h"

#include "libvirt/libvirt_metadata.h"
#include "libxl/nvdimm_driver.h"
#include "util/config.h"
#include "util/i18n.h"

namespace xlnv::cli {

std::shared_ptr<std::string> addLibvirtOption(CLI::App &sub)
{
    auto uri = std::make_shared<std::string>();
    sub.add_option("--libvirt", *uri,
                   _("keep the persistent definition in the domain's <metadata> in this "
                     "libvirt (default: [libvirt] uri)"))
        ->option_text("URI");
    return uri;
}

std::string libvirtMetadataUri(const std::string &option)
{
    if (!option.empty())
        return option;
    return Config::load().getString("libvirt", "uri", "");
}

std::string attachWithLibvirt(const std::string &uri, const std::string &domain,
                              const std::string &deviceXml, unsigned flags, const DriverStep &driver)
{
    if (uri.empty() || !(flags & libxl::kAffectConfig))
        return driver(flags);
    libxl::LibvirtMetadata metadata(uri);
    const conf::NvdimmDef stored = metadata.addDevice(domain, deviceXml, libxl::kAffectConfig);
    const unsigned live = flags & ~static_cast<unsigned>(libxl::kAffectConfig);
    if (!(live & libxl::kAffectLive))
        return conf::nvdimmDisplayName(stored);
    try {
        return driver(live);
    } catch (...) {
        // Leave libvirt as it was; the live error is the one to report.
        try {
            metadata.removeDevice(domain, conf::formatNvdimm(stored, conf::NVDIMM_INACTIVE),
                                  libxl::kAffectConfig);
        } catch (...) {
        }
        throw;
    }
}

std::string detachWithLibvirt(const std::string &uri, const std::string &domain,
                              const std::string &deviceXml, const std::string &alias,
                              unsigned flags, const DriverStep &driver)
{
    if (uri.empty() || !(flags & libxl::kAffectConfig))
        return driver(flags);
    libxl::LibvirtMetadata metadata(uri);
    const unsigned live = flags & ~static_cast<unsigned>(libxl::kAffectConfig);
    std::string result;
    if (live & libxl::kAffectLive)
        result = driver(live);
    const conf::NvdimmDef removed =
        alias.empty() ? metadata.removeDevice(domain, deviceXml, libxl::kAffectConfig)
                      : metadata.removeDeviceAlias(domain, alias, libxl::kAffectConfig);
    return result.empty() ? conf::nvdimmDisplayName(removed) : result;
}

} // namespace xlnv::cli
