/* Test helper for the Xen test bed (runs in dom0): add or remove a
 * guest's access to host frames with the two libxenctrl calls libxl uses
 * at domain build, on a running domain.
 *
 *   xen-map-helper map   DOMID MFN NR GFN   permission, then mapping
 *   xen-map-helper unmap DOMID MFN NR GFN   mapping, then permission
 *
 * Numbers in C notation (0x... for hex).  Prints RESULT lines; exit 0 on
 * success, 1 on failure. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenctrl.h>

static int parse_u64(const char *text, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    *out = strtoull(text, &end, 0);
    return errno == 0 && end != text && *end == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
    unsigned long long domid, mfn, nr, gfn;
    int map, rc;
    xc_interface *xch;

    if (argc != 6 || (strcmp(argv[1], "map") && strcmp(argv[1], "unmap")) ||
        parse_u64(argv[2], &domid) || parse_u64(argv[3], &mfn) ||
        parse_u64(argv[4], &nr) || parse_u64(argv[5], &gfn)) {
        fprintf(stderr, "usage: %s map|unmap DOMID MFN NR GFN\n", argv[0]);
        return 1;
    }
    map = strcmp(argv[1], "map") == 0;

    xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) {
        fprintf(stderr, "xc_interface_open: %s\n", strerror(errno));
        return 1;
    }
    if (map) {
        rc = xc_domain_iomem_permission(xch, domid, mfn, nr, 1);
        printf("RESULT helper.permission_grant=%d\n", rc ? errno : 0);
        if (rc == 0) {
            rc = xc_domain_memory_mapping(xch, domid, gfn, mfn, nr,
                                          DPCI_ADD_MAPPING);
            printf("RESULT helper.mapping_add=%d\n", rc ? errno : 0);
        }
    } else {
        rc = xc_domain_memory_mapping(xch, domid, gfn, mfn, nr,
                                      DPCI_REMOVE_MAPPING);
        printf("RESULT helper.mapping_remove=%d\n", rc ? errno : 0);
        if (rc == 0) {
            rc = xc_domain_iomem_permission(xch, domid, mfn, nr, 0);
            printf("RESULT helper.permission_revoke=%d\n", rc ? errno : 0);
        }
    }
    xc_interface_close(xch);
    return rc ? 1 : 0;
}
