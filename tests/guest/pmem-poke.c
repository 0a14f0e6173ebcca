/* Runs in the test-bed guest: write or read bytes of a backing through a
 * shared mapping of it (the way a device model or a guest reaches an
 * NVDIMM), not through read(2)/write(2), which devdax does not have.
 *
 *   pmem-poke write PATH OFFSET TEXT   map the page(s), copy TEXT, msync
 *   pmem-poke read PATH OFFSET LENGTH  map, print LENGTH bytes as text
 *
 * msync is skipped for devdax (it has none: EINVAL) — stores there go
 * straight to the NVDIMM. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "write") && strcmp(argv[1], "read"))) {
        fprintf(stderr, "usage: pmem-poke write|read PATH OFFSET TEXT|LENGTH\n");
        return 2;
    }
    int writing = !strcmp(argv[1], "write");
    unsigned long long offset = strtoull(argv[3], NULL, 0);
    size_t length = writing ? strlen(argv[4]) : (size_t)strtoull(argv[4], NULL, 0);
    /* devdax mappings must be aligned to the device alignment (2 MiB here). */
    const unsigned long long align = 2ull << 20;
    unsigned long long base = offset & ~(align - 1);
    size_t span = (size_t)(offset - base + length + align - 1) & ~(size_t)(align - 1);
    int fd = open(argv[2], writing ? O_RDWR : O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "pmem-poke: open %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size < offset + length) {
        fprintf(stderr, "pmem-poke: %s is shorter than %llu bytes\n", argv[2], offset + length);
        return 1;
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size < base + span)
        span = (size_t)(st.st_size - base + 4095) & ~(size_t)4095;
    void *p = mmap(NULL, span, writing ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, (off_t)base);
    if (p == MAP_FAILED) {
        fprintf(stderr, "pmem-poke: mmap %s at %llu: %s\n", argv[2], base, strerror(errno));
        return 1;
    }
    char *at = (char *)p + (offset - base);
    if (writing) {
        memcpy(at, argv[4], length);
        if (!S_ISCHR(st.st_mode) && msync(p, span, MS_SYNC) < 0) {
            fprintf(stderr, "pmem-poke: msync: %s\n", strerror(errno));
            return 1;
        }
    } else {
        fwrite(at, 1, length, stdout);
        putchar('\n');
    }
    munmap(p, span);
    close(fd);
    return 0;
}
