/* The flash/ layer's sharp edges, from inside: the streaming contract
 * (every writer pulls each segment in order, in chunks of at most
 * FLASH_CHUNK, each byte once; UF2 a page at a time), the cursor over
 * gaps and shared pages, map checking, and the small parsers (UF2 family
 * names, ESP-IDF numbers). The formats themselves are held to their
 * specifications by tests/test_flash_formats.py. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "flash/esp_parts.h"
#include "flash/formats.h"
#include "flash/uf2.h"
#include "util/bytes.h"

static int failures;

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("%s:%d: expected %s\n", __FILE__, __LINE__, #cond);                             \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* A segment behind a callback that checks how it is called: offsets in
 * order without going back, never past the end, chunks within bounds. */
typedef struct {
    uint64_t size, next, calls, largest;
    uint8_t seed;
    int fail_at; /* the call that fails with EIO, or 0 */
    int misuse;
} probe;

static uint8_t byte_at(const probe *p, uint64_t off) {
    return (uint8_t)(p->seed + off * 7 + (off >> 8));
}

static int probe_read(void *ctx, uint64_t offset, void *buf, size_t n) {
    probe *p = ctx;
    p->calls++;
    if (offset < p->next || offset + n > p->size || n == 0 || n > FLASH_CHUNK) {
        p->misuse++;
    }
    if (p->fail_at != 0 && p->calls == (uint64_t)p->fail_at) {
        errno = EIO;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        ((uint8_t *)buf)[i] = byte_at(p, offset + i);
    }
    p->next = offset + n;
    p->largest = n > p->largest ? n : p->largest;
    return 0;
}

static size_t file_size(FILE *f) {
    long end = lseek(fileno(f), 0, SEEK_END);
    return end < 0 ? 0 : (size_t)end;
}

static uint8_t *file_bytes(FILE *f, size_t *n) {
    *n = file_size(f);
    uint8_t *b = malloc(*n ? *n : 1);
    if (b == NULL || pread(fileno(f), b, *n, 0) != (ssize_t)*n) {
        abort();
    }
    return b;
}

static void test_streaming_contract(void) {
    static const flash_format formats[] = {FLASH_BIN, FLASH_HEX, FLASH_UF2, FLASH_DFU, FLASH_ELF};
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++) {
        probe a = {.size = 3 * FLASH_CHUNK + 17, .seed = 1};
        probe b = {.size = 5, .seed = 2};
        flash_map m = {0};
        flash_map_add_reader(&m, 0x20010003, b.size, probe_read, &b);
        flash_map_add_reader(&m, 0x08000001, a.size, probe_read, &a);
        EXPECT(flash_map_check("t", &m) == 0);
        EXPECT(m.v[0].address == 0x08000001);
        FILE *out = tmpfile();
        flash_opts o = flash_opts_default();
        EXPECT(flash_write(formats[k], fileno(out), "t", &m, &o) == 0);
        EXPECT(a.misuse == 0 && b.misuse == 0);
        EXPECT(a.next == a.size && b.next == b.size);
        /* UF2 reads a page at a time, the rest in whole chunks. */
        EXPECT(a.largest == (formats[k] == FLASH_UF2 ? 256 : FLASH_CHUNK));
        if (formats[k] != FLASH_BIN) {
            size_t n;
            uint8_t *bytes = file_bytes(out, &n);
            flash_map back = {0};
            EXPECT(flash_read(formats[k], "t", bytes, n, 0, &back) == 0);
            uint64_t lead = formats[k] == FLASH_UF2 ? 1 : 0; /* 0xff up to the page */
            EXPECT(back.n == 2 && back.v[0].address == 0x08000001 - lead);
            if (back.n == 2) {
                for (uint64_t i = 0; i < a.size; i++) {
                    if (back.v[0].bytes[lead + i] != byte_at(&a, i)) {
                        EXPECT(!"bytes differ");
                        break;
                    }
                }
            }
            flash_map_free(&back);
            free(bytes);
        } else {
            EXPECT(file_size(out) == 0x20010003 + 5 - 0x08000001);
        }
        fclose(out);
        flash_map_free(&m);
    }
}

