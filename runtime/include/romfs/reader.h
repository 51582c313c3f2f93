/*
 * romfs reader: find and walk the files of a MicroPython ROMFS image in
 * place, straight from flash.
 *
 * The format, in brief
 * --------------------
 * docs/format.md in the romfs repository states all of it.
 *
 * - A varuint is an unsigned number in groups of 7 bits, most significant
 *   group first; every byte but the last has its top bit set (0 is 00,
 *   300 is 82 2c). Any number of 80 bytes may lead it without changing
 *   its value: writers use them to move what follows (padded varuints).
 * - A record is a varuint kind, a varuint length, and that many bytes of
 *   payload. A reader passes over a record of a kind it does not know.
 * - Kinds: 0 unused (never written: a reader that meets one stops, the
 *   image is damaged); 1 padding (its payload means nothing); 2 data (the
 *   payload is the file's bytes); 3 indirect data (the payload is a
 *   varuint size and a varuint offset, counted from the first byte of the
 *   filesystem payload, where the file's bytes are); 4 directory and
 *   5 file (the payload is a varuint name length, the name, then records:
 *   a directory's entries, or a file's data record and anything before
 *   it); 0x14a6b1 filesystem.
 * - An image is one filesystem record, which starts with the bytes
 *   d2 cd 31 (the kind); its payload holds the root directory's records.
 *   Its total size is even. An empty image is d2 cd 31 00.
 * - A name is raw bytes (UTF-8 from romfs), without '/' or NUL, never
 *   empty, "." or "..". A file's data is its first data or indirect
 *   record; records before it (padding, say) are passed over.
 * - romfs aligns each file's data (16 bytes for .tflite models, 32 for
 *   the STM32N6 NPU, what the manifest says for the rest) counting from
 *   the image's first byte, so that a model can be used where it lies;
 *   the image must therefore start at an address that is a multiple of
 *   its largest alignment (romfs build reports it).
 *
 * Firmware usually finds the image through the two symbols MicroPython's
 * ports use, _micropy_hw_romfs_part0_start (its address is the image's
 * first byte) and _micropy_hw_romfs_part0_size (its address is the size
 * of the partition), and passes them to romfs_open().
 *
 * What is checked, and what it costs
 * ----------------------------------
 * This reader never allocates and never copies file data; it needs
 * nothing beyond <stddef.h>, <stdint.h> and <string.h>, and keeps no state
 * of its own, so separate images, iterators and walks may be used at once
 * from separate threads. It never reads outside [data, data + len) of
 * romfs_open(): every varuint and every record length is checked against
 * the record that holds it before it is used, and the data of an indirect
 * record must lie inside the filesystem payload. A varuint whose value
 * does not fit in size_t is a fault, so sizes are limited to what the
 * machine can address and nothing wraps. Each call moves forward only and
 * ends in time linear in the bytes it passes, whatever the image holds;
 * nothing recurses, so a deeply nested image cannot exhaust the stack
 * (a walk keeps its directories in a stack the caller gives it).
 *
 * It rejects what it cannot read exactly rather than guess: a record
 * that runs past its parent, a varuint that does not end or does not
 * fit, a kind-0 record, a name longer than its record, a file without a
 * data record, indirect data outside the payload. These are
 * ROMFS_E_CORRUPT; an iterator or walk then says where and why. It does
 * not judge names: an empty name, a '/' or a NUL inside one, a duplicate
 * in a directory are handed out as they are (romfs verify reports them).
 * Like MicroPython, it passes over records of unknown kinds and finds a
 * name's first entry in a directory.
 *
 * Limits: none of its own on sizes (beyond size_t), names or depth. A
 * lookup needs no stack, however deep its path; a walk needs one frame
 * (sizeof (romfs_walk_frame): 24 bytes on a 32-bit target) per open
 * directory and, if it builds paths, a buffer one byte longer than the
 * longest path, and says so when either runs out. The image must stay
 * unchanged while it is being read; every pointer handed out points
 * into it.
 */
#ifndef ROMFS_READER_H
#define ROMFS_READER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What every function returns. Errors are negative; ROMFS_END is not an
 * error but the end of a directory or of a walk. */
typedef enum {
    ROMFS_OK = 0,
    ROMFS_END = 1,          /* no more entries */
    ROMFS_E_NOT_IMAGE = -1, /* no ROMFS header, or the image overruns the buffer */
    ROMFS_E_CORRUPT = -2,   /* a structural fault; see romfs_dir.fault, romfs_walk.fault */
    ROMFS_E_NOT_FOUND = -3,
    ROMFS_E_NOT_DIR = -4,       /* a path part before the last, or romfs_opendir, names a file */
    ROMFS_E_IS_DIR = -5,        /* a file was asked for and the path names a directory */
    ROMFS_E_TOO_DEEP = -6,      /* a walk's stack has no room for the next directory */
    ROMFS_E_PATH_TOO_LONG = -7, /* a walk's path buffer has no room for the next path */
} romfs_status;

/* Record kinds (docs/format.md, "Records"). */
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

