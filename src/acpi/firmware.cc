#include "acpi/firmware.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "acpi/ssdt.h"
#include "acpi/table.h"
#include "util/error.h"
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

namespace {

// Closes the descriptor and removes the temp file unless disarmed.
struct TempFile {
    std::string path;
    int fd = -1;
    bool keep = false;
    ~TempFile()
    {
        if (fd >= 0)
            ::close(fd);
        if (!keep && !path.empty())
            ::unlink(path.c_str());
    }
};

} // namespace

void writeAcpiFirmware(const std::string &path, const Bytes &blob)
{
    TempFile tmp;
    tmp.path = path + ".tmp";
    tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (tmp.fd < 0) {
        int err = errno;
        tmp.path.clear();
        raiseSystem(err, _("Failed to create file '%s'"), path.c_str());
    }
    size_t done = 0;
    while (done < blob.size()) {
        ssize_t n = ::write(tmp.fd, blob.data() + done, blob.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            raiseSystem(errno, _("Failed to write file '%s'"), path.c_str());
        done += static_cast<size_t>(n);
    }
    if (::fsync(tmp.fd) < 0)
        raiseSystem(errno, _("Failed to write file '%s'"), path.c_str());
    if (::close(tmp.fd) < 0) {
        tmp.fd = -1;
        raiseSystem(errno, _("Failed to write file '%s'"), path.c_str());
    }
    tmp.fd = -1;
    if (::rename(tmp.path.c_str(), path.c_str()) < 0)
        raiseSystem(errno, _("Failed to write file '%s'"), path.c_str());
    tmp.keep = true;
}

} // namespace xlnv::acpi
