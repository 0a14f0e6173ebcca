// Persistent NVDIMM definitions of a libvirt-managed domain, kept in the
// domain's <metadata> under this project's namespace, because stock
// libvirt's libxl driver refuses <memory> devices in <devices>:
//
//   <metadata>
//     <nvdimm:devices xmlns:nvdimm="https://libxl-nvdimm.org/xmlns/nvdimm/1.0">
//       <nvdimm:memory model="nvdimm">...</nvdimm:memory>
//     </nvdimm:devices>
//   </metadata>
//
// libvirt puts every element of the fragment into the namespace; readers
// here accept the elements with or without it. The pure XML part needs
// no libvirt connection (the hook reads the metadata from the domain XML
// libvirt hands it); LibvirtMetadata reads and writes through libvirt's
// client API (virDomainGetMetadata / virDomainSetMetadata).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "conf/nvdimm_conf.h"

namespace xlnv::libxl {

constexpr const char *kMetadataNamespace = "https://libxl-nvdimm.org/xmlns/nvdimm/1.0";
constexpr const char *kMetadataPrefix = "nvdimm";

// The devices of a metadata fragment whose root is <devices> (what
// virDomainGetMetadata returns). XmlError naming the element when it is
// something else or holds a bad device.
std::vector<conf::NvdimmDef> parseMetadataDevices(const std::string &fragment);
// The fragment virDomainSetMetadata takes (canonical, persistent form).
std::string formatMetadataDevices(const std::vector<conf::NvdimmDef> &devices);

// The devices stored in a whole domain XML's <metadata> (empty when it
// has none).
std::vector<conf::NvdimmDef> metadataDevicesOfDomain(const std::string &domainXml);

// The domain XML to prepare: unchanged when its <devices> has NVDIMMs or
// its metadata has none, else with the metadata's devices added to
// <devices>.
std::string domainXmlWithMetadataDevices(const std::string &domainXml);

// A libvirt connection for editing the metadata of its domains.
class LibvirtMetadata {
public:
    // NoConnect when libvirt refuses the URI.
    explicit LibvirtMetadata(const std::string &uri);
    ~LibvirtMetadata();
    LibvirtMetadata(const LibvirtMetadata &) = delete;
    LibvirtMetadata &operator=(const LibvirtMetadata &) = delete;

    // flags: libxl::ModifyFlags (config, live, current), mapped to
    // VIR_DOMAIN_AFFECT_*. NoDomain for an unknown domain.
    std::vector<conf::NvdimmDef> devices(const std::string &domain, unsigned flags);
    // Validates the device before touching libvirt; OperationInvalid when
    // a device with the same path or user alias is already stored.
    // Returns the stored device.
    conf::NvdimmDef addDevice(const std::string &domain, const std::string &deviceXml,
                              unsigned flags);
    // Removes the matching device (conf::findNvdimmByDef) and returns it;
    // OperationFailed when none matches. The metadata element goes away
    // with the last device.
    conf::NvdimmDef removeDevice(const std::string &domain, const std::string &deviceXml,
                                 unsigned flags);
    conf::NvdimmDef removeDeviceAlias(const std::string &domain, const std::string &alias,
                                      unsigned flags);
    // virDomainGetXMLDesc (inactive when flags has kAffectConfig).
    std::string domainXml(const std::string &domain, unsigned flags);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace xlnv::libxl
