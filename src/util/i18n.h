// Translation helpers: every user-facing message goes through _().
#pragma once

#include <libintl.h>

#ifndef _
# define _(msgid) dgettext(GETTEXT_PACKAGE, msgid)
#endif
#ifndef N_
# define N_(msgid) msgid
#endif

namespace xlnv {
// Bind the text domain once per process (the CLI and the C API call it).
void i18nInit();
}
