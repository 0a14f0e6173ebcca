#include "util/i18n.h"

#include <clocale>
#include <cstdlib>
#include <mutex>

namespace xlnv {

void i18nInit()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // LIBXL_NVDIMM_LOCALEDIR points at uninstalled catalogues (the
        // build tree's po/ in tests); installed programs use LOCALEDIR.
        const char *dir = std::getenv("LIBXL_NVDIMM_LOCALEDIR");
        bindtextdomain(GETTEXT_PACKAGE, dir && *dir ? dir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    });
}

} // namespace xlnv
