#include "acpi/table_upgrade.h"

#include <archive.h>
#include <archive_entry.h>

#include <cctype>
#include <memory>
#include <string>

#include "acpi/firmware.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::acpi {

namespace {

struct ArchiveFree {
    void operator()(archive *a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry *e) const { archive_entry_free(e); }
};

la_ssize_t appendToBytes(archive *, void *client, const void *buf, size_t len)
{
    auto *out = static_cast<Bytes *>(client);
    const auto *p = static_cast<const uint8_t *>(buf);
    out->insert(out->end(), p, p + len);
    return static_cast<la_ssize_t>(len);
}

[[noreturn]] void archiveFailed(archive *a)
{
    raise(ErrorCode::Internal, _("cannot build the ACPI table upgrade cpio: %s"),
          archive_error_string(a) ? archive_error_string(a) : "?");
}

// Fixed owner and times: the same tables give the same bytes.
void addEntry(archive *a, const std::string &path, bool dir, const Bytes *data)
{
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), dir ? 0755 : 0644);
    archive_entry_set_size(e.get(), data ? static_cast<la_int64_t>(data->size()) : 0);
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a, e.get()) != ARCHIVE_OK)
        archiveFailed(a);
    if (data && !data->empty() &&
        archive_write_data(a, data->data(), data->size()) != static_cast<la_ssize_t>(data->size()))
        archiveFailed(a);
}

// "NFIT" -> "nfit.aml"; a second table of the same signature gets a number.
std::string tableFileName(const Bytes &table, unsigned seen)
{
    std::string name;
    for (int i = 0; i < 4; i++)
        name += static_cast<char>(std::tolower(table[i]));
    if (seen > 0)
        name += std::to_string(seen);
    return name + ".aml";
}

} // namespace

Bytes buildTableUpgradeCpio(const Bytes &firmware)
{
    const std::vector<Bytes> tables = splitAcpiTables(firmware);
    Bytes out;
    std::unique_ptr<archive, ArchiveFree> a(archive_write_new());
    if (!a || archive_write_set_format_cpio_newc(a.get()) != ARCHIVE_OK ||
        archive_write_add_filter_none(a.get()) != ARCHIVE_OK ||
        // The kernel reads the cpio as it is: no padding to a block size.
        archive_write_set_bytes_per_block(a.get(), 0) != ARCHIVE_OK ||
        archive_write_open2(a.get(), &out, nullptr, appendToBytes, nullptr, nullptr) != ARCHIVE_OK)
        archiveFailed(a.get());
    addEntry(a.get(), "kernel", true, nullptr);
    addEntry(a.get(), "kernel/firmware", true, nullptr);
    addEntry(a.get(), "kernel/firmware/acpi", true, nullptr);
    std::vector<std::string> used;
    for (const Bytes &t : tables) {
        unsigned seen = 0;
        const std::string sig(t.begin(), t.begin() + 4);
        for (const auto &u : used)
            seen += u == sig;
        used.push_back(sig);
        addEntry(a.get(), "kernel/firmware/acpi/" + tableFileName(t, seen), false, &t);
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        archiveFailed(a.get());
    return out;
}

} // namespace xlnv::acpi
