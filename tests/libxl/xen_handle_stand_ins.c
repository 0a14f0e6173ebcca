/* Stand-ins for the two handles libxl_ctx_alloc opens on a Xen host: the
 * hypervisor interface (privcmd) and xenstore.  This machine runs no Xen,
 * yet libxl_domain_config_from_json wants a real libxl_ctx (its GC and
 * logger).  Linked into the test executable, these definitions win over
 * libxenctrl's and libxenstore's when libxenlight calls them, so the real
 * libxl_ctx_alloc/libxl_ctx_free run.  The handles are never used for I/O
 * by the JSON code; any other call through them would fail loudly. */
#include <stddef.h>

struct xc_interface_core;
struct xs_handle;
struct xentoollog_logger;

static int hypervisor_handle;
static int xenstore_handle;
static int open_handles;

struct xc_interface_core *xc_interface_open(struct xentoollog_logger *logger,
                                            struct xentoollog_logger *dombuild_logger,
                                            unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    open_handles++;
    return (struct xc_interface_core *)&hypervisor_handle;
}

int xc_interface_close(struct xc_interface_core *xch)
{
    if (xch == (struct xc_interface_core *)&hypervisor_handle)
        open_handles--;
    return 0;
}

struct xs_handle *xs_open(unsigned long flags)
{
    (void)flags;
    open_handles++;
    return (struct xs_handle *)&xenstore_handle;
}

void xs_close(struct xs_handle *xsh)
{
    if (xsh == (struct xs_handle *)&xenstore_handle)
        open_handles--;
}

/* How many stand-in handles are open: libxl_ctx_free must close both. */
int xlnv_test_open_xen_handles(void)
{
    return open_handles;
}
