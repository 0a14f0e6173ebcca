// The FIT page: one 4 KiB guest page, outside guest RAM, that the
// toolstack writes and the SSDT's _FIT reads (docs/live.rst, "How a
// running guest learns of a new NVDIMM"). The one place its layout lives:
//
//   offset 0  u32 generation  odd while the toolstack writes, even when stable
//   offset 4  u32 length      bytes of FIT that follow (at most kFitPageCapacity)
//   offset 8  FIT bytes       NFIT structures, no table header, append-only
//
// _FIT reads generation, length and bytes, then the generation again;
// only an even generation that did not change, with a length between the
// last good copy's and the capacity, is taken. Anything else (a page that
// does not exist and reads all ones, a write in progress, a corrupt
// length, a FIT that shrank) returns the last good copy, which starts as
// the boot FIT the SSDT carries.
#pragma once

#include <cstdint>
#include <optional>

#include "acpi/aml.h"
#include "acpi/nfit.h"

namespace xlnv::acpi {

constexpr uint64_t kFitPageSize = 4096;
constexpr uint32_t kFitPageGenerationOffset = 0;
constexpr uint32_t kFitPageLengthOffset = 4;
constexpr uint32_t kFitPageDataOffset = 8;
constexpr uint32_t kFitPageCapacity = kFitPageSize - kFitPageDataOffset;   // 4088
// FIT bytes per NVDIMM (SPA range + memory device map + control region)
// and the most NVDIMMs one page holds.
constexpr uint32_t kFitBytesPerNvdimm = kNfitSpaSize + kNfitMemdevSize + kNfitControlSize;   // 184
constexpr uint32_t kFitPageMaxNvdimms = kFitPageCapacity / kFitBytesPerNvdimm;             // 22
// How often _FIT re-reads a page that is being written before it falls
// back to the last good copy (bounded: an endless AML loop hangs the
// guest's nfit driver).
constexpr unsigned kFitReadTries = 8;
// The ISA IRQ of the Generic Event Device unless configured otherwise:
// free in hvmloader's DSDT and in qemu-xen's i440fx/piix4 board.
constexpr unsigned kDefaultHotplugIrq = 13;

// Where the page lives: the last page below the NVDIMM window (above
// guest RAM and the 64-bit BAR reserve, never in the guest's E820 RAM).
uint64_t fitPageAddress(uint64_t window_base);

// The whole page for `fit` at `generation` (even: stable). Throws
// ConfigUnsupported when the FIT does not fit.
Bytes buildFitPage(uint32_t generation, const Bytes &fit);

// What _FIT would return for `page` after `last_good`: the page's FIT
// when it is stable and plausible, else last_good. The same rule as the
// AML (minus the re-read), for the simulated guest and tests.
Bytes readFitPage(const Bytes &page, const Bytes &last_good);

} // namespace xlnv::acpi
