/*
 * libFuzzer target: the flash/ readers on arbitrary bytes, as `romfs ls`
 * and `romfs verify` of a .hex, .uf2, .dfu or .elf file will run them,
 * and the ESP-IDF partition table parser on the same bytes as text.
 *
 * Every input goes to every reader, each on an exact-size heap copy (so
 * AddressSanitizer sees a read one byte past the end). The DfuSe reader
 * gets a copy whose suffix CRC is made right first: otherwise nearly all
 * inputs would stop at the CRC and the parser behind it would go unseen.
 *
 * A map a reader returns must be sorted, non-overlapping and no larger
 * than the input; written back in its format and read again it must come
 * back the same (for UF2, the second round trip must: the first pads to
 * whole pages).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "flash/dfu.h"
#include "flash/elf.h"
#include "flash/esp_parts.h"
#include "flash/formats.h"
#include "flash/ihex.h"
#include "flash/uf2.h"
#include "fuzz_check.h"
#include "util/bytes.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet_stderr();
    return 0;
}

static uint8_t *copy_of(const uint8_t *data, size_t size) {
    uint8_t *p = malloc(size ? size : 1);
    CHECK(p != NULL);
    if (size > 0) {
        memcpy(p, data, size);
    }
    return p;
}

static void check_map(const flash_map *m, size_t input_size) {
    uint64_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        CHECK(m->v[i].size > 0 && m->v[i].bytes != NULL);
        CHECK(m->v[i].address + m->v[i].size > m->v[i].address);
        if (i > 0) {
            CHECK(m->v[i].address >= m->v[i - 1].address + m->v[i - 1].size);
        }
        total += m->v[i].size;
    }
    CHECK(total <= input_size);
}

static bool same_map(const flash_map *a, const flash_map *b) {
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].address != b->v[i].address || a->v[i].size != b->v[i].size ||
            memcmp(a->v[i].bytes, b->v[i].bytes, a->v[i].size) != 0) {
            return false;
        }
    }
    return true;
}

/* `m` written as `f` into a temporary file, and read back into `back`;
 * false when the writer refuses the map (an address it cannot hold). */
static bool round_trip(flash_format f, const flash_map *m, flash_map *back) {
    FILE *tmp = tmpfile();
    CHECK(tmp != NULL);
    flash_opts o = flash_opts_default();
    bool written = flash_write(f, fileno(tmp), "fuzz.out", m, &o) == 0;
    if (written) {
        long len = lseek(fileno(tmp), 0, SEEK_END);
        CHECK(len >= 0 && lseek(fileno(tmp), 0, SEEK_SET) == 0);
        uint8_t *bytes = malloc(len ? (size_t)len : 1);
        CHECK(bytes != NULL && read(fileno(tmp), bytes, (size_t)len) == len);
        CHECK(flash_read(f, "fuzz.out", bytes, (size_t)len, 0, back) == 0);
        /* The map owns copies: the file's bytes can go. */
        free(bytes);
    }
    fclose(tmp);
    return written;
}

static void reader(flash_format f, const uint8_t *data, size_t size) {
    uint8_t *p = copy_of(data, size);
    if (f == FLASH_DFU && size >= 16) {
        put_le32(p + size - 4, (uint32_t)(crc32(0, p, (uInt)(size - 4)) ^ 0xffffffffu));
    }
    flash_map m = {0};
    if (flash_read(f, "fuzz.in", p, size, 0, &m) == 0) {
        check_map(&m, size);
        flash_map back = {0};
        if (round_trip(f, &m, &back)) {
            if (f == FLASH_UF2) {
                flash_map again = {0};
                CHECK(round_trip(f, &back, &again));
                CHECK(same_map(&back, &again));
                flash_map_free(&again);
            } else {
                CHECK(same_map(&m, &back));
            }
        }
        flash_map_free(&back);
    }
    flash_map_free(&m);
    free(p);
}

static void elf_facts(const uint8_t *data, size_t size) {
    uint8_t *p = copy_of(data, size);
    elf_info info;
    if (flash_read_elf("fuzz.elf", p, size, NULL, &info) == 0) {
        CHECK(info.n_symbols <= ELF_MAX_SYMBOLS);
        for (size_t i = 0; i < info.n_symbols; i++) {
            CHECK(strlen(info.symbols[i].name) <= ELF_NAME_MAX);
            CHECK(elf_info_symbol(&info, info.symbols[i].name) != NULL || !info.symbols[i].defined);
        }
        for (size_t i = 0; i < info.n_loads; i++) {
            CHECK(info.loads[i].filesz <= info.loads[i].memsz);
            CHECK(info.loads[i].offset + info.loads[i].filesz <= size);
        }
        elf_info_free(&info);
    }
    free(p);
}

static void esp_csv(const uint8_t *data, size_t size) {
    char *text = (char *)copy_of(data, size);
    esp_table t;
    if (esp_table_parse("fuzz.csv", text, size, ESP_TABLE_OFFSET, &t) == 0) {
        uint64_t end = ESP_TABLE_OFFSET + ESP_TABLE_SIZE;
        for (size_t i = 0; i < t.n; i++) {
            CHECK(t.v[i].offset >= end);
            CHECK(t.v[i].offset % 0x1000 == 0);
            CHECK(t.v[i].type <= 0xff && t.v[i].subtype <= 0xff);
            end = t.v[i].offset + t.v[i].size;
            CHECK(end <= (uint64_t)1 << 32);
        }
        const esp_partition *romfs;
        if (esp_table_romfs("fuzz.csv", &t, NULL, &romfs) == 0) {
            CHECK(romfs->type == ESP_TYPE_DATA && romfs->subtype == ESP_SUBTYPE_ROMFS);
        }
        esp_table_free(&t);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    (void)flash_detect(data, size);
    reader(FLASH_HEX, data, size);
    reader(FLASH_UF2, data, size);
    reader(FLASH_DFU, data, size);
    reader(FLASH_ELF, data, size);
    elf_facts(data, size);
    esp_csv(data, size);
    return 0;
}
