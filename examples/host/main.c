/* Prints the tree of the ROMFS image linked into this program, and one
 * file from it, read in place: no copies, no allocation. */
#include <stdint.h>
#include <stdio.h>

#include "romfs/assets.h"
#include "romfs/reader.h"

/* What a MicroPython port says (ports/qemu, samd, mimxrt, renesas-ra);
 * romfs/assets.h declares them the same way, so both may stand. */
extern uint8_t _micropy_hw_romfs_part0_start;
extern uint8_t _micropy_hw_romfs_part0_size;

/* Directories open at once: the root and 15 levels below it. What lies
 * deeper is not shown. */
enum { MAX_DEPTH = 16 };

static int print_tree(const romfs_image *img) {
    romfs_walk_frame stack[MAX_DEPTH];
    romfs_walk w;
    romfs_entry e;
    size_t depth;
    romfs_status st;
    romfs_walk_init(&w, img, stack, MAX_DEPTH, NULL, 0); /* names suffice: no path buffer */
    while ((st = romfs_walk_next(&w, &e, &depth)) != ROMFS_END) {
        if (st == ROMFS_E_TOO_DEEP) { /* e is still the directory it cannot open */
            fprintf(stderr, "%.*s/: nested too deep, not shown\n", (int)e.name_len,
                    (const char *)e.name);
            romfs_walk_skip(&w);
            continue;
        }
        if (st != ROMFS_OK) {
            fprintf(stderr, "corrupt image at offset %zu: %s\n", w.fault_offset, w.fault);
            return 1;
        }
        printf("%*s%.*s%s", 2 * (int)depth, "", (int)e.name_len, (const char *)e.name,
               e.type == ROMFS_TYPE_DIR ? "/\n" : "");
        if (e.type == ROMFS_TYPE_FILE) {
            printf("  (%zu bytes at offset %zu)\n", e.size, (size_t)(e.data - img->start));
        }
    }
    return 0;
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
    romfs_status st = romfs_find_file(&img, path, &e);
    if (st != ROMFS_OK) {
        fprintf(stderr, "%s: %s\n", path, romfs_strerror(st));
        return 1;
    }
    printf("--- %s ---\n", path);
    fwrite(e.data, 1, e.size, stdout);
    return 0;
}
