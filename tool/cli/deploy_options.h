/* The options `romfs flash` and `build --flash` share: where the
 * partition is (CLI_WHERE_OPTIONS), and the format's options, --pad and
 * --merge (CLI_FILE_OPTIONS). Each command puts each group of rows in its
 * table, one row after another, and reads them with cli_deploy_parse from
 * the index of each group's first. */
#ifndef ROMFS_CLI_DEPLOY_OPTIONS_H
#define ROMFS_CLI_DEPLOY_OPTIONS_H

#include "cli/options.h"
#include "deploy/request.h"

/* The rows' order in each group. */
enum { DO_ADDRESS, DO_FIRMWARE, DO_PARTITION, DO_PARTITION_TABLE, DO_WHERE_COUNT };
enum { DO_UF2_FAMILY, DO_DFU_ALT, DO_DFU_VID_PID, DO_PAD, DO_MERGE, DO_FILE_COUNT };

/* The rows; FOR is appended to every help text (" (for --flash)"). */
#define CLI_WHERE_OPTIONS(FOR)                                                                     \
    {.longname = "address",                                                                        \
     .value = "ADDR",                                                                              \
     .help = "the partition starts at this flash address (0x08100000)" FOR},                       \
        {.longname = "firmware",                                                                   \
         .value = "ELF",                                                                           \
         .help = "the partition from the firmware's _micropy_hw_romfs_partN_start and _size "      \
                 "symbols" FOR},                                                                   \
        {.longname = "partition",                                                                  \
         .value = "N|NAME",                                                                        \
         .help = "partition N of --firmware (default 0), or NAME in --partition-table "            \
                 "(default: the ROMFS one)" FOR},                                                  \
    {                                                                                              \
        .longname = "partition-table", .value = "CSV",                                             \
        .help = "the partition from an ESP-IDF partition table (ROMFS: data, subtype 0x8f)" FOR    \
    }

#define CLI_FILE_OPTIONS(FOR)                                                                      \
    {.longname = "uf2-family",                                                                     \
     .value = "NAME|0xID",                                                                         \
     .help = "the UF2 family (rp2040, rp2350, stm32f4, ... or an ID)" FOR},                        \
        {.longname = "dfu-alt",                                                                    \
         .value = "N",                                                                             \
         .help = "the DfuSe target's alternate setting (default 0)" FOR},                          \
        {.longname = "dfu-vid-pid",                                                                \
         .value = "VID:PID",                                                                       \
         .help = "the DFU suffix's USB IDs, in hex (0483:df11; default ffff:ffff)" FOR},           \
        {.longname = "pad", .help = "pad the image with 0xff to the end of its erase block" FOR},  \
    {                                                                                              \
        .longname = "merge", .value = "FIRMWARE",                                                  \
        .help = "the firmware too, in one hex, uf2 or dfu file: FW.hex, FW.elf or FW.bin@ADDR" FOR \
    }

/* Reads the rows (from index `where` and `file`) into `r` (initialised):
 * EXIT_USAGE after one error line (a number that is not one, two ways of
 * giving the partition, --partition without either), else 0. */
int cli_deploy_parse(const cli_args *a, int where, int file, deploy_request *r);
/* The first of the rows that was given, or NULL. */
const char *cli_deploy_given(const cli_args *a, int where, int file);

#endif