/* One directory being read. */
typedef struct {
    const romfs_image *image;
    const uint8_t *pos;
    const uint8_t *end;
    /* After romfs_dir_next returns ROMFS_E_CORRUPT: where (an offset in the
     * image, inside the faulty record) and why (an English phrase). */
    size_t fault_offset;
    const char *fault;
} romfs_dir;

/* Checks the header and that the filesystem record fits in `len` bytes:
 * ROMFS_OK, or ROMFS_E_NOT_IMAGE (also for data == NULL, which is what
 * firmware without the partition passes). Bytes after the filesystem
 * record (the rest of a flash partition) are allowed and ignored. Nothing
 * else is read until it is asked for. */
romfs_status romfs_open(romfs_image *img, const void *data, size_t len);

/* Starts reading the root directory, or the directory `dir` (an entry
 * from romfs_dir_next, a lookup or a walk): ROMFS_OK, or ROMFS_E_NOT_DIR
 * when `dir` is a file. */
romfs_status romfs_opendir_root(const romfs_image *img, romfs_dir *it);
romfs_status romfs_opendir(const romfs_image *img, const romfs_entry *dir, romfs_dir *it);

/* The next entry of a directory, in image order: ROMFS_OK with the entry
 * in *out; ROMFS_END when there are no more; or ROMFS_E_CORRUPT, with
 * it->fault_offset and it->fault set. After ROMFS_END or ROMFS_E_CORRUPT
 * every further call returns ROMFS_END. Padding and unknown record kinds
 * are passed over. A file's data is resolved here, so a file without data
 * is a fault of its directory. (This replaces romfs_readdir(), which
 * returned 1 for an entry and 0 at the end.) */
romfs_status romfs_dir_next(romfs_dir *it, romfs_entry *out);

/* One record as it stands in the image, whatever its kind. */
typedef struct {
    size_t kind;
    size_t offset;          /* of its first byte in the image */
    size_t length;          /* of the whole record: kind, length and payload */
    const uint8_t *payload; /* its payload_len bytes */
    size_t payload_len;
    /* A directory or a file: its name, and the records after the name (a
     * directory's entries; a file's padding and data records). */
    const uint8_t *name;
    size_t name_len;
    const uint8_t *body;
    size_t body_len;
} romfs_record;

/* The next record of a directory, of any kind (padding and kinds this
 * reader does not know included), for tools that account for every byte
 * of an image. ROMFS_OK, ROMFS_END, or ROMFS_E_CORRUPT when its kind or
 * length does not decode, it runs past its directory, or a directory's or
 * file's name runs past it. Use either this or romfs_dir_next on one
 * iterator. */
romfs_status romfs_dir_next_record(romfs_dir *it, romfs_record *out);
/* Iterates the records of a directory's or file's body (from a
 * romfs_record): ROMFS_OK, or ROMFS_E_NOT_IMAGE when it is not inside the
 * image. */
romfs_status romfs_open_records(const romfs_image *img, const uint8_t *body, size_t len,
                                romfs_dir *it);
/* A directory or file record as an entry (a file's data resolved as
 * romfs_dir_next resolves it): ROMFS_OK, ROMFS_E_NOT_FOUND for a record
 * of another kind, or ROMFS_E_CORRUPT (it->fault says why). */
romfs_status romfs_record_entry(romfs_dir *it, const romfs_record *rec, romfs_entry *out);

/* Finds `path`: '/'-separated names, with an optional leading '/'; a
 * trailing '/' after a directory's name is allowed; "" and "/" are the
 * root (a directory whose data is the whole payload). In each directory
 * the first entry with a matching name wins, as in MicroPython, and
 * only the records before it are read. Returns ROMFS_OK with the entry
 * in *out (left unchanged on any error), ROMFS_E_NOT_FOUND,
 * ROMFS_E_NOT_DIR (a part before the last names a file, or a file's name
 * is followed by '/') or ROMFS_E_CORRUPT (a fault on the way;
 * romfs_dir_next of that directory says where).
 *
 * romfs_lookup takes the path's length, so it need not be terminated
 * (a name in a request line, say); romfs_find takes a NUL-terminated one.
 * The _file forms want a file and return ROMFS_E_IS_DIR when the path
 * names a directory. A NULL path finds nothing. */
romfs_status romfs_lookup(const romfs_image *img, const char *path, size_t path_len,
                          romfs_entry *out);
romfs_status romfs_lookup_file(const romfs_image *img, const char *path, size_t path_len,
                               romfs_entry *out);
romfs_status romfs_find(const romfs_image *img, const char *path, romfs_entry *out);
romfs_status romfs_find_file(const romfs_image *img, const char *path, romfs_entry *out);