static void test_read_failure_stops_the_writer(void) {
    probe a = {.size = 4 * FLASH_CHUNK, .fail_at = 2};
    flash_map m = {0};
    flash_map_add_reader(&m, 0, a.size, probe_read, &a);
    EXPECT(flash_map_check("t", &m) == 0);
    FILE *out = tmpfile();
    flash_opts o = flash_opts_default();
    EXPECT(flash_write(FLASH_DFU, fileno(out), "t", &m, &o) == -1);
    EXPECT(a.calls == 2); /* no call after the failure */
    fclose(out);
    flash_map_free(&m);
}

static void test_dfu_crc_is_zlibs_uninverted(void) {
    static const uint8_t data[] = "0123456789";
    flash_map m = {0};
    flash_map_add(&m, 0x08000000, 10, data);
    EXPECT(flash_map_check("t", &m) == 0);
    FILE *out = tmpfile();
    flash_opts o = flash_opts_default();
    EXPECT(flash_write(FLASH_DFU, fileno(out), "t", &m, &o) == 0);
    size_t n;
    uint8_t *b = file_bytes(out, &n);
    EXPECT(n == 11 + 274 + 8 + 10 + 16);
    EXPECT(get_le32(b + n - 4) == (uint32_t)(crc32(0, b, (uInt)(n - 4)) ^ 0xffffffffu));
    free(b);
    fclose(out);
    flash_map_free(&m);
}

static void test_cursor(void) {
    static const uint8_t x[] = {1, 2, 3}, y[] = {4, 5};
    flash_map m = {0};
    flash_map_add(&m, 10, 3, x);
    flash_map_add(&m, 14, 2, y);
    EXPECT(flash_map_check("t", &m) == 0);
    flash_cursor c;
    flash_cursor_init(&c, "t", &m);
    uint8_t buf[8];
    bool any;
    EXPECT(flash_cursor_fill(&c, 0, buf, 8, 0xee, &any) == 0 && !any && buf[7] == 0xee);
    EXPECT(flash_cursor_fill(&c, 8, buf, 8, 0xee, &any) == 0 && any);
    static const uint8_t want[8] = {0xee, 0xee, 1, 2, 3, 0xee, 4, 5};
    EXPECT(memcmp(buf, want, 8) == 0);
    EXPECT(flash_cursor_fill(&c, 16, buf, 8, 0xee, &any) == 0 && !any);
    flash_map_free(&m);
}

static void test_map_check(void) {
    static const uint8_t b[4] = {0};
    flash_map m = {0};
    flash_map_add(&m, 100, 0, b); /* empty: dropped */
    flash_map_add(&m, 8, 4, b);
    flash_map_add(&m, 4, 4, b); /* touching is fine */
    EXPECT(flash_map_check("t", &m) == 0);
    EXPECT(m.n == 2 && m.v[0].address == 4 && flash_map_end(&m) == 12);
    EXPECT(flash_map_bytes(&m) == 8);
    flash_map_add(&m, 11, 4, b);
    EXPECT(flash_map_check("t", &m) == -1);
    flash_map_free(&m);
    flash_map_add(&m, UINT64_MAX - 2, 4, b);
    EXPECT(flash_map_check("t", &m) == -1);
    flash_map_free(&m);
    flash_map_add(&m, UINT64_MAX - 3, 4, b); /* ends exactly at the top */
    EXPECT(flash_map_check("t", &m) == 0);
    flash_map_free(&m);
}

