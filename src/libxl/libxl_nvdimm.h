/*
 * libxl_nvdimm.h: the C API of libxl-nvdimm, virtual NVDIMMs for Xen
 * HVM guests from libvirt domain XML.
 *
 * This is what libvirt's libxl driver (or any C toolstack) calls: XML in,
 * libxenlight types out, an error code and a message when something
 * fails. No C++ type crosses it; it compiles as C99.
 *
 * Conventions:
 *  - Functions returning int return 0 (or a non-negative id) on success
 *    and -1 on failure; functions returning a pointer return NULL on
 *    failure. After a failure, libxl_nvdimm_last_error_code() and
 *    libxl_nvdimm_last_error_message() describe it. The last error is
 *    per thread; every entry point clears it first.
 *  - Strings handed to the caller are allocated with malloc(); release
 *    them with free() or libxl_nvdimm_free().
 *  - A connection may be used from several threads; calls on it are
 *    serialized. Event callbacks run on the thread that made the change,
 *    after the change is complete, and may call back into the API.
 *
 * docs/libvirt-libxl-driver.rst shows where libvirt's libxl driver calls
 * each function.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LIBXL_NVDIMM_H
#define LIBXL_NVDIMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libxenlight's header has no C++ linkage guards of its own. */
#include <libxl.h>

#define LIBXL_NVDIMM_VERSION_MAJOR 0
#define LIBXL_NVDIMM_VERSION_MINOR 1
#define LIBXL_NVDIMM_VERSION_MICRO 0

/* One connection to a hypervisor (see libxl_nvdimm_open). */
typedef struct libxl_nvdimm_conn libxl_nvdimm_conn;

/*
 * Error codes, in the spirit of libvirt's virErrorNumber. The values are
 * stable: new codes are only ever appended.
 */
typedef enum {
    LIBXL_NVDIMM_ERR_OK = 0,
    LIBXL_NVDIMM_ERR_INTERNAL = 1,              /* internal error */
    LIBXL_NVDIMM_ERR_XML = 2,                   /* invalid XML content */
    LIBXL_NVDIMM_ERR_XML_DETAIL = 3,            /* XML syntax error */
    LIBXL_NVDIMM_ERR_CONFIG_UNSUPPORTED = 4,    /* valid XML the host or Xen cannot do */
    LIBXL_NVDIMM_ERR_OPERATION_INVALID = 5,     /* not valid in the domain's current state */
    LIBXL_NVDIMM_ERR_OPERATION_FAILED = 6,
    LIBXL_NVDIMM_ERR_OPERATION_UNSUPPORTED = 7,
    LIBXL_NVDIMM_ERR_OPERATION_TIMEOUT = 8,
    LIBXL_NVDIMM_ERR_SYSTEM = 9,                /* a system call failed (message has strerror) */
    LIBXL_NVDIMM_ERR_NO_DOMAIN = 10,
    LIBXL_NVDIMM_ERR_INVALID_ARG = 11,
    LIBXL_NVDIMM_ERR_NO_CONNECT = 12,
    LIBXL_NVDIMM_ERR_ACCESS_DENIED = 13,
    LIBXL_NVDIMM_ERR_OVERFLOW = 14
} libxl_nvdimm_error_code;

/* Which definition a change affects (virDomainModificationImpact). */
typedef enum {
    LIBXL_NVDIMM_AFFECT_CURRENT = 0,    /* live when the domain runs, else config */
    LIBXL_NVDIMM_AFFECT_LIVE = 1 << 0,
    LIBXL_NVDIMM_AFFECT_CONFIG = 1 << 1
} libxl_nvdimm_modify_flags;

/* Extra flag for the detach functions: do not wait for the guest to
 * acknowledge the eject request (required on stock Xen, which has no
 * way to ask the guest). */
#define LIBXL_NVDIMM_DETACH_FORCE (1u << 16)

/* Flags of the XML functions. */
typedef enum {
    LIBXL_NVDIMM_XML_INACTIVE = 1 << 0  /* persistent form: drops non-"ua-" aliases */
} libxl_nvdimm_xml_flags;

/* ---- errors ---------------------------------------------------------- */

