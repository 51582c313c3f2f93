/* Finds the ROMFS image the way a MicroPython port does, through the
 * partition 0 symbols (the image linked in, or flashed there), and checks
 * it in place: every entry's address,
 * size, alignment and CRC-32, and that looking its path up finds the same
 * bytes. Prints one line per entry and a verdict; returns 0 only if every
 * check held. */
#include <stdio.h>
#include <string.h>

#include "crc32.h"
#ifdef FIRMWARE_EMBEDS_IMAGE
#include "romfs/assets.h" /* generated: assets_romfs_start and the partition symbols */
#endif
#include "romfs/reader.h"

/* The partition as a MicroPython port declares it (ports/qemu, samd,
 * mimxrt, renesas-ra; stm32 says unsigned char, the same type): the first
 * byte, and an absolute symbol whose address is the size. The generated
 * header's declarations agree with these. */
extern uint8_t _micropy_hw_romfs_part0_start;
extern uint8_t _micropy_hw_romfs_part0_size;

/* What assets.yaml asks for: romfs puts every .tflite on 16 bytes and
 * everything else on image.align. Keep the two in step. */
enum { MODEL_ALIGN = 16, IMAGE_ALIGN = 4 };

/* Deep and long enough for the sample tree: the root and 7 levels of
 * directories below it, paths of up to MAX_PATH - 1 bytes. Anything
 * beyond is reported as a failure and passed by. */
enum { MAX_DEPTH = 8, MAX_PATH = 128 };

static unsigned checks, failures;

static int check(int ok) {
    checks++;
    failures += !ok;
    return ok;
}

static unsigned needed_alignment(const uint8_t *name, size_t len) {
    static const char model[] = ".tflite";
    size_t n = sizeof model - 1;
    return len > n && memcmp(name + len - n, model, n) == 0 ? MODEL_ALIGN : IMAGE_ALIGN;
}

/* Whether looking `path` up finds the entry the walk found; a file by the
 * lookup that refuses directories. */
static int lookup_agrees(const romfs_image *img, const char *path, const romfs_entry *e) {
    romfs_entry found;
    romfs_status st = e->type == ROMFS_TYPE_FILE ? romfs_find_file(img, path, &found)
                                                 : romfs_find(img, path, &found);
    return st == ROMFS_OK && found.type == e->type && found.data == e->data &&
           found.size == e->size;
}

static void check_file(const romfs_image *img, const char *path, const romfs_entry *e,
                       unsigned *largest_align) {
    unsigned align = needed_alignment(e->name, e->name_len);
    uintptr_t addr = (uintptr_t)e->data;
    int aligned = check(addr % align == 0);
    int found = check(lookup_agrees(img, path, e));
    if (align > *largest_align) {
        *largest_align = align;
    }
    printf("%-28s 0x%08lx %6lu B  align %2u %-10s crc32 %08lx  lookup %s\n", path,
           (unsigned long)addr, (unsigned long)e->size, align, aligned ? "ok" : "MISALIGNED",
           (unsigned long)crc32(e->data, e->size), found ? "ok" : "MISMATCH");
}

/* Depth first with a fixed stack and path buffer: no recursion, no heap.
 * Returns the largest alignment any file needs. */
static unsigned walk(const romfs_image *img, unsigned *files, unsigned *dirs) {
    romfs_walk_frame stack[MAX_DEPTH];
    char path[MAX_PATH];
    romfs_walk w;
    romfs_entry e;
    romfs_status st;
    unsigned largest_align = 1;
    romfs_walk_init(&w, img, stack, MAX_DEPTH, path, sizeof path);
    while ((st = romfs_walk_next(&w, &e, NULL)) != ROMFS_END) {
        if (st == ROMFS_E_TOO_DEEP) { /* w.path still names the directory */
            check(0);
            printf("%s/: nested deeper than %d levels\n", path, MAX_DEPTH);
            romfs_walk_skip(&w);
            continue;
        }
        if (st == ROMFS_E_PATH_TOO_LONG) { /* w.path names the entry's directory */
            check(0);
            printf("%s/...: path longer than %d bytes\n", path, MAX_PATH - 1);
            romfs_walk_skip(&w);
            continue;
        }
        if (st != ROMFS_OK) {
            check(0);
            printf("corrupt image at offset %lu: %s\n", (unsigned long)w.fault_offset, w.fault);
            break;
        }
        if (e.type == ROMFS_TYPE_FILE) {
            ++*files;
            check_file(img, path, &e, &largest_align);
            continue;
        }
        ++*dirs;
        int found = check(lookup_agrees(img, path, &e));
        int pad = 28 - (int)w.path_len - 1; /* the column of a file's path, with the '/' */
        printf("%s/%*s directory %46s lookup %s\n", path, pad > 0 ? pad : 0, "", "",
               found ? "ok" : "MISMATCH");
    }
    return largest_align;
}

int main(void) {
    const uint8_t *start = &_micropy_hw_romfs_part0_start;
    size_t size = (size_t)(uintptr_t)&_micropy_hw_romfs_part0_size;
    romfs_image img;
    romfs_status st = romfs_open(&img, start, size);
    if (st != ROMFS_OK) {
        printf("partition 0 at 0x%08lx, %lu bytes: %s\nFAIL\n", (unsigned long)(uintptr_t)start,
               (unsigned long)size, romfs_strerror(st));
        return 1;
    }
    printf("partition 0 at 0x%08lx, %lu bytes, image %lu bytes\n", (unsigned long)(uintptr_t)start,
           (unsigned long)size, (unsigned long)img.size);
    unsigned files = 0, dirs = 0;
    unsigned align = walk(&img, &files, &dirs);
    int aligned = check((uintptr_t)start % align == 0);
    printf("partition start aligned to %u (the most any file needs): %s\n", align,
           aligned ? "ok" : "NO");
    if (failures != 0) {
        printf("FAIL: %u of %u checks failed (%u files, %u directories)\n", failures, checks, files,
               dirs);
        return 1;
    }
    printf("PASS: %u checks held (%u files, %u directories)\n", checks, files, dirs);
    return 0;
}