static void test_uf2_pages_shared_by_segments(void) {
    static const uint8_t b[600] = {0};
    flash_map m = {0};
    flash_map_add(&m, 0x100, 10, b);
    flash_map_add(&m, 0x180, 10, b);  /* same page */
    flash_map_add(&m, 0x1ff, 2, b);   /* ends in the next page */
    flash_map_add(&m, 0x300, 600, b); /* three pages: five in all */
    EXPECT(flash_map_check("t", &m) == 0);
    FILE *out = tmpfile();
    flash_opts o = flash_opts_default();
    EXPECT(flash_write(FLASH_UF2, fileno(out), "t", &m, &o) == 0);
    size_t n;
    uint8_t *bytes = file_bytes(out, &n);
    EXPECT(n == 5 * UF2_BLOCK);
    for (size_t i = 0; i < n / UF2_BLOCK; i++) {
        EXPECT(get_le32(bytes + i * UF2_BLOCK + 20) == i);
        EXPECT(get_le32(bytes + i * UF2_BLOCK + 24) == 5);
    }
    EXPECT(get_le32(bytes + 12) == 0x100 && get_le32(bytes + UF2_BLOCK + 12) == 0x200);
    free(bytes);
    fclose(out);
    flash_map_free(&m);
}

static void test_family_names(void) {
    uint32_t id = 0;
    EXPECT(uf2_family_lookup("RP2350_ARM_S", &id) && id == 0xe48bff59);
    EXPECT(uf2_family_lookup("rp2350", &id) && id == 0xe48bff59);
    EXPECT(uf2_family_lookup("0xADA52840", &id) && id == 0xada52840);
    EXPECT(uf2_family_lookup("4294967295", &id) && id == 0xffffffff);
    EXPECT(!uf2_family_lookup("", &id));
    EXPECT(!uf2_family_lookup("0x", &id));
    EXPECT(!uf2_family_lookup("rp2040x", &id));
    EXPECT(!uf2_family_lookup("4294967296", &id));
    EXPECT(strcmp(uf2_family_name(0xe48bff59), "rp2350-arm-s") == 0);
    EXPECT(uf2_family_name(1) == NULL);
}

/* One partition's size (or -1 for a refused table) from a size field. */
static long long esp_size(const char *field) {
    char text[128];
    snprintf(text, sizeof text, "p, data, fat, 0x10000, %s\n", field);
    esp_table t;
    if (esp_table_parse("t.csv", text, strlen(text), ESP_TABLE_OFFSET, &t) != 0) {
        return -1;
    }
    long long size = (long long)t.v[0].size;
    esp_table_free(&t);
    return size;
}

static void test_esp_numbers(void) {
    EXPECT(esp_size("4096") == 4096);
    EXPECT(esp_size("0x1000") == 4096);
    EXPECT(esp_size("0X1aB") == 0x1ab);
    EXPECT(esp_size("4k") == 4096);
    EXPECT(esp_size("4K") == 4096);
    EXPECT(esp_size("1M") == 1 << 20);
    EXPECT(esp_size("0x10K") == 16 << 10);
    EXPECT(esp_size("1kK") == 1 << 20); /* gen_esp32part.py takes suffixes one by one */
    EXPECT(esp_size("+8K") == 8192);
    EXPECT(esp_size("0") == 0);
    EXPECT(esp_size("00") == 0);
    EXPECT(esp_size("-0x30000") == 0x20000); /* the end, not a size */
    EXPECT(esp_size("010") == -1);
    EXPECT(esp_size("0x") == -1);
    EXPECT(esp_size("K") == -1);
    EXPECT(esp_size("1.5M") == -1);
    EXPECT(esp_size("1 K") == 1024); /* Python's int() takes "1 " */
    EXPECT(esp_size("4G") == -1);
    EXPECT(esp_size("99999999999999999999999") == -1);
}

int main(void) {
    /* The layer's error lines are expected here; keep the output clean. */
    if (freopen("/dev/null", "w", stderr) == NULL) {
        return 2;
    }
    test_streaming_contract();
    test_read_failure_stops_the_writer();
    test_dfu_crc_is_zlibs_uninverted();
    test_cursor();
    test_map_check();
    test_uf2_pages_shared_by_segments();
    test_family_names();
    test_esp_numbers();
    if (failures) {
        printf("%d failures\n", failures);
    }
    return failures ? 1 : 0;
}
