#include "libvirt/libvirt_metadata.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "conf/domain_conf.h"
#include "conf/xml_doc.h"
#include "libxl/nvdimm_driver.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::libxl {

namespace {

// Elements of the metadata carry libvirt's namespace (or none, in what
// virDomainGetMetadata returns); the device parser wants plain names.
void stripNamespaces(xmlNodePtr node)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        node->ns = nullptr;
        for (xmlAttrPtr a = node->properties; a; a = a->next)
            a->ns = nullptr;
        stripNamespaces(node->children);
    }
}

std::vector<conf::NvdimmDef> devicesOfElement(xmlNodePtr devices)
{
    std::vector<conf::NvdimmDef> out;
    conf::XmlDocUPtr scratch(xmlNewDoc(BAD_CAST "1.0"));
    if (!scratch)
        throw std::bad_alloc();
    xmlNodePtr copy = xmlDocCopyNode(devices, scratch.get(), 1);
    if (!copy)
        throw std::bad_alloc();
    xmlDocSetRootElement(scratch.get(), copy);
    stripNamespaces(copy);
    for (xmlNodePtr child = copy->children; child; child = child->next) {
        if (child->type != XML_ELEMENT_NODE)
            continue;
        if (conf::xmlName(child) != "memory")
            raise(ErrorCode::XmlError, _("unexpected element <%s> in the NVDIMM metadata (namespace %s)"),
                  conf::xmlName(child).c_str(), kMetadataNamespace);
        out.push_back(conf::parseNvdimm(child, conf::NVDIMM_INACTIVE));
    }
    return out;
}

bool isOurDevicesElement(xmlNodePtr node)
{
    return node->type == XML_ELEMENT_NODE && conf::xmlName(node) == "devices" && node->ns &&
           node->ns->href && std::strcmp(reinterpret_cast<const char *>(node->ns->href),
                                         kMetadataNamespace) == 0;
}

xmlNodePtr findMetadataDevices(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr metadata = root ? conf::xmlChildElement(root, "metadata") : nullptr;
    if (!metadata)
        return nullptr;
    for (xmlNodePtr child = metadata->children; child; child = child->next)
        if (isOurDevicesElement(child))
            return child;
    return nullptr;
}

unsigned libvirtFlags(unsigned flags)
{
    unsigned out = VIR_DOMAIN_AFFECT_CURRENT;
    if (flags & kAffectLive)
        out |= VIR_DOMAIN_AFFECT_LIVE;
    if (flags & kAffectConfig)
        out |= VIR_DOMAIN_AFFECT_CONFIG;
    return out;
}

std::string libvirtMessage()
{
    virErrorPtr err = virGetLastError();
    return err && err->message ? err->message : _("unknown libvirt error");
}

int libvirtCode()
{
    virErrorPtr err = virGetLastError();
    return err ? err->code : VIR_ERR_OK;
}

// libvirt prints every error on stderr unless told otherwise; we report
// them ourselves.
void quietLibvirt(void *, virErrorPtr) {}

struct DomainFree {
    void operator()(virDomain *dom) const noexcept { virDomainFree(dom); }
};
using DomainPtr = std::unique_ptr<virDomain, DomainFree>;

} // namespace

std::vector<conf::NvdimmDef> parseMetadataDevices(const std::string &fragment)
{
    conf::XmlDocUPtr doc = conf::parseXmlDocument(fragment, "(metadata)");
    xmlNodePtr root = xmlDocGetRootElement(doc.get());
    if (conf::xmlName(root) != "devices")
        raise(ErrorCode::XmlError, _("expected <devices> as the root of the NVDIMM metadata, found <%s>"),
              conf::xmlName(root).c_str());
    return devicesOfElement(root);
}

std::string formatMetadataDevices(const std::vector<conf::NvdimmDef> &devices)
{
    std::string out = "<devices>\n";
    for (const auto &d : devices)
        out += conf::formatNvdimm(d, conf::NVDIMM_INACTIVE, 2);
    out += "</devices>\n";
    return out;
}

std::vector<conf::NvdimmDef> metadataDevicesOfDomain(const std::string &domainXml)
{
    conf::XmlDocUPtr doc = conf::parseXmlDocument(domainXml, "(domain)");
    xmlNodePtr devices = findMetadataDevices(doc.get());
    return devices ? devicesOfElement(devices) : std::vector<conf::NvdimmDef>{};
}

std::string domainXmlWithMetadataDevices(const std::string &domainXml)
{
    conf::DomainXml dom = conf::DomainXml::parseString(domainXml, 0);
    if (!dom.nvdimms().empty())
        return domainXml;
    const auto stored = metadataDevicesOfDomain(domainXml);
    if (stored.empty())
        return domainXml;
    for (const auto &d : stored)
        dom.addNvdimm(d);
    return dom.format();
}

struct LibvirtMetadata::Impl {
    std::string uri;
    virConnectPtr conn = nullptr;

    ~Impl()
    {
        if (conn)
            virConnectClose(conn);
    }

    DomainPtr lookup(const std::string &domain)
    {
        DomainPtr dom(virDomainLookupByName(conn, domain.c_str()));
        if (!dom) {
            if (libvirtCode() == VIR_ERR_NO_DOMAIN)
                raise(ErrorCode::NoDomain, _("no domain with matching name '%s' in libvirt (%s)"),
                      domain.c_str(), uri.c_str());
            raise(ErrorCode::OperationFailed, _("cannot look up domain '%s' in libvirt (%s): %s"),
                  domain.c_str(), uri.c_str(), libvirtMessage().c_str());
        }
        return dom;
    }

