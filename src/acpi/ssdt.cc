#include "acpi/ssdt.h"

#include <algorithm>

#include "acpi/nfit.h"
#include "acpi/table.h"
#include "util/error.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::acpi {

std::string ssdtChildName(unsigned slot)
{
    if (slot >= kSsdtMaxSlots)
        raise(ErrorCode::ConfigUnsupported,
              _("NVDIMM slot %u cannot be named in the SSDT (at most 255)"), slot);
    return strprintf("NV%02X", slot);
}

namespace {

// Method(_FIT, 0, Serialized): up to kFitReadTries reads of the page;
// a stable, plausible FIT becomes the new last good copy (CopyObject:
// Store into a Buffer object would truncate to the old length).
Bytes fitMethod()
{
    const Bytes tries = amlLocal(0), gen = amlLocal(1), len = amlLocal(2), copy = amlLocal(3);
    const Bytes fitb = amlNameString("FITB");
    const Bytes stable = amlConcat({
        amlStore(amlNameString("FLEN"), len),
        amlIf(amlLOr(amlLGreater(len, amlInteger(kFitPageCapacity)), amlLLess(len, amlSizeOf(fitb))),
              amlReturn(fitb)),
        amlStore(amlMid(amlNameString("FDAT"), amlInteger(0), len), copy),
        amlIf(amlLEqual(amlNameString("FGEN"), gen),
              amlConcat({amlCopyObject(copy, fitb), amlReturn(fitb)})),
    });
    const Bytes loop = amlWhile(amlLLess(tries, amlInteger(kFitReadTries)),
                                amlConcat({
                                    amlStore(amlNameString("FGEN"), gen),
                                    amlIf(amlLNot(amlAnd(gen, amlInteger(1))), stable),
                                    amlIncrement(tries),
                                }));
    return amlMethod("_FIT", 0, true,
                     amlConcat({amlStore(amlInteger(0), tries), loop, amlReturn(fitb)}));
}

Bytes gedDevice(unsigned irq)
{
    return amlDevice("\\_SB.NVGE",
                     amlConcat({
                         amlName("_HID", amlString("ACPI0013")),
                         amlName("_CRS", amlInterruptResource(irq)),
                         amlMethod("_EVT", 1, false,
                                   amlNotify(amlNameString("\\_SB.NVDR"), amlInteger(0x80))),
                     }));
}

Bytes childDevice(unsigned slot)
{
    return amlDevice(ssdtChildName(slot), amlName("_ADR", amlInteger(nfitDeviceHandle(slot))));
}

} // namespace

Bytes nvdimmRootAml(const std::vector<unsigned> &slots, const std::optional<NvdimmHotplug> &hotplug)
{
    Bytes body = amlName("_HID", amlString("ACPI0012"));
    if (!hotplug) {
        for (unsigned slot : slots)
            amlAppend(body, childDevice(slot));
        return amlDevice("\\_SB.NVDR", body);
    }
    if (hotplug->boot_fit.size() > kFitPageCapacity)
        raise(ErrorCode::ConfigUnsupported,
              _("the guest's NVDIMM table needs %zu bytes, but its FIT page holds %u (at most %u NVDIMMs)"),
              hotplug->boot_fit.size(), kFitPageCapacity, kFitPageMaxNvdimms);
    if (hotplug->irq == 0 || hotplug->irq == 2 || hotplug->irq > 15)
        raise(ErrorCode::ConfigUnsupported, _("NVDIMM hotplug IRQ %u is not a usable ISA IRQ (1, 3-15)"),
              hotplug->irq);
    amlAppend(body, amlOperationRegion("FITR", kRegionSystemMemory, hotplug->fit_page, kFitPageSize));
    amlAppend(body, amlField("FITR", kFieldDWordAccNoLockPreserve,
                             {{"FGEN", 32}, {"FLEN", 32}, {"FDAT", kFitPageCapacity * 8}}));
    amlAppend(body, amlName("FITB", amlBuffer(hotplug->boot_fit)));
    amlAppend(body, fitMethod());
    std::vector<unsigned> all = slots;
    for (unsigned s = 0; s < std::min(hotplug->slots, kSsdtMaxSlots); s++)
        all.push_back(s);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    for (unsigned slot : all)
        amlAppend(body, childDevice(slot));
    return amlConcat({amlDevice("\\_SB.NVDR", body), gedDevice(hotplug->irq)});
}

std::optional<NvdimmHotplug> parseHotplugSsdt(const Bytes &ssdt)
{
    auto find = [&ssdt](const Bytes &needle) -> std::optional<size_t> {
        auto it = std::search(ssdt.begin(), ssdt.end(), needle.begin(), needle.end());
        if (it == ssdt.end())
            return std::nullopt;
        return static_cast<size_t>(it - ssdt.begin()) + needle.size();
    };
    auto le = [&ssdt](size_t at, unsigned n) -> std::optional<uint64_t> {
        if (at + n > ssdt.size())
            return std::nullopt;
        uint64_t v = 0;
        for (unsigned i = 0; i < n; i++)
            v |= static_cast<uint64_t>(ssdt[at + i]) << (8 * i);
        return v;
    };
    // OperationRegion(FITR, SystemMemory, <integer>, ...)
    const auto region = find(Bytes{0x5B, 0x80, 'F', 'I', 'T', 'R', kRegionSystemMemory});
    // Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) {irq}
    const auto irqAt = find(Bytes{0x89, 0x06, 0x00, 0x03, 0x01});
    if (!region || !irqAt || *region >= ssdt.size())
        return std::nullopt;
    std::optional<uint64_t> page;
    switch (ssdt[*region]) {
    case 0x0B: page = le(*region + 1, 2); break;
    case 0x0C: page = le(*region + 1, 4); break;
    case 0x0E: page = le(*region + 1, 8); break;
    default: break;
    }
    const auto irq = le(*irqAt, 4);
    if (!page || !irq)
        return std::nullopt;
    NvdimmHotplug hp;
    hp.fit_page = *page;
    hp.irq = static_cast<unsigned>(*irq);
    for (unsigned slot = 0; slot < kSsdtMaxSlots; slot++)
        if (find(amlNameString(ssdtChildName(slot))))
            hp.slots = slot + 1;
    return hp;
}

Bytes buildNvdimmSsdt(const std::vector<unsigned> &slots, const std::optional<NvdimmHotplug> &hotplug)
{
    // Revision 2: integers are 64 bit (ACPI 6.4, 5.2.11.2 / 19.6.29).
    return buildTable("SSDT", 2, nvdimmRootAml(slots, hotplug));
}

} // namespace xlnv::acpi
