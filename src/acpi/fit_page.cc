#include "acpi/fit_page.h"

#include "acpi/table.h"
#include "util/error.h"
#include "util/i18n.h"

namespace xlnv::acpi {

namespace {
uint32_t getU32(const Bytes &b, size_t at)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < 4; i++)
        v |= static_cast<uint32_t>(b[at + i]) << (8 * i);
    return v;
}
} // namespace

uint64_t fitPageAddress(uint64_t window_base) { return window_base - kFitPageSize; }

Bytes buildFitPage(uint32_t generation, const Bytes &fit)
{
    if (fit.size() > kFitPageCapacity)
        raise(ErrorCode::ConfigUnsupported,
              _("the guest's NVDIMM table needs %zu bytes, but its FIT page holds %u (at most %u NVDIMMs)"),
              fit.size(), kFitPageCapacity, kFitPageMaxNvdimms);
    Bytes page;
    putU32(page, generation);
    putU32(page, static_cast<uint32_t>(fit.size()));
    amlAppend(page, fit);
    page.resize(kFitPageSize, 0);
    return page;
}

Bytes readFitPage(const Bytes &page, const Bytes &last_good)
{
    if (page.size() < kFitPageSize)
        return last_good;
    const uint32_t gen = getU32(page, kFitPageGenerationOffset);
    const uint32_t len = getU32(page, kFitPageLengthOffset);
    if ((gen & 1) || len > kFitPageCapacity || len < last_good.size())
        return last_good;
    return Bytes(page.begin() + kFitPageDataOffset, page.begin() + kFitPageDataOffset + len);
}

} // namespace xlnv::acpi
