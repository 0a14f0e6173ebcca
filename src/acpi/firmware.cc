#include "acpi/firmware.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "acpi/ssdt.h"
#include "acpi/table.h"
#include "util/error.h"
#include "util/state_dir.h"
#include "util/i18n.h"

namespace xlnv::acpi {

Bytes buildAcpiFirmware(const std::vector<NfitDevice> &devices, std::optional<NvdimmHotplug> hotplug)
{
    std::vector<unsigned> slots;
    for (const auto &d : devices)
        slots.push_back(d.slot);
    Bytes blob;
    if (!hotplug || !devices.empty())
        blob = buildNfit(devices);
    if (hotplug)
        hotplug->boot_fit = buildFit(devices);
    amlAppend(blob, buildNvdimmSsdt(slots, hotplug));
    return blob;
}

std::vector<Bytes> splitAcpiTables(const Bytes &blob)
{
    std::vector<Bytes> tables;
    size_t pos = 0;
    while (pos < blob.size()) {
        if (blob.size() - pos < kTableHeaderSize)
            raise(ErrorCode::InvalidArg, _("ACPI table header cut short at offset %zu"), pos);
        uint32_t length = 0;
        for (int i = 0; i < 4; i++)
            length |= static_cast<uint32_t>(blob[pos + 4 + i]) << (8 * i);
        if (length < kTableHeaderSize || length > blob.size() - pos)
            raise(ErrorCode::InvalidArg, _("ACPI table at offset %zu has a bad length %u"), pos, length);
        Bytes table(blob.begin() + pos, blob.begin() + pos + length);
        if (tableByteSum(table) != 0)
            raise(ErrorCode::InvalidArg, _("ACPI table at offset %zu has a bad checksum"), pos);
        tables.push_back(std::move(table));
        pos += length;
    }
    return tables;
}

void writeAcpiFirmware(const std::string &path, const Bytes &blob)
{
    libxl::writeFileAtomic(path, std::string(blob.begin(), blob.end()), 0644);
}

} // namespace xlnv::acpi