/* ---- Walking the whole tree ---------------------------------------------
 *
 * Every entry of the image once, depth first: a directory comes before
 * what it holds, and the entries of a directory come in image order. The
 * walk allocates nothing: the caller gives it a stack of frames, one per
 * open directory (the root's included: a tree N directories deep needs
 * N + 1), and optionally a buffer that the walk fills with each entry's
 * path. A fixed stack suits firmware; a host program can grow the stack
 * or the buffer when the walk runs out and carry on where it stopped.
 *
 *     romfs_walk_frame stack[8];
 *     char path[128];
 *     romfs_walk w;
 *     romfs_entry e;
 *     size_t depth;
 *     romfs_status st;
 *     romfs_walk_init(&w, &img, stack, 8, path, sizeof path);
 *     while ((st = romfs_walk_next(&w, &e, &depth)) != ROMFS_END) {
 *         if (st == ROMFS_E_TOO_DEEP || st == ROMFS_E_PATH_TOO_LONG) {
 *             romfs_walk_skip(&w);   (or romfs_walk_grow, then go on)
 *             continue;
 *         }
 *         if (st != ROMFS_OK)
 *             break;                 (ROMFS_E_CORRUPT: w.fault_offset, w.fault)
 *         use(w.path, &e);
 *     }
 */

/* One open directory of a walk. */
typedef struct {
    romfs_dir dir;
    size_t path_len; /* of the directory's own path in the walk's buffer */
} romfs_walk_frame;

typedef struct {
    /* For the caller to read. path: the buffer given to the walk, or NULL;
     * whenever path_cap > 0 it is NUL-terminated and holds path_len bytes:
     * after ROMFS_OK, the path of the entry returned; after
     * ROMFS_E_TOO_DEEP, still that of the directory that could not be
     * entered; after ROMFS_E_PATH_TOO_LONG or ROMFS_E_CORRUPT, that of
     * the directory being read; after ROMFS_END, "". A path is the names
     * from the root down, each after a '/' unless nothing precedes it;
     * only a damaged image makes two paths alike (an empty name) or puts
     * a NUL inside one, so path_len is the length to trust. */
    char *path;
    size_t path_len;
    size_t path_need;    /* after ROMFS_E_PATH_TOO_LONG: the path_cap it needs */
    size_t depth;        /* frames in use */
    size_t fault_offset; /* after ROMFS_E_CORRUPT: where and why, as in romfs_dir */
    const char *fault;
    /* The walk's own. */
    const romfs_image *image;
    romfs_walk_frame *stack;
    size_t capacity;
    size_t path_cap;
    romfs_entry held; /* the directory to enter next, or the entry whose path did not fit */
    int state;
} romfs_walk;

/* Sets up a walk of `img` with `capacity` frames at `stack` and, unless
 * `path` is NULL, `path_cap` bytes of path buffer at `path`; reads
 * nothing. Returns ROMFS_OK. */
romfs_status romfs_walk_init(romfs_walk *w, const romfs_image *img, romfs_walk_frame *stack,
                             size_t capacity, char *path, size_t path_cap);

/* The next entry: ROMFS_OK with it in *out, its depth (0 for the root's
 * entries) in *depth unless depth is NULL, and its path in w->path.
 * ROMFS_END when every entry has been returned. ROMFS_E_CORRUPT, with
 * w->fault_offset and w->fault; the walk is then over and returns
 * ROMFS_END. Two statuses keep the walk's place, so that the same call
 * can be made again once there is room, or romfs_walk_skip() passes the
 * trouble by:
 * - ROMFS_E_TOO_DEEP: the directory just returned needs a frame and all
 *   `capacity` are in use (w->depth of them);
 * - ROMFS_E_PATH_TOO_LONG: the next entry's path needs w->path_need bytes
 *   of buffer, its NUL included; that entry and its depth are in *out and
 *   *depth already, and come back with ROMFS_OK once it fits. */
romfs_status romfs_walk_next(romfs_walk *w, romfs_entry *out, size_t *depth);

/* Passes by what the walk would do next: after ROMFS_E_TOO_DEEP, or after
 * ROMFS_OK with a directory, the walk goes on without entering that
 * directory; after ROMFS_E_PATH_TOO_LONG, without that entry (and, if it
 * is a directory, what it holds). Otherwise it changes nothing. Returns
 * ROMFS_OK. */
romfs_status romfs_walk_skip(romfs_walk *w);

/* Moves the walk to another stack or path buffer, usually a larger one
 * after ROMFS_E_TOO_DEEP or ROMFS_E_PATH_TOO_LONG. The new stack must
 * hold a copy of the w->depth frames in use, and the new buffer a copy
 * of the w->path_len bytes of path (realloc() keeps both). A walk begun
 * without a path buffer takes none here (path NULL). A stack smaller than
 * w->depth is refused with ROMFS_E_TOO_DEEP, and a buffer that cannot
 * hold the path and its NUL (or a path buffer where there was none, or
 * none where there was one) with ROMFS_E_PATH_TOO_LONG; a refusal changes
 * nothing. */
romfs_status romfs_walk_grow(romfs_walk *w, romfs_walk_frame *stack, size_t capacity, char *path,
                             size_t path_cap);

/* A short English phrase for any status, for messages: never NULL. */
const char *romfs_strerror(romfs_status status);

#ifdef __cplusplus
}
#endif

#endif