    std::vector<conf::NvdimmDef> read(virDomainPtr dom, const std::string &domain, unsigned flags)
    {
        // Reading takes one of live or config; both means the persistent one.
        unsigned vflags = libvirtFlags(flags);
        if ((vflags & VIR_DOMAIN_AFFECT_LIVE) && (vflags & VIR_DOMAIN_AFFECT_CONFIG))
            vflags = VIR_DOMAIN_AFFECT_CONFIG;
        char *text = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, kMetadataNamespace, vflags);
        if (!text) {
            if (libvirtCode() == VIR_ERR_NO_DOMAIN_METADATA)
                return {};
            raise(ErrorCode::OperationFailed,
                  _("cannot read the NVDIMM metadata of domain '%s' from libvirt: %s"), domain.c_str(),
                  libvirtMessage().c_str());
        }
        std::string fragment(text);
        free(text);
        return parseMetadataDevices(fragment);
    }

    void write(virDomainPtr dom, const std::string &domain,
               const std::vector<conf::NvdimmDef> &devices, unsigned flags)
    {
        const std::string fragment = formatMetadataDevices(devices);
        if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                 devices.empty() ? nullptr : fragment.c_str(), kMetadataPrefix,
                                 kMetadataNamespace, libvirtFlags(flags)) < 0)
            raise(ErrorCode::OperationFailed,
                  _("cannot store the NVDIMM metadata of domain '%s' in libvirt: %s"), domain.c_str(),
                  libvirtMessage().c_str());
    }

    conf::NvdimmDef remove(const std::string &domain, const conf::NvdimmDef &wanted, unsigned flags)
    {
        DomainPtr dom = lookup(domain);
        auto stored = read(dom.get(), domain, flags);
        const long index = conf::findNvdimmByDef(stored, wanted);
        if (index < 0)
            raise(ErrorCode::OperationFailed,
                  _("matching NVDIMM '%s' not found in the metadata of domain '%s'"),
                  conf::nvdimmDisplayName(wanted).c_str(), domain.c_str());
        conf::NvdimmDef removed = stored[static_cast<size_t>(index)];
        stored.erase(stored.begin() + index);
        write(dom.get(), domain, stored, flags);
        return removed;
    }
};

LibvirtMetadata::LibvirtMetadata(const std::string &uri) : impl_(std::make_unique<Impl>())
{
    static std::once_flag once;
    std::call_once(once, [] { virSetErrorFunc(nullptr, quietLibvirt); });
    impl_->uri = uri;
    impl_->conn = virConnectOpen(uri.c_str());
    if (!impl_->conn)
        raise(ErrorCode::NoConnect, _("cannot open libvirt connection '%s': %s"), uri.c_str(),
              libvirtMessage().c_str());
}

LibvirtMetadata::~LibvirtMetadata() = default;

std::vector<conf::NvdimmDef> LibvirtMetadata::devices(const std::string &domain, unsigned flags)
{
    DomainPtr dom = impl_->lookup(domain);
    return impl_->read(dom.get(), domain, flags);
}

conf::NvdimmDef LibvirtMetadata::addDevice(const std::string &domain, const std::string &deviceXml,
                                           unsigned flags)
{
    // Refuse a bad device before libvirt is asked anything.
    conf::NvdimmDef def = conf::parseNvdimmString(deviceXml, conf::NVDIMM_INACTIVE);
    conf::validateNvdimm(def, "");

    DomainPtr dom = impl_->lookup(domain);
    auto stored = impl_->read(dom.get(), domain, flags);
    for (const auto &d : stored) {
        if (d.path == def.path)
            raise(ErrorCode::OperationInvalid,
                  _("an NVDIMM with source path '%s' is already defined for domain '%s'"),
                  def.path.c_str(), domain.c_str());
        if (!def.alias.empty() && d.alias == def.alias)
            raise(ErrorCode::OperationInvalid,
                  _("an NVDIMM with alias '%s' is already defined for domain '%s'"),
                  def.alias.c_str(), domain.c_str());
    }
    stored.push_back(def);
    impl_->write(dom.get(), domain, stored, flags);
    return def;
}

conf::NvdimmDef LibvirtMetadata::removeDevice(const std::string &domain, const std::string &deviceXml,
                                              unsigned flags)
{
    const conf::NvdimmDef wanted = conf::parseNvdimmString(deviceXml, conf::NVDIMM_INACTIVE);
    return impl_->remove(domain, wanted, flags);
}

conf::NvdimmDef LibvirtMetadata::removeDeviceAlias(const std::string &domain, const std::string &alias,
                                                   unsigned flags)
{
    if (alias.empty())
        raise(ErrorCode::InvalidArg, _("an NVDIMM alias must not be empty"));
    conf::NvdimmDef wanted;
    wanted.alias = alias;
    return impl_->remove(domain, wanted, flags);
}

std::string LibvirtMetadata::domainXml(const std::string &domain, unsigned flags)
{
    DomainPtr dom = impl_->lookup(domain);
    char *xml = virDomainGetXMLDesc(dom.get(), (flags & kAffectConfig) ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!xml)
        raise(ErrorCode::OperationFailed, _("cannot read the XML of domain '%s' from libvirt: %s"),
              domain.c_str(), libvirtMessage().c_str());
    std::string out(xml);
    free(xml);
    return out;
}

} // namespace xlnv::libxl
