/* What a user asks of a flash file, from `romfs flash` or `build --flash`:
 * where the partition is (one of four ways), the erase block, the format's
 * options, and whether it is a whole image, one merged with firmware, or a
 * delta against an older image. The command line fills it; the manifest
 * fills what the command line left open. */
#ifndef ROMFS_DEPLOY_REQUEST_H
#define ROMFS_DEPLOY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/formats.h"
#include "manifest/manifest.h"

typedef enum {
    WHERE_NONE,
    WHERE_ADDRESS,  /* --address ADDR [--size S] */
    WHERE_FIRMWARE, /* --firmware ELF [--partition N]: the partition symbols */
    WHERE_TABLE,    /* --partition-table CSV [--partition NAME]: ESP-IDF */
    WHERE_MANIFEST, /* image.partition */
} deploy_where;

typedef struct {
    deploy_where where;
    uint64_t address; /* WHERE_ADDRESS, WHERE_MANIFEST */
    bool has_size;    /* the partition's size, when known */
    uint64_t size;
    const char *firmware;          /* WHERE_FIRMWARE: the ELF */
    unsigned part;                 /* its partition number (default 0) */
    const char *table;             /* WHERE_TABLE: the CSV */
    const char *part_name;         /* the partition's name in it; NULL: the ROMFS partition */
    const char *manifest;          /* WHERE_MANIFEST: the manifest, for messages */
    uint64_t erase_block;          /* 0: the partition's, else 4 KiB */
    flash_opts opts;               /* the format's options */
    bool has_dfu_alt, has_dfu_ids; /* given, for the checks against the format */
    bool pad;                      /* whole image: 0xff to the end of its last erase block */
    const char *merge;             /* --merge FW: the firmware too, in one file */
    const char *base;              /* --base OLD: only the erase blocks that changed */
} deploy_request;

/* The defaults: no partition, the formats' default options. */
void deploy_request_init(deploy_request *r);

/* What the command line left open, from the manifest: the partition
 * (image.partition.address, its size or else the capacity), the size of
 * an --address partition (the capacity), the erase block
 * (image.partition.erase_block). The command line's choice wins. */
void deploy_use_manifest(deploy_request *r, const manifest *m);

/* Whether `r` makes sense for flash files of these formats: NULL, or an
 * allocated usage message (a delta as bin, --merge as elf, --uf2-family
 * without a .uf2, ...). */
char *deploy_check_formats(const deploy_request *r, const flash_format *formats, size_t n);

/* The format of `out`: `given` (from --format) if not FLASH_UNKNOWN, else
 * from its name; FLASH_UNKNOWN when neither says. */
flash_format deploy_format_of(const char *out, flash_format given);

#endif