/* The code of the calling thread's last error, LIBXL_NVDIMM_ERR_OK when
 * the last call succeeded. */
int libxl_nvdimm_last_error_code(void);
/* Its message as virsh prints it after "error: ", translated; "" when
 * none. Valid until the thread's next call into this library. */
const char *libxl_nvdimm_last_error_message(void);
/* The same message without libvirt's per-code prefix ("unsupported
 * configuration: " ...), for callers that report it under their own code
 * (libvirt's virReportError adds the prefix again). System errors keep
 * their strerror text. */
const char *libxl_nvdimm_last_error_detail(void);
/* errno behind a LIBXL_NVDIMM_ERR_SYSTEM error, else 0. */
int libxl_nvdimm_last_error_errno(void);
/* Forget the calling thread's last error. */
void libxl_nvdimm_reset_last_error(void);

/* Frees anything this library returned (same as free()). */
void libxl_nvdimm_free(void *ptr);

/* "0.1.0": the library's version at run time. */
const char *libxl_nvdimm_version(void);

/* ---- connections ----------------------------------------------------- */

/*
 * Open a connection. uri: "xen:///system" (the real host),
 * "sim:///default" (the built-in simulated host) or
 * "sim:///ABSOLUTE/PATH.xml"; NULL means $LIBXL_NVDIMM_DEFAULT_URI, else
 * [client] uri_default of the configuration file, else "xen:///system". state_dir: where status, ACPI blobs, locks and events
 * live; NULL or "" means $LIBXL_NVDIMM_STATE_DIR, else the default
 * (/var/lib/libxl-nvdimm as root). The configuration file
 * ($LIBXL_NVDIMM_CONFIG or SYSCONFDIR/libxl-nvdimm/libxl-nvdimm.conf) is
 * read here.
 */
libxl_nvdimm_conn *libxl_nvdimm_open(const char *uri, const char *state_dir);
/* Close and free; NULL is accepted. Registered callbacks are dropped
 * (their free functions run). */
void libxl_nvdimm_close(libxl_nvdimm_conn *conn);
/* The URI the connection was opened with (owned by the connection). */
const char *libxl_nvdimm_conn_uri(libxl_nvdimm_conn *conn);

/* ---- XML (no connection needed) -------------------------------------- */

/* Parse and validate one <memory model='nvdimm'> device with libvirt's
 * rules. arch: the domain's os arch ("x86_64"), or NULL. */
int libxl_nvdimm_device_validate(const char *device_xml, const char *arch);
/* The device as libvirt's dumpxml prints it (flags: libxl_nvdimm_xml_flags). */
char *libxl_nvdimm_device_format(const char *device_xml, unsigned int flags);
/* Validate a whole domain: libvirt's rules for memory devices plus Xen's
 * (HVM, maxMemory slots, alignment, vNUMA nodes). */
int libxl_nvdimm_domain_validate(const char *domain_xml);

/* ---- building and tearing down a domain ------------------------------ */

/*
 * Prepare the NVDIMMs of a domain about to be created from domain_xml
 * and fill their part of the caller's libxl_domain_config: one iomem
 * range per host extent appended to b_info.iomem, and (HVM)
 * b_info.u.hvm.acpi_firmware set to the ACPI blob (NFIT + SSDT); when
 * the caller already set acpi_firmware (libvirt's SLIC table), it is
 * replaced by a file with the caller's tables followed by ours. The
 * completed definition becomes the domain's live definition: later
 * live attaches take the next free slots. Slots,
 * aliases and guest addresses are assigned, backings provisioned,
 * pinned and labelled for the device model. The memory added to d_config
 * is freed by libxl_domain_config_dispose(). completed_xml (may be NULL)
 * receives the domain XML with every device's alias and address.
 * On failure nothing was prepared and d_config is unchanged. Undo with
 * libxl_nvdimm_domain_release() once the domain is gone.
 */
int libxl_nvdimm_domain_config_fill(libxl_nvdimm_conn *conn, const char *domain_xml,
                                    libxl_domain_config *d_config, char **completed_xml);

