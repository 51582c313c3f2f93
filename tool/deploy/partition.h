/* The partition a flash file writes to, resolved from a request: an
 * address (and size) as given, MicroPython's partition symbols in a
 * firmware ELF, the ROMFS partition of an ESP-IDF partition table, or the
 * manifest's image.partition. */
#ifndef ROMFS_DEPLOY_PARTITION_H
#define ROMFS_DEPLOY_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "deploy/request.h"
#include "flash/elf.h"
#include "flash/segment.h"

typedef struct {
    char *name; /* in messages: "the partition", "partition 0 of fw.elf", "partition 'romfs' of
                   p.csv" */
    uint64_t address;
    bool has_size;
    uint64_t size;
    uint64_t erase_block; /* never 0 */
    /* With --firmware: what it loads (for the checks and the ELF writer's
     * machine, class and byte order), and the bytes it loads. */
    bool has_firmware;
    const char *firmware;
    elf_info fw;
    flash_map fw_bytes;
} partition;

/* -1 with one error line: the firmware or table cannot be read, lacks the
 * partition (saying which ROMFS symbols the ELF has, or which partitions
 * the table has), or its size symbol is not absolute. A request with no
 * partition is the caller's to refuse first. */
int partition_resolve(const deploy_request *r, partition *p);
void partition_free(partition *p);

/* MicroPython's names: _micropy_hw_romfs_part<N>_start and _size. */
char *partition_symbol(unsigned part, const char *what);

#endif
