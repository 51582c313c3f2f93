/* ESP-IDF partition tables, as CSV: where an ESP32's ROMFS partition
 * lies. Parsed and checked the way ESP-IDF's gen_esp32part.py does it
 * (components/partition_table), so that a table the firmware build
 * accepts gives the same offsets here, and one it rejects fails here. */
#ifndef ROMFS_FLASH_ESP_PARTS_H
#define ROMFS_FLASH_ESP_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ESP_TYPE_APP = 0x00,
    ESP_TYPE_DATA = 0x01,
    ESP_SUBTYPE_ROMFS = 0x8f,  /* MicroPython's, as in ports/esp32/partitions-*-romfs.csv */
    ESP_TABLE_OFFSET = 0x8000, /* CONFIG_PARTITION_TABLE_OFFSET's default */
    ESP_TABLE_SIZE = 0x1000,
};

typedef struct {
    char *name;
    unsigned type, subtype;
    uint64_t offset, size; /* offset as given, or as ESP-IDF computes a blank one */
    unsigned line;
    bool encrypted, readonly;
} esp_partition;

typedef struct {
    esp_partition *v;
    size_t n, cap;
} esp_table;

/* `Name, Type, SubType, Offset, Size, Flags` per line; lines that are
 * blank or start with '#' are skipped (a '#' later in a line is not a
 * comment, to ESP-IDF either), trailing fields may be left out and
 * fields past the sixth are ignored, as ESP-IDF does. Type: app, data or
 * a number; SubType: a name ESP-IDF knows for app (factory, test,
 * ota_0..ota_15) or data (ota, phy, nvs, coredump, nvs_keys, efuse,
 * undefined, esphttpd, fat, spiffs, littlefs), or a number; blank is
 * undefined (0x06) for data and an error for app. Numbers are decimal or
 * 0x hex, with any number of K (1024) or M (1048576) suffixes; a negative
 * size gives the end instead. Types bootloader and partition_table (and 2
 * and 3) are refused: their offsets come from the build configuration.
 *
 * A blank offset follows the previous partition (the first follows the
 * table at `table_offset`, which takes 0x1000 bytes), rounded up to 0x10000
 * for app and 0x1000 for the rest; a given offset below the previous end
 * is an error. Then, as ESP-IDF verifies: offsets aligned (app 0x10000,
 * others 0x1000), app sizes a multiple of 0x1000, unique names, at most
 * one otadata partition of 0x2000 bytes, read-write nvs of at least
 * 0x3000, everything below 4 GiB. Each error is one line, `what:LINE: `. */
int esp_table_parse(const char *what, const char *text, size_t len, uint64_t table_offset,
                    esp_table *out);

const esp_partition *esp_table_find(const esp_table *t, const char *name);

/* The partition named `name`, or with name NULL the ROMFS partition (type
 * data, subtype 0x8f): an error when there is none (listing the table's
 * partitions) or more than one (listing them, to pick one by name). */
int esp_table_romfs(const char *what, const esp_table *t, const char *name,
                    const esp_partition **out);

void esp_table_free(esp_table *t);

#endif
