#include "util/i18n.h"

#include <clocale>
#include <mutex>

namespace xlnv {

void i18nInit()
{
    static std::once_flag once;
    std::call_once(once, [] {
        bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    });
}

} // namespace xlnv