/* Flags of libxl_nvdimm_domain_config_fill_flags. */
typedef enum {
    /* Assign slots, aliases and addresses and fill d_config, but
     * provision, pin, label and write nothing and record no status
     * (virsh domxml-to-native): the backings must exist, and
     * acpi_firmware names the file a start would write. Undo nothing. */
    LIBXL_NVDIMM_CONFIG_DRY_RUN = 1 << 0
} libxl_nvdimm_config_flags;

/* libxl_nvdimm_domain_config_fill with flags (libxl_nvdimm_config_flags);
 * flags 0 is config_fill. */
int libxl_nvdimm_domain_config_fill_flags(libxl_nvdimm_conn *conn, const char *domain_xml,
                                          libxl_domain_config *d_config, char **completed_xml,
                                          unsigned int flags);

/* The same preparation without a libxl_domain_config: completed_xml and
 * acpi_firmware_path (set to NULL when the domain needs no tables) may
 * each be NULL. */
int libxl_nvdimm_domain_prepare(libxl_nvdimm_conn *conn, const char *domain_xml,
                                char **completed_xml, char **acpi_firmware_path);

/* Undo prepare after the domain is gone: unpin, restore the backings'
 * owners and security labels, remove the status. A domain with nothing
 * prepared is not an error. */
int libxl_nvdimm_domain_release(libxl_nvdimm_conn *conn, const char *domain);

/* ---- devices --------------------------------------------------------- */

/* Attach one <memory model='nvdimm'> device (flags: libxl_nvdimm_modify_flags).
 * alias (may be NULL) receives the device's alias. */
int libxl_nvdimm_domain_attach_device(libxl_nvdimm_conn *conn, const char *domain,
                                      const char *device_xml, unsigned int flags, char **alias);
/* Detach the device matching device_xml (its alias if given, else source
 * path and target size). flags: libxl_nvdimm_modify_flags, optionally
 * | LIBXL_NVDIMM_DETACH_FORCE. alias (may be NULL) receives the alias. */
int libxl_nvdimm_domain_detach_device(libxl_nvdimm_conn *conn, const char *domain,
                                      const char *device_xml, unsigned int flags, char **alias);
int libxl_nvdimm_domain_detach_device_alias(libxl_nvdimm_conn *conn, const char *domain,
                                            const char *alias, unsigned int flags);

/* ---- definitions (optional: libvirt keeps its own) ------------------- */

/* Define (or redefine) a domain; returns its name. */
char *libxl_nvdimm_domain_define(libxl_nvdimm_conn *conn, const char *domain_xml);
int libxl_nvdimm_domain_undefine(libxl_nvdimm_conn *conn, const char *domain);
/* The live XML of a running domain, else (or with
 * LIBXL_NVDIMM_XML_INACTIVE) the persistent one. */
char *libxl_nvdimm_domain_get_xml(libxl_nvdimm_conn *conn, const char *domain, unsigned int flags);

/* Finish or roll back operations a killed process left behind (libvirt's
 * driver calls it at daemon start). count (may be NULL) receives how
 * many domains were repaired. */
int libxl_nvdimm_recover(libxl_nvdimm_conn *conn, int *count);

/* ---- events ---------------------------------------------------------- */

/* event_name: "device-added" or "device-removed" (virsh's words);
 * alias: the device's alias ("nvdimm0"). The strings are valid during
 * the call only. */
typedef void (*libxl_nvdimm_event_cb)(libxl_nvdimm_conn *conn, const char *event_name,
                                      const char *domain, const char *alias, void *opaque);
typedef void (*libxl_nvdimm_free_cb)(void *opaque);

/* Register a callback for device events of every domain on this
 * connection. Returns a callback id (>= 0) or -1. free_opaque (may be
 * NULL) is called with opaque when the callback is deregistered or the
 * connection closed. */
int libxl_nvdimm_event_register(libxl_nvdimm_conn *conn, libxl_nvdimm_event_cb cb, void *opaque,
                                libxl_nvdimm_free_cb free_opaque);
int libxl_nvdimm_event_deregister(libxl_nvdimm_conn *conn, int callback_id);

#ifdef __cplusplus
}
#endif

#endif /* LIBXL_NVDIMM_H */
