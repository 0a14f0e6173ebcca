#include "acpi/ssdt.h"

#include "acpi/nfit.h"
#include "acpi/table.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::acpi {

std::string ssdtChildName(unsigned slot)
{
    if (slot > 0xFF)
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM slot %u cannot be named in the SSDT (at most 255)"), slot);
    return strprintf("NV%02X", slot);
}

Bytes nvdimmRootAml(const std::vector<unsigned> &slots)
{
    Bytes body = amlName("_HID", amlString("ACPI0012"));
    for (unsigned slot : slots)
        amlAppend(body, amlDevice(ssdtChildName(slot),
                                  amlName("_ADR", amlInteger(nfitDeviceHandle(slot)))));
    return amlDevice("\\_SB.NVDR", body);
}

Bytes buildNvdimmSsdt(const std::vector<unsigned> &slots)
{
    // Revision 2: integers are 64 bit (ACPI 6.4, 5.2.11.2 / 19.6.29).
    return buildTable("SSDT", 2, nvdimmRootAml(slots));
}

} // namespace xlnv::acpi
