/* Prints the tree of the ROMFS image linked into this program, and one
 * file from it, read in place: no copies, no allocation. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "romfs/assets.h"
#include "romfs/reader.h"

/* What a MicroPython port says (ports/qemu, samd, mimxrt, renesas-ra);
 * romfs/assets.h declares them the same way, so both may stand. */
extern uint8_t _micropy_hw_romfs_part0_start;
extern uint8_t _micropy_hw_romfs_part0_size;

enum { MAX_DEPTH = 16 };

static int print_tree(const romfs_image *img) {
    romfs_dir stack[MAX_DEPTH];
    int depth = 0;
    romfs_opendir_root(img, &stack[0]);
    for (;;) {
        romfs_entry e;
        int r = romfs_readdir(&stack[depth], &e);
        if (r < 0) {
            fprintf(stderr, "corrupt image at offset %zu: %s\n", stack[depth].fault_offset,
                    stack[depth].fault);
            return 1;
        }
        if (r == 0) {
            if (depth == 0) {
                return 0;
            }
            depth--;
            continue;
        }
        printf("%*s%.*s%s", 2 * depth, "", (int)e.name_len, (const char *)e.name,
               e.type == ROMFS_TYPE_DIR ? "/\n" : "");
        if (e.type == ROMFS_TYPE_FILE) {
            printf("  (%zu bytes at offset %zu)\n", e.size, (size_t)(e.data - img->start));
        } else if (depth + 1 < MAX_DEPTH) {
            romfs_opendir(img, &e, &stack[++depth]);
        }
    }
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "labels.txt";
    romfs_image img;
    /* MicroPython's port would do the same with these two symbols. */
    size_t partition = (size_t)(uintptr_t)&_micropy_hw_romfs_part0_size;
    if (romfs_open(&img, &_micropy_hw_romfs_part0_start, partition) != ROMFS_OK) {
        fprintf(stderr, "no ROMFS image in this program\n");
        return 1;
    }
    printf("image: %zu bytes at %p (partition of %zu bytes)\n", img.size,
           (const void *)assets_romfs_start, partition);
    if (print_tree(&img) != 0) {
        return 1;
    }
    romfs_entry e;
    romfs_status st = romfs_lookup(&img, path, strlen(path), &e);
    if (st != ROMFS_OK || e.type != ROMFS_TYPE_FILE) {
        fprintf(stderr, "%s: %s\n", path, st != ROMFS_OK ? romfs_strerror(st) : "is a directory");
        return 1;
    }
    printf("--- %s ---\n", path);
    fwrite(e.data, 1, e.size, stdout);
    return 0;
}
