/*
 * The C API as a C program sees it: compiled with -std=c99 -Wall -Werror
 * against the installed libxl_nvdimm.h and `pkg-config libxl-nvdimm`,
 * run against the installed libxl-nvdimm.so on sim:///default with a
 * fresh state directory.
 *
 * Usage: capi-test WORKDIR   (an empty directory it may fill)
 * Exit: 0 every check passed, 1 a check failed, 77 skipped (reason printed).
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxl_nvdimm.h>

static int failures;
static int checks;

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        ++checks;                                                                 \
        if (!(cond)) {                                                            \
            ++failures;                                                           \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                         \
            fprintf(stderr, "\n");                                                \
        }                                                                         \
    } while (0)

/* A call that must succeed; on failure prints the library's error. */
#define CHECK_OK(call)                                                            \
    CHECK((call) >= 0, "%s -> code %d: %s", #call, libxl_nvdimm_last_error_code(), \
          libxl_nvdimm_last_error_message())

/* A call that must fail with `code` and a message containing `text`. */
#define CHECK_FAILS(call, code, text)                                             \
    do {                                                                          \
        int rc_ = (call);                                                         \
        CHECK(rc_ == -1, "%s returned %d, expected -1", #call, rc_);              \
        CHECK(libxl_nvdimm_last_error_code() == (code), "%s: code %d, expected %d (%s)", \
              #call, libxl_nvdimm_last_error_code(), (int)(code),                 \
              libxl_nvdimm_last_error_message());                                 \
        CHECK(strstr(libxl_nvdimm_last_error_message(), (text)) != NULL,          \
              "%s: message '%s' lacks '%s'", #call, libxl_nvdimm_last_error_message(), (text)); \
    } while (0)

static int contains(const char *haystack, const char *needle)
{
    return haystack && strstr(haystack, needle) != NULL;
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    const char *p = haystack;
    while (p && (p = strstr(p, needle)) != NULL) {
        ++n;
        p += strlen(needle);
    }
    return n;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* ---- events ---- */

struct event_log {
    int count;
    char name[64];
    char domain[64];
    char alias[64];
    libxl_nvdimm_conn *conn;
};

static int opaque_freed;

static void copy_field(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "(null)");
}

static void on_event(libxl_nvdimm_conn *conn, const char *event_name, const char *domain,
                     const char *alias, void *opaque)
{
    struct event_log *log = opaque;
    log->count++;
    log->conn = conn;
    copy_field(log->name, sizeof(log->name), event_name);
    copy_field(log->domain, sizeof(log->domain), domain);
    copy_field(log->alias, sizeof(log->alias), alias);
}

static void free_log(void *opaque)
{
    (void)opaque;
    opaque_freed++;
}

/* ---- the flows ---- */

static const char *const kDevice =
    "<memory model=\"nvdimm\" access=\"shared\">"
    "<target><size unit=\"MiB\">512</size></target>"
    "<source><pmem/><path>/dev/dax0.0</path></source>"
    "</memory>";

static const char *const kDeviceCanonical =
    "<memory model='nvdimm' access='shared'>\n"
    "  <source>\n"
    "    <path>/dev/dax0.0</path>\n"
    "    <pmem/>\n"
    "  </source>\n"
    "  <target>\n"
    "    <size unit='KiB'>524288</size>\n"
    "  </target>\n"
    "</memory>\n";

static void test_xml(void)
{
    char *formatted;

    CHECK_OK(libxl_nvdimm_device_validate(kDevice, "x86_64"));
    CHECK(libxl_nvdimm_last_error_code() == LIBXL_NVDIMM_ERR_OK, "success leaves no error");
    CHECK(strcmp(libxl_nvdimm_last_error_message(), "") == 0, "success leaves no message");

    formatted = libxl_nvdimm_device_format(kDevice, 0);
    CHECK(formatted != NULL, "format: %s", libxl_nvdimm_last_error_message());
    CHECK(formatted && strcmp(formatted, kDeviceCanonical) == 0, "canonical form:\n%s", formatted);
    libxl_nvdimm_free(formatted);

    /* libvirt's own parse-time and validation errors, with its codes */
    CHECK_FAILS(libxl_nvdimm_device_validate(
                    "<memory model='nvdimm'><source><path>/dev/dax0.0</path></source>"
                    "<target><size unit='GiB'>1</size><label><size unit='KiB'>64</size></label>"
                    "</target></memory>", NULL),
                LIBXL_NVDIMM_ERR_XML, "nvdimm label must be at least 128KiB");
    CHECK_FAILS(libxl_nvdimm_device_validate("<memory model='nvdimm'><source><path>/x</path>"
                                             "</source></memory>", NULL),
                LIBXL_NVDIMM_ERR_XML, "missing <target> element for <memory> device");
    CHECK_FAILS(libxl_nvdimm_device_validate("<memory model='nvdimm'><target><size>1048576</size>"
                                             "</target></memory>", NULL),
                LIBXL_NVDIMM_ERR_XML_DETAIL, "path is required for model 'nvdimm'");
    CHECK_FAILS(libxl_nvdimm_device_validate("<memory model='nvdimm'", NULL),
                LIBXL_NVDIMM_ERR_XML_DETAIL, "");
    CHECK(libxl_nvdimm_device_format(NULL, 0) == NULL, "NULL device XML refused");
    CHECK(libxl_nvdimm_last_error_code() == LIBXL_NVDIMM_ERR_INVALID_ARG,
          "NULL -> INVALID_ARG, got %d", libxl_nvdimm_last_error_code());
    CHECK(libxl_nvdimm_device_format(kDevice, 0x80) == NULL, "unknown flag refused");
    CHECK(contains(libxl_nvdimm_last_error_message(), "unsupported flags"), "%s",
          libxl_nvdimm_last_error_message());
    /* The detail is the message without libvirt's prefix (libvirt adds
     * its own when it reports the code). */
    CHECK_FAILS(libxl_nvdimm_device_validate("<memory model='nvdimm'><source><path>/x</path>"
                                             "</source></memory>", NULL),
                LIBXL_NVDIMM_ERR_XML, "missing <target> element");
    CHECK(strcmp(libxl_nvdimm_last_error_detail(), "missing <target> element for <memory> device") == 0,
          "detail without prefix: '%s'", libxl_nvdimm_last_error_detail());
    CHECK(strncmp(libxl_nvdimm_last_error_message(), "XML error: ", 11) == 0,
          "message with prefix: '%s'", libxl_nvdimm_last_error_message());
    libxl_nvdimm_reset_last_error();
    CHECK(libxl_nvdimm_last_error_code() == LIBXL_NVDIMM_ERR_OK, "reset clears the error");
    CHECK(strcmp(libxl_nvdimm_last_error_detail(), "") == 0, "reset clears the detail");
}

static char *domain_xml(const char *mount)
{
    static const char fmt[] =
        "<domain type='xen'>\n"
        "  <name>capi-guest</name>\n"
        "  <uuid>0b1e4c9a-6f1d-4c55-9d0c-2d9f0a4f6b11</uuid>\n"
        "  <maxMemory slots='4' unit='GiB'>16</maxMemory>\n"
        "  <memory unit='GiB'>2</memory>\n"
        "  <vcpu>1</vcpu>\n"
        "  <os><type arch='x86_64' machine='xenfv'>hvm</type></os>\n"
        "  <features><acpi/><apic/></features>\n"
        "  <devices>\n"
        "    <memory model='nvdimm' access='shared'>\n"
        "      <source><path>%s/capi-a.img</path></source>\n"
        "      <target><size unit='MiB'>1024</size></target>\n"
        "    </memory>\n"
        "    <memory model='nvdimm' access='shared'>\n"
        "      <source><path>%s/capi-b.img</path></source>\n"
        "      <target><size unit='MiB'>512</size></target>\n"
        "    </memory>\n"
        "  </devices>\n"
        "</domain>\n";
    size_t len = sizeof(fmt) + 2 * strlen(mount);
    char *xml = malloc(len);
    if (xml)
        snprintf(xml, len, fmt, mount, mount);
    return xml;
}

static void test_domain_config_fill(libxl_nvdimm_conn *conn, const char *mount)
{
    libxl_domain_config cfg;
    char *xml = domain_xml(mount);
    char *completed = NULL;
    unsigned long long mapped = 0;
    int i;
    char magic[5] = "";
    FILE *blob;

    CHECK_OK(libxl_nvdimm_domain_validate(xml));

    libxl_domain_config_init(&cfg);
    libxl_domain_build_info_init_type(&cfg.b_info, LIBXL_DOMAIN_TYPE_HVM);
    CHECK_OK(libxl_nvdimm_domain_config_fill(conn, xml, &cfg, &completed));

    CHECK(cfg.b_info.num_iomem >= 2, "iomem ranges: %d", cfg.b_info.num_iomem);
    for (i = 0; i < cfg.b_info.num_iomem; i++) {
        mapped += cfg.b_info.iomem[i].number * 4096ULL;
        CHECK(cfg.b_info.iomem[i].gfn >= (4ULL << 30) / 4096, "range %d below 4 GiB: gfn 0x%llx", i,
              (unsigned long long)cfg.b_info.iomem[i].gfn);
    }
    CHECK(mapped == (1024ULL + 512ULL) << 20, "iomem covers both devices: %llu bytes", mapped);

    CHECK(cfg.b_info.u.hvm.acpi_firmware != NULL, "acpi_firmware set");
    if (cfg.b_info.u.hvm.acpi_firmware) {
        CHECK(contains(cfg.b_info.u.hvm.acpi_firmware, "capi-guest"), "blob path %s",
              cfg.b_info.u.hvm.acpi_firmware);
        blob = fopen(cfg.b_info.u.hvm.acpi_firmware, "rb");
        CHECK(blob != NULL, "blob %s: %s", cfg.b_info.u.hvm.acpi_firmware, strerror(errno));
        if (blob) {
            CHECK(fread(magic, 1, 4, blob) == 4, "blob has a table header");
            fclose(blob);
            CHECK(strcmp(magic, "NFIT") == 0, "blob starts with NFIT, not '%s'", magic);
        }
    }

    CHECK(completed != NULL, "completed XML handed back");
    CHECK(contains(completed, "slot='0'") && contains(completed, "slot='1'"), "%s", completed);
    CHECK(count_of(completed, "base='0x") == 2, "two bases in %s", completed);
    CHECK(contains(completed, "<name>capi-guest</name>"), "%s", completed);

    /* Preparing the same domain again replaces the first preparation
     * (libvirt retries a failed start): same layout, same blob path. */
    {
        libxl_domain_config again;
        char *again_xml = NULL;
        libxl_domain_config_init(&again);
        libxl_domain_build_info_init_type(&again.b_info, LIBXL_DOMAIN_TYPE_HVM);
        CHECK_OK(libxl_nvdimm_domain_config_fill(conn, xml, &again, &again_xml));
        CHECK(again.b_info.num_iomem == cfg.b_info.num_iomem, "iomem %d vs %d",
              again.b_info.num_iomem, cfg.b_info.num_iomem);
        CHECK(again_xml && completed && strcmp(again_xml, completed) == 0, "same completed XML");
        CHECK(again.b_info.u.hvm.acpi_firmware && cfg.b_info.u.hvm.acpi_firmware &&
                  strcmp(again.b_info.u.hvm.acpi_firmware, cfg.b_info.u.hvm.acpi_firmware) == 0,
              "same blob");
        libxl_nvdimm_free(again_xml);
        libxl_domain_config_dispose(&again);
    }

    /* A domain that cannot be prepared leaves the caller's config alone. */
    {
        libxl_domain_config bad;
        libxl_domain_config_init(&bad);
        libxl_domain_build_info_init_type(&bad.b_info, LIBXL_DOMAIN_TYPE_HVM);
        static const char not_pmem[] =
            "<domain type='xen'><name>capi-bad</name>"
            "<maxMemory slots='4' unit='GiB'>16</maxMemory><memory unit='GiB'>2</memory>"
            "<os><type arch='x86_64' machine='xenfv'>hvm</type></os><features><acpi/></features>"
            "<devices><memory model='nvdimm'><source><path>/proc/version</path></source>"
            "<target><size unit='MiB'>512</size></target></memory></devices></domain>";
        CHECK(libxl_nvdimm_domain_config_fill(conn, not_pmem, &bad, NULL) == -1,
              "a backing outside persistent memory is refused");
        CHECK(libxl_nvdimm_last_error_code() != LIBXL_NVDIMM_ERR_OK, "with an error code");
        CHECK(bad.b_info.num_iomem == 0 && bad.b_info.u.hvm.acpi_firmware == NULL,
              "a failed fill leaves the config alone");
        libxl_domain_config_dispose(&bad);
    }

    libxl_nvdimm_free(completed);
    libxl_domain_config_dispose(&cfg);
    free(xml);
}

static void test_live_attach_detach(libxl_nvdimm_conn *conn)
{
    struct event_log log;
    char *alias = NULL;
    char *detached = NULL;
    int id;

    memset(&log, 0, sizeof(log));
    id = libxl_nvdimm_event_register(conn, on_event, &log, free_log);
    CHECK(id >= 0, "register: %s", libxl_nvdimm_last_error_message());

    CHECK_OK(libxl_nvdimm_domain_attach_device(conn, "demo", kDevice, LIBXL_NVDIMM_AFFECT_LIVE, &alias));
    CHECK(alias && strncmp(alias, "nvdimm", 6) == 0, "alias %s", alias ? alias : "(null)");
    CHECK(log.count == 1, "device-added delivered once, got %d", log.count);
    CHECK(strcmp(log.name, "device-added") == 0, "event %s", log.name);
    CHECK(strcmp(log.domain, "demo") == 0, "domain %s", log.domain);
    CHECK(alias && strcmp(log.alias, alias) == 0, "event alias %s vs %s", log.alias, alias);
    CHECK(log.conn == conn, "callback gets its connection");

    {
        char *live = libxl_nvdimm_domain_get_xml(conn, "demo", 0);
        CHECK(live && alias && contains(live, alias), "live XML shows the device: %s",
              live ? live : libxl_nvdimm_last_error_message());
        libxl_nvdimm_free(live);
    }

    /* Bad input: refused with the right code, no event, nothing attached. */
    CHECK_FAILS(libxl_nvdimm_domain_attach_device(conn, "demo", "<memory model='nvdimm'>"
                                                  "<source><path>/dev/dax0.0</path></source></memory>",
                                                  LIBXL_NVDIMM_AFFECT_LIVE, NULL),
                LIBXL_NVDIMM_ERR_XML, "missing <target> element for <memory> device");
    CHECK_FAILS(libxl_nvdimm_domain_attach_device(conn, "no-such-domain", kDevice,
                                                  LIBXL_NVDIMM_AFFECT_LIVE, NULL),
                LIBXL_NVDIMM_ERR_NO_DOMAIN, "no-such-domain");
    CHECK_FAILS(libxl_nvdimm_domain_attach_device(conn, NULL, kDevice, 0, NULL),
                LIBXL_NVDIMM_ERR_INVALID_ARG, "domain");
    CHECK_FAILS(libxl_nvdimm_domain_detach_device_alias(conn, "demo", "nvdimm9",
                                                        LIBXL_NVDIMM_AFFECT_LIVE),
                LIBXL_NVDIMM_ERR_OPERATION_FAILED, "nvdimm9");
    CHECK(log.count == 1, "no event from failed calls, got %d", log.count);

    if (alias) {
        CHECK_OK(libxl_nvdimm_domain_detach_device(conn, "demo", kDevice, LIBXL_NVDIMM_AFFECT_LIVE,
                                                   &detached));
        CHECK(detached && strcmp(detached, alias) == 0, "detached %s", detached ? detached : "(null)");
        CHECK(log.count == 2, "device-removed delivered, count %d", log.count);
        CHECK(strcmp(log.name, "device-removed") == 0, "event %s", log.name);
        CHECK(strcmp(log.alias, alias) == 0, "event alias %s", log.alias);
    }

    CHECK_OK(libxl_nvdimm_event_deregister(conn, id));
    CHECK(opaque_freed == 1, "free_opaque ran once, %d", opaque_freed);
    CHECK_FAILS(libxl_nvdimm_event_deregister(conn, id), LIBXL_NVDIMM_ERR_INVALID_ARG, "callback");

    /* After deregistering, changes no longer reach the callback. */
    CHECK_OK(libxl_nvdimm_domain_attach_device(conn, "demo", kDevice, LIBXL_NVDIMM_AFFECT_LIVE, NULL));
    CHECK_OK(libxl_nvdimm_domain_detach_device_alias(conn, "demo", alias ? alias : "nvdimm0",
                                                     LIBXL_NVDIMM_AFFECT_LIVE));
    CHECK(log.count == 2, "deregistered callback silent, count %d", log.count);

    libxl_nvdimm_free(alias);
    libxl_nvdimm_free(detached);
}

/* libvirt's start path: config_fill for a domain that libxl then runs
 * (the simulated "demo"), then a live attach. The attach must take the
 * next slot and leave the first device, its address and its mapping
 * alone (it used to reuse slot 0 and replace the boot NVDIMM). */
static const char *state_dir_of_test;

static void test_config_fill_then_attach(libxl_nvdimm_conn *conn, const char *mount)
{
    static const char fmt[] =
        "<domain type='xen'>\n"
        "  <name>demo</name>\n"
        "  <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>\n"
        "  <maxMemory slots='16' unit='KiB'>2147483648</maxMemory>\n"
        "  <memory unit='KiB'>4718592</memory>\n"
        "  <vcpu>2</vcpu>\n"
        "  <os><type arch='x86_64' machine='xenfv'>hvm</type></os>\n"
        "  <features><acpi/><apic/><pae/></features>\n"
        "  <cpu><numa><cell id='0' cpus='0-1' memory='4194304' unit='KiB'/></numa></cpu>\n"
        "  <devices>\n"
        "    <memory model='nvdimm' access='shared'>\n"
        "      <source><path>%s/fill-a.img</path></source>\n"
        "      <target><size unit='MiB'>512</size><node>0</node></target>\n"
        "    </memory>\n"
        "  </devices>\n"
        "</domain>\n";
    static const char devfmt[] =
        "<memory model='nvdimm' access='shared'>"
        "<source><path>%s/fill-b.img</path></source>"
        "<target><size unit='MiB'>256</size><node>0</node></target>"
        "</memory>";
    char xml[4096], dev[2048], slic[4096];
    libxl_domain_config cfg;
    char *completed = NULL, *alias = NULL, *live = NULL;

    snprintf(xml, sizeof(xml), fmt, mount);
    snprintf(dev, sizeof(dev), devfmt, mount);
    snprintf(slic, sizeof(slic), "%s/slic.dat", mount);
    CHECK(write_text(slic, "SLIC-table-of-the-caller") == 0, "write %s", slic);
    libxl_domain_config_init(&cfg);
    libxl_domain_build_info_init_type(&cfg.b_info, LIBXL_DOMAIN_TYPE_HVM);
    /* A dry run (domxml-to-native) provisions nothing: a missing
     * backing file is an error, and stays missing. */
    {
        libxl_domain_config dry;
        char path[4096];
        struct stat sb;

        libxl_domain_config_init(&dry);
        libxl_domain_build_info_init_type(&dry.b_info, LIBXL_DOMAIN_TYPE_HVM);
        CHECK(libxl_nvdimm_domain_config_fill_flags(conn, xml, &dry, NULL,
                                                    LIBXL_NVDIMM_CONFIG_DRY_RUN) < 0,
              "dry run with a missing backing fails");
        CHECK(contains(libxl_nvdimm_last_error_message(), "fill-a.img"), "names the backing: %s",
              libxl_nvdimm_last_error_message());
        CHECK(dry.b_info.num_iomem == 0, "config untouched: %d ranges", dry.b_info.num_iomem);
        snprintf(path, sizeof(path), "%s/fill-a.img", mount);
        CHECK(stat(path, &sb) != 0, "the dry run created no backing");
        CHECK(libxl_nvdimm_domain_config_fill_flags(conn, xml, &dry, NULL, 0x100) < 0 &&
                  libxl_nvdimm_last_error_code() == LIBXL_NVDIMM_ERR_INVALID_ARG,
              "unknown flag refused");
        libxl_domain_config_dispose(&dry);
    }

    /* libvirt sets acpi_firmware from <os><acpi><table type='slic'> */
    cfg.b_info.u.hvm.acpi_firmware = strdup(slic);
    CHECK_OK(libxl_nvdimm_domain_config_fill(conn, xml, &cfg, &completed));
    CHECK(completed && contains(completed, "slot='0'"), "first device in slot 0: %s",
          completed ? completed : "(null)");
    CHECK(cfg.b_info.u.hvm.acpi_firmware && strcmp(cfg.b_info.u.hvm.acpi_firmware, slic) != 0,
          "acpi_firmware is a combined file, not %s", slic);
    if (cfg.b_info.u.hvm.acpi_firmware) {
        char head[32] = "";
        FILE *f = fopen(cfg.b_info.u.hvm.acpi_firmware, "rb");
        CHECK(f != NULL, "open %s", cfg.b_info.u.hvm.acpi_firmware);
        if (f) {
            size_t n = fread(head, 1, 28, f);
            fclose(f);
            CHECK(n == 28 && memcmp(head, "SLIC-table-of-the-caller", 24) == 0 &&
                      memcmp(head + 24, "NFIT", 4) == 0,
                  "the caller's table first, then NFIT (%zu bytes read)", n);
        }
    }

    CHECK_OK(libxl_nvdimm_domain_attach_device(conn, "demo", dev, LIBXL_NVDIMM_AFFECT_LIVE, &alias));
    CHECK(alias && strcmp(alias, "nvdimm0") != 0, "the attach got its own alias, not %s",
          alias ? alias : "(null)");

    live = libxl_nvdimm_domain_get_xml(conn, "demo", 0);
    CHECK(live != NULL, "live XML: %s", libxl_nvdimm_last_error_message());
    if (live) {
        CHECK(contains(live, "fill-a.img") && contains(live, "fill-b.img"),
              "both devices in the live XML:\n%s", live);
        CHECK(contains(live, "slot='0'") && contains(live, "slot='1'"),
              "slots 0 and 1, none reused:\n%s", live);
        CHECK(count_of(live, "base='0x") == 2, "two distinct bases:\n%s", live);
    }

    if (alias)
        CHECK_OK(libxl_nvdimm_domain_detach_device_alias(conn, "demo", alias,
                                                         LIBXL_NVDIMM_AFFECT_LIVE |
                                                         LIBXL_NVDIMM_DETACH_FORCE));
    {
        char *after = libxl_nvdimm_domain_get_xml(conn, "demo", 0);
        CHECK(after && contains(after, "fill-a.img") && !contains(after, "fill-b.img"),
              "detaching the second leaves the first:\n%s", after ? after : "(null)");
        libxl_nvdimm_free(after);
    }
    CHECK_OK(libxl_nvdimm_domain_release(conn, "demo"));

    /* With the backing there, the dry run fills what a start would,
     * and records nothing. */
    {
        libxl_domain_config dry;
        char *planned = NULL;
        char statusdir[4096];
        struct stat sb;

        libxl_domain_config_init(&dry);
        libxl_domain_build_info_init_type(&dry.b_info, LIBXL_DOMAIN_TYPE_HVM);
        CHECK_OK(libxl_nvdimm_domain_config_fill_flags(conn, xml, &dry, &planned,
                                                       LIBXL_NVDIMM_CONFIG_DRY_RUN));
        CHECK(dry.b_info.num_iomem == cfg.b_info.num_iomem && dry.b_info.num_iomem > 0,
              "same iomem ranges as the real fill: %d vs %d", dry.b_info.num_iomem,
              cfg.b_info.num_iomem);
        CHECK(dry.b_info.u.hvm.acpi_firmware && contains(dry.b_info.u.hvm.acpi_firmware, "demo"),
              "acpi_firmware names the domain's blob: %s",
              dry.b_info.u.hvm.acpi_firmware ? dry.b_info.u.hvm.acpi_firmware : "(null)");
        CHECK(planned && contains(planned, "slot='0'"), "planned XML has the address");
        snprintf(statusdir, sizeof(statusdir), "%s/domains/demo", state_dir_of_test);
        CHECK(stat(statusdir, &sb) != 0, "the dry run recorded no status (%s)", statusdir);
        libxl_nvdimm_free(planned);
        libxl_domain_config_dispose(&dry);
    }

    libxl_nvdimm_free(live);
    libxl_nvdimm_free(alias);
    libxl_nvdimm_free(completed);
    libxl_domain_config_dispose(&cfg);
}

int main(int argc, char **argv)
{
    char state[4096], config[4096], conftext[8192], mount[8192];
    libxl_nvdimm_conn *conn;
    struct stat st;

    if (argc != 2) {
        fprintf(stderr, "usage: %s WORKDIR\n", argv[0]);
        return 1;
    }
    snprintf(state, sizeof(state), "%s/state", argv[1]);
    snprintf(config, sizeof(config), "%s/libxl-nvdimm.conf", argv[1]);
    snprintf(conftext, sizeof(conftext),
             "[security]\nselinux = off\nstate_dir = %s/security\n"
             "[hypervisor]\neject_timeout_ms = 2000\n", argv[1]);
    if (write_text(config, conftext) != 0 || setenv("LIBXL_NVDIMM_CONFIG", config, 1) != 0) {
        fprintf(stderr, "cannot write %s: %s\n", config, strerror(errno));
        return 1;
    }

    CHECK(strcmp(libxl_nvdimm_version(), "0.1.0") == 0, "version %s", libxl_nvdimm_version());
    test_xml();

    CHECK(libxl_nvdimm_open("nosuch:///x", state) == NULL, "unknown URI refused");
    CHECK(libxl_nvdimm_last_error_code() == LIBXL_NVDIMM_ERR_NO_CONNECT, "code %d: %s",
          libxl_nvdimm_last_error_code(), libxl_nvdimm_last_error_message());

    conn = libxl_nvdimm_open("sim:///default", state);
    if (!conn) {
        fprintf(stderr, "FAIL: open sim:///default: %s\n", libxl_nvdimm_last_error_message());
        return 1;
    }
    CHECK(strcmp(libxl_nvdimm_conn_uri(conn), "sim:///default") == 0, "uri %s",
          libxl_nvdimm_conn_uri(conn));

    snprintf(mount, sizeof(mount), "%s/mnt/pmem1", state);
    if (stat(mount, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "FAIL: the simulated fsdax mount %s is missing\n", mount);
        libxl_nvdimm_close(conn);
        return 1;
    }

    test_domain_config_fill(conn, mount);
    test_live_attach_detach(conn);
    state_dir_of_test = state;
    test_config_fill_then_attach(conn, mount);

    CHECK_OK(libxl_nvdimm_domain_release(conn, "capi-guest"));
    CHECK_OK(libxl_nvdimm_domain_release(conn, "capi-guest"));   /* nothing left: not an error */
    {
        /* Released: the same domain can be prepared again. */
        char *xml = domain_xml(mount);
        CHECK_OK(libxl_nvdimm_domain_prepare(conn, xml, NULL, NULL));
        CHECK_OK(libxl_nvdimm_domain_release(conn, "capi-guest"));
        free(xml);
    }

    libxl_nvdimm_close(conn);
    libxl_nvdimm_close(NULL);

    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
