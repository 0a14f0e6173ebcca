// Domain-level checks: libvirt's generic ones (with the QEMU driver's
// define semantics) and the rules Xen adds for NVDIMMs.
#include "conf/domain_conf.h"

#include "util/error.h"
#include "util/i18n.h"
#include "util/log.h"
#include "util/strutil.h"

namespace xlnv::conf {

namespace {

void checkMemoryTotals(const DomainXml &dom)
{
    const uint64_t devices = dom.devicesMemoryKiB();
    // With NUMA cells the QEMU driver's ABI update makes the total
    // sum(cells) + sum(devices), so <memory> cannot be too small.
    if (dom.numaCells().empty()) {
        const uint64_t total = dom.memoryKiB();
        if (total == 0)
            raise(ErrorCode::XmlError, "%s",
                  _("Memory size must be specified via <memory> or in the <numa> configuration"));
        if (devices > total)
            raise(ErrorCode::XmlError, "%s",
                  _("Total size of memory devices exceeds the total memory size"));
        if (devices == total)
            raise(ErrorCode::XmlError, "%s",
                  _("Memory size must be specified via <memory> or in the <numa> configuration"));
    }

    const uint64_t max = dom.maxMemoryKiB().value_or(0);
    if ((max > 0) != (dom.maxMemorySlots() > 0))
        raise(ErrorCode::XmlError, "%s",
              _("both maximum memory size and memory slot count must be specified"));
    if (max > 0 && max < dom.totalMemoryKiB())
        raise(ErrorCode::XmlError, "%s",
              _("maximum memory size must be equal or greater than the actual memory size"));
}

void checkNode(const DomainXml &dom, const NvdimmDef &def)
{
    if (!def.node)
        return;
    const size_t ncells = dom.numaCells().size();
    if (ncells == 0)
        raise(ErrorCode::XmlDetail, "%s",
              _("can't add memory backend as guest has no NUMA nodes configured"));
    if (*def.node >= ncells)
        raise(ErrorCode::XmlDetail,
              _("can't add memory backend for guest node '%u' as the guest has only '%zu' NUMA nodes configured"),
              *def.node, ncells);
}

// User aliases name devices across the whole domain.
void checkAliases(const std::vector<NvdimmDef> &devs)
{
    for (size_t i = 0; i < devs.size(); i++) {
        if (devs[i].alias.empty())
            continue;
        for (size_t j = 0; j < i; j++) {
            if (devs[j].alias == devs[i].alias)
                raise(ErrorCode::ConfigUnsupported, _("non unique alias detected: %s"),
                      devs[i].alias.c_str());
        }
    }
}

void checkPlacement(const std::vector<NvdimmDef> &devs)
{
    for (size_t i = 0; i < devs.size(); i++) {
        const DimmAddress &a = devs[i].address;
        if (!a.present)
            continue;
        for (size_t j = 0; j < i; j++) {
            const DimmAddress &b = devs[j].address;
            if (!b.present)
                continue;
            if (a.slot == b.slot)
                raise(ErrorCode::ConfigUnsupported,
                      _("memory device slot '%u' is already being used by another memory device"),
                      a.slot);
            if (!a.base || !b.base)
                continue;
            // Half-open byte ranges; sizes are KiB.
            const unsigned __int128 aEnd = a.base + static_cast<unsigned __int128>(devs[i].size_kib) * 1024;
            const unsigned __int128 bEnd = b.base + static_cast<unsigned __int128>(devs[j].size_kib) * 1024;
            if (a.base < bEnd && b.base < aEnd)
                raise(ErrorCode::ConfigUnsupported,
                      _("memory device '%s' at base '%s' overlaps with memory device '%s' at base '%s'"),
                      nvdimmDisplayName(devs[i]).c_str(), hex(a.base).c_str(),
                      nvdimmDisplayName(devs[j]).c_str(), hex(b.base).c_str());
        }
    }
}

} // namespace

void validateDomain(const DomainXml &dom)
{
    checkMemoryTotals(dom);
    const std::string arch = dom.arch();
    for (const auto &def : dom.nvdimms()) {
        checkNode(dom, def);
        validateNvdimm(def, arch);
    }
    checkAliases(dom.nvdimms());
    checkPlacement(dom.nvdimms());
}

void validateXenRules(const DomainXml &dom, unsigned flags)
{
    const auto &devs = dom.nvdimms();
    if (devs.empty())
        return;

    const std::string first = nvdimmDisplayName(devs.front());
    const std::string osType = dom.osType();
    if (osType == "xenpvh") {
        if (!(flags & kXenRulesNoPvhWarning))
            xlnv::warn(_("NVDIMM device '%s': a PVH guest (os type 'xenpvh') gets the memory mapping "
                         "but no ACPI tables (NFIT), so it cannot find the device by itself"),
                       first.c_str());
    } else if (osType != "hvm") {
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM device '%s' needs an HVM guest (os type 'hvm'), not os type '%s'"),
              first.c_str(), osType.c_str());
    }

    const unsigned slots = dom.maxMemorySlots();
    if (slots == 0 || !dom.maxMemoryKiB())
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM device '%s' needs <maxMemory slots='N'>: cannot use/hotplug a memory "
                "device when domain 'maxMemory' is not defined"),
              first.c_str());

    for (size_t i = 0; i < devs.size(); i++) {
        const NvdimmDef &def = devs[i];
        if (def.address.present && def.address.slot >= slots)
            raise(ErrorCode::ConfigUnsupported,
                  _("NVDIMM device '%s': memory device slot '%u' exceeds slots count '%u'"),
                  nvdimmDisplayName(def).c_str(), def.address.slot, slots);
        if (i >= slots)
            raise(ErrorCode::ConfigUnsupported,
                  _("NVDIMM device '%s': no free memory device slot available (maxMemory has %u slots)"),
                  nvdimmDisplayName(def).c_str(), slots);
    }
}

} // namespace xlnv::conf
