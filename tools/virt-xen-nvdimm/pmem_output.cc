#include "pmem_output.h"

#include <cstdio>

#include "util/bytesize.h"
#include "util/i18n.h"
#include "util/strutil.h"

namespace xlnv::cli {

void printExtentsTable(const ResolvedBacking &backing)
{
    std::printf(" %-20s %-20s %s\n", _("Offset"), _("SPA"), _("Length"));
    std::printf("%s\n", std::string(62, '-').c_str());
    // Offsets and addresses in hex, lengths exact in the largest unit that
    // divides them ("2044 KiB"): an extent's length is not to be rounded.
    for (const Extent &e : backing.extents)
        std::printf(" %-20s %-20s %s\n", hex(e.offset).c_str(), hex(e.spa).c_str(),
                    formatByteSize(e.length).c_str());
    std::printf("\n%s %s\n", _("Superpage mappable:"), backing.superpage ? _("yes") : _("no"));
}

} // namespace xlnv::cli
