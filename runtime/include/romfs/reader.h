/*
 * romfs reader: find files in a MicroPython ROMFS image, in place.
 *
 * The image is a tree of records, each `varuint kind, varuint length,
 * payload` (see FORMAT.md in the romfs sources). This reader never
 * allocates, never copies, uses nothing beyond <stdint.h>, <stddef.h> and
 * <string.h>, and never reads outside [image, image + length): every
 * varuint and every record length is checked against the record that
 * holds it before it is used. Each call walks forward only, so it ends in
 * time linear in the bytes it passes, whatever the image holds; there is
 * no recursion, so a deeply nested image cannot exhaust the stack.
 *
 * It rejects what it cannot read exactly (a record that overruns its
 * parent, a varuint that does not end or does not fit, a kind-0 record, a
 * file without data, data pointing outside the image) rather than guess.
 */
#ifndef ROMFS_READER_H
#define ROMFS_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    ROMFS_OK = 0,
    ROMFS_E_NOT_IMAGE = -1, /* no ROMFS header, or the image overruns the buffer */
    ROMFS_E_CORRUPT = -2,   /* a structural fault; see romfs_dir.fault */
    ROMFS_E_NOT_FOUND = -3,
    ROMFS_E_NOT_DIR = -4, /* a path part before the last names a file */
    ROMFS_E_IS_DIR = -5,  /* a file was asked for and the path names a directory */
} romfs_status;

/* Record kinds (FORMAT.md, "Record kinds"). */
enum {
    ROMFS_KIND_UNUSED = 0,
    ROMFS_KIND_PADDING = 1,
    ROMFS_KIND_DATA = 2,
    ROMFS_KIND_INDIRECT = 3,
    ROMFS_KIND_DIR = 4,
    ROMFS_KIND_FILE = 5,
    ROMFS_KIND_FILESYSTEM = 0x14a6b1,
};

typedef struct {
    const uint8_t *start;   /* first byte of the image */
    size_t size;            /* bytes of the filesystem record: header + payload */
    const uint8_t *payload; /* first byte of the root directory's records */
    size_t payload_len;
} romfs_image;

typedef enum { ROMFS_TYPE_FILE = 1, ROMFS_TYPE_DIR = 2 } romfs_type;

typedef struct {
    romfs_type type;
    const uint8_t *name; /* not NUL-terminated */
    size_t name_len;
    /* A file: its bytes. A directory: its child records (for romfs_opendir). */
    const uint8_t *data;
    size_t size;
    size_t record_offset; /* offset of the entry's record in the image */
    uint8_t indirect;     /* a file whose data is a kind-3 record */
} romfs_entry;

typedef struct {
    const romfs_image *image;
    const uint8_t *pos;
    const uint8_t *end;
    /* After romfs_readdir returns ROMFS_E_CORRUPT: where and why. */
    size_t fault_offset;
    const char *fault;
} romfs_dir;

/* Checks the header and that the filesystem record fits in `len` bytes.
 * Bytes after the filesystem record (the rest of a flash partition) are
 * allowed and ignored. */
romfs_status romfs_open(romfs_image *img, const void *data, size_t len);

/* Iterates the root directory, or the directory `dir` (from readdir or
 * lookup). */
void romfs_opendir_root(const romfs_image *img, romfs_dir *it);
romfs_status romfs_opendir(const romfs_image *img, const romfs_entry *dir, romfs_dir *it);

/* Next entry of a directory. Returns 1 and fills `out`, 0 at the end, or
 * ROMFS_E_CORRUPT (the iterator then stays at its end). Padding and
 * unknown record kinds are skipped, as MicroPython does. */
int romfs_readdir(romfs_dir *it, romfs_entry *out);

/* Finds `path` ('/'-separated, an optional leading '/'; "" or "/" is the
 * root). The first entry with a matching name wins, as in MicroPython. */
romfs_status romfs_lookup(const romfs_image *img, const char *path, size_t path_len,
                          romfs_entry *out);

/* A short English phrase for a status, for messages. */
const char *romfs_strerror(romfs_status status);

#ifdef __cplusplus
}
#endif

#endif
