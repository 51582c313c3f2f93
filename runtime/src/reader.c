/* romfs reader; the contract is in romfs/reader.h. */
#include "romfs/reader.h"

#include <string.h>

static const uint8_t header[3] = {0xd2, 0xcd, 0x31};

/* Decodes a varuint at *p that must end before `end`. Leading 0x80 bytes
 * (padding) are legal in any number; a value that does not fit in size_t
 * is rejected, so a run of 0xff bytes cannot wrap around. */
static int get_uint(const uint8_t **p, const uint8_t *end, size_t *out) {
    const uint8_t *q = *p;
    size_t v = 0;
    for (;;) {
        if (q >= end) {
            return -1;
        }
        uint8_t b = *q++;
        if (v > (SIZE_MAX >> 7)) {
            return -1;
        }
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) {
            break;
        }
    }
    *p = q;
    *out = v;
    return 0;
}

/* One record header: its kind, and its payload bounds, checked to lie
 * inside [*p, end). Returns NULL on success or the fault. */
static const char *get_record(const uint8_t **p, const uint8_t *end, size_t *kind,
                              const uint8_t **payload_end) {
    size_t len;
    if (get_uint(p, end, kind) != 0) {
        return "record kind runs past its parent or does not fit";
    }
    if (get_uint(p, end, &len) != 0) {
        return "record length runs past its parent or does not fit";
    }
    if (len > (size_t)(end - *p)) {
        return "record runs past the end of its parent";
    }
    *payload_end = *p + len;
    return NULL;
}

romfs_status romfs_open(romfs_image *img, const void *data, size_t len) {
    const uint8_t *start = data;
    if (start == NULL || len < 4 || memcmp(start, header, sizeof header) != 0) {
        return ROMFS_E_NOT_IMAGE; /* NULL: a partition the firmware does not have */
    }
    const uint8_t *end = start + len;
    const uint8_t *p = start;
    size_t kind;
    const uint8_t *payload_end;
    if (get_record(&p, end, &kind, &payload_end) != NULL || kind != ROMFS_KIND_FILESYSTEM) {
        return ROMFS_E_NOT_IMAGE;
    }
    img->start = start;
    img->payload = p;
    img->payload_len = (size_t)(payload_end - p);
    img->size = (size_t)(payload_end - start);
    return ROMFS_OK;
}

romfs_status romfs_opendir_root(const romfs_image *img, romfs_dir *it) {
    it->image = img;
    it->pos = img->payload;
    it->end = img->payload + img->payload_len;
    it->fault_offset = 0;
    it->fault = NULL;
    return ROMFS_OK;
}

romfs_status romfs_opendir(const romfs_image *img, const romfs_entry *dir, romfs_dir *it) {
    if (dir->type != ROMFS_TYPE_DIR) {
        return ROMFS_E_NOT_DIR;
    }
    it->image = img;
    it->pos = dir->data;
    it->end = dir->data + dir->size;
    it->fault_offset = 0;
    it->fault = NULL;
    return ROMFS_OK;
}

static romfs_status fail(romfs_dir *it, const uint8_t *where, const char *why) {
    it->fault_offset = (size_t)(where - it->image->start);
    it->fault = why;
    it->pos = it->end;
    return ROMFS_E_CORRUPT;
}

/* The data of the file whose record starts at `rec_start` and whose child
 * records are [p, end): the first kind-2 or kind-3 record, as MicroPython
 * takes it. */
static romfs_status get_file_data(romfs_dir *it, const uint8_t *rec_start, const uint8_t *p,
                                  const uint8_t *end, romfs_entry *out) {
    const romfs_image *img = it->image;
    while (p < end) {
        const uint8_t *rec = p;
        size_t kind;
        const uint8_t *next;
        const char *why = get_record(&p, end, &kind, &next);
        if (why != NULL) {
            return fail(it, rec, why);
        }
        if (kind == ROMFS_KIND_UNUSED) {
            return fail(it, rec, "kind-0 (unused) record inside a file");
        }
        if (kind == ROMFS_KIND_DATA) {
            out->data = p;
            out->size = (size_t)(next - p);
            out->indirect = 0;
            return ROMFS_OK;
        }
        if (kind == ROMFS_KIND_INDIRECT) {
            size_t size, offset;
            if (get_uint(&p, next, &size) != 0 || get_uint(&p, next, &offset) != 0) {
                return fail(it, rec, "indirect data record is truncated");
            }
            if (offset > img->payload_len || size > img->payload_len - offset) {
                return fail(it, rec, "indirect data points outside the filesystem payload");
            }
            out->data = img->payload + offset;
            out->size = size;
            out->indirect = 1;
            return ROMFS_OK;
        }
        p = next;
    }
    return fail(it, rec_start, "file has no data record");
}

/* The next directory or file record; resolves a file's data only when
 * asked, so a lookup passes over files it does not want unread. */
static romfs_status next_entry(romfs_dir *it, romfs_entry *out, int want_data) {
    while (it->pos < it->end) {
        const uint8_t *rec = it->pos;
        const uint8_t *p = it->pos;
        size_t kind;
        const uint8_t *next;
        const char *why = get_record(&p, it->end, &kind, &next);
        if (why != NULL) {
            return fail(it, rec, why);
        }
        if (kind == ROMFS_KIND_UNUSED) {
            return fail(it, rec, "kind-0 (unused) record");
        }
        it->pos = next;
        if (kind != ROMFS_KIND_DIR && kind != ROMFS_KIND_FILE) {
            continue; /* padding, or a kind from a later format: skipped */
        }
        size_t name_len;
        if (get_uint(&p, next, &name_len) != 0 || name_len > (size_t)(next - p)) {
            return fail(it, rec, "entry name runs past its record");
        }
        out->name = p;
        out->name_len = name_len;
        out->record_offset = (size_t)(rec - it->image->start);
        p += name_len;
        if (kind == ROMFS_KIND_DIR) {
            out->type = ROMFS_TYPE_DIR;
            out->data = p;
            out->size = (size_t)(next - p);
            out->indirect = 0;
            return ROMFS_OK;
        }
        out->type = ROMFS_TYPE_FILE;
        if (!want_data) {
            out->data = p; /* the file's child records, resolved on demand */
            out->size = (size_t)(next - p);
            return ROMFS_OK;
        }
        return get_file_data(it, rec, p, next, out);
    }
    return ROMFS_END;
}

romfs_status romfs_dir_next(romfs_dir *it, romfs_entry *out) {
    return next_entry(it, out, 1);
}

romfs_status romfs_dir_next_record(romfs_dir *it, romfs_record *out) {
    if (it->pos >= it->end) {
        return ROMFS_END;
    }
    const uint8_t *rec = it->pos, *p = it->pos, *next;
    size_t kind;
    const char *why = get_record(&p, it->end, &kind, &next);
    if (why != NULL) {
        return fail(it, rec, why);
    }
    it->pos = next;
    out->kind = kind;
    out->offset = (size_t)(rec - it->image->start);
    out->length = (size_t)(next - rec);
    out->payload = p;
    out->payload_len = (size_t)(next - p);
    out->name = out->body = NULL;
    out->name_len = out->body_len = 0;
    if (kind == ROMFS_KIND_DIR || kind == ROMFS_KIND_FILE) {
        size_t name_len;
        if (get_uint(&p, next, &name_len) != 0 || name_len > (size_t)(next - p)) {
            return fail(it, rec, "entry name runs past its record");
        }
        out->name = p;
        out->name_len = name_len;
        out->body = p + name_len;
        out->body_len = (size_t)(next - out->body);
    }
    return ROMFS_OK;
}

romfs_status romfs_open_records(const romfs_image *img, const uint8_t *body, size_t len,
                                romfs_dir *it) {
    const uint8_t *end = img->start + img->size;
    if (body < img->payload || body > end || len > (size_t)(end - body)) {
        return ROMFS_E_NOT_IMAGE;
    }
    it->image = img;
    it->pos = body;
    it->end = body + len;
    it->fault_offset = 0;
    it->fault = NULL;
    return ROMFS_OK;
}

romfs_status romfs_record_entry(romfs_dir *it, const romfs_record *rec, romfs_entry *out) {
    if (rec->kind != ROMFS_KIND_DIR && rec->kind != ROMFS_KIND_FILE) {
        return ROMFS_E_NOT_FOUND;
    }
    out->name = rec->name;
    out->name_len = rec->name_len;
    out->record_offset = rec->offset;
    if (rec->kind == ROMFS_KIND_DIR) {
        out->type = ROMFS_TYPE_DIR;
        out->data = rec->body;
        out->size = rec->body_len;
        out->indirect = 0;
        return ROMFS_OK;
    }
    out->type = ROMFS_TYPE_FILE;
    return get_file_data(it, it->image->start + rec->offset, rec->body, rec->body + rec->body_len,
                         out);
}

static romfs_status lookup(const romfs_image *img, const char *path, size_t path_len, int want_file,
                           romfs_entry *out) {
    if (path == NULL) {
        return ROMFS_E_NOT_FOUND;
    }
    if (path_len > 0 && path[0] == '/') {
        path++;
        path_len--;
    }
    romfs_dir it;
    romfs_opendir_root(img, &it);
    romfs_entry e;
    e.type = ROMFS_TYPE_DIR;
    e.name = img->payload;
    e.name_len = 0;
    e.data = img->payload;
    e.size = img->payload_len;
    e.record_offset = 0;
    e.indirect = 0;
    while (path_len > 0) {
        const char *slash = memchr(path, '/', path_len);
        size_t part = slash ? (size_t)(slash - path) : path_len;
        romfs_status st;
        while ((st = next_entry(&it, &e, 0)) == ROMFS_OK) {
            if (e.name_len == part && memcmp(e.name, path, part) == 0) {
                break;
            }
        }
        if (st != ROMFS_OK) {
            return st == ROMFS_END ? ROMFS_E_NOT_FOUND : st;
        }
        path += part;
        path_len -= part;
        if (e.type == ROMFS_TYPE_FILE) {
            if (path_len > 0) {
                return ROMFS_E_NOT_DIR;
            }
            const uint8_t *end = e.data + e.size;
            st = get_file_data(&it, img->start + e.record_offset, e.data, end, &e);
            if (st != ROMFS_OK) {
                return st;
            }
            break;
        }
        if (path_len > 0) { /* skip the '/' after a directory name */
            path++;
            path_len--;
        }
        romfs_opendir(img, &e, &it);
    }
    if (want_file && e.type == ROMFS_TYPE_DIR) {
        return ROMFS_E_IS_DIR;
    }
    *out = e;
    return ROMFS_OK;
}

romfs_status romfs_lookup(const romfs_image *img, const char *path, size_t path_len,
                          romfs_entry *out) {
    return lookup(img, path, path_len, 0, out);
}

romfs_status romfs_lookup_file(const romfs_image *img, const char *path, size_t path_len,
                               romfs_entry *out) {
    return lookup(img, path, path_len, 1, out);
}

romfs_status romfs_find(const romfs_image *img, const char *path, romfs_entry *out) {
    return lookup(img, path, path ? strlen(path) : 0, 0, out);
}

romfs_status romfs_find_file(const romfs_image *img, const char *path, romfs_entry *out) {
    return lookup(img, path, path ? strlen(path) : 0, 1, out);
}

/* ---- The walk ----------------------------------------------------------- */

/* What romfs_walk_next does first. A walk that ran out of room stays in
 * WALK_ENTER or WALK_HELD, which is how it keeps its place. */
enum {
    WALK_ROOT,  /* open the root directory */
    WALK_ENTER, /* open w->held, the directory returned last */
    WALK_READ,  /* read the next entry of the innermost directory */
    WALK_HELD,  /* return w->held, which was read but whose path did not fit */
    WALK_OVER,
};

/* Cuts the path back to one it held before, which therefore fits. */
static void set_path_len(romfs_walk *w, size_t len) {
    w->path_len = len;
    if (w->path != NULL && len < w->path_cap) {
        w->path[len] = '\0';
    }
}

romfs_status romfs_walk_init(romfs_walk *w, const romfs_image *img, romfs_walk_frame *stack,
                             size_t capacity, char *path, size_t path_cap) {
    w->path = path;
    w->path_cap = path != NULL ? path_cap : 0;
    w->path_need = 0;
    w->depth = 0;
    w->fault_offset = 0;
    w->fault = NULL;
    w->image = img;
    w->stack = stack;
    w->capacity = capacity;
    w->state = WALK_ROOT;
    set_path_len(w, 0);
    return ROMFS_OK;
}

romfs_status romfs_walk_next(romfs_walk *w, romfs_entry *out, size_t *depth) {
    if (w->state == WALK_OVER) {
        return ROMFS_END;
    }
    if (w->state == WALK_ROOT || w->state == WALK_ENTER) {
        if (w->depth == w->capacity) {
            return ROMFS_E_TOO_DEEP;
        }
        romfs_walk_frame *f = &w->stack[w->depth];
        if (w->state == WALK_ROOT) {
            romfs_opendir_root(w->image, &f->dir);
        } else {
            romfs_opendir(w->image, &w->held, &f->dir);
        }
        f->path_len = w->path_len;
        w->depth++;
        w->state = WALK_READ;
    }
    while (w->depth > 0) {
        romfs_walk_frame *top = &w->stack[w->depth - 1];
        romfs_entry e;
        if (w->state == WALK_HELD) {
            e = w->held;
        } else {
            romfs_status st = romfs_dir_next(&top->dir, &e);
            if (st == ROMFS_END) {
                w->depth--;
                set_path_len(w, w->depth > 0 ? w->stack[w->depth - 1].path_len : 0);
                continue;
            }
            if (st != ROMFS_OK) {
                w->fault_offset = top->dir.fault_offset;
                w->fault = top->dir.fault;
                set_path_len(w, top->path_len);
                w->depth = 0;
                w->state = WALK_OVER;
                return st;
            }
        }
        if (w->path != NULL) {
            /* base + sep + name + NUL must fit in path_cap; base < path_cap
             * unless both are 0, so the subtractions cannot wrap. */
            size_t base = top->path_len, sep = base > 0;
            size_t room = w->path_cap > base ? w->path_cap - base : 0;
            if (room < sep + 1 || e.name_len > room - sep - 1) {
                w->held = e;
                w->state = WALK_HELD;
                w->path_need =
                    e.name_len > SIZE_MAX - base - sep - 1 ? SIZE_MAX : base + sep + e.name_len + 1;
                set_path_len(w, base);
                *out = e;
                if (depth != NULL) {
                    *depth = w->depth - 1;
                }
                return ROMFS_E_PATH_TOO_LONG;
            }
            char *at = w->path + base;
            if (sep) {
                *at++ = '/';
            }
            memcpy(at, e.name, e.name_len);
            at[e.name_len] = '\0';
            w->path_len = base + sep + e.name_len;
        }
        if (e.type == ROMFS_TYPE_DIR) {
            w->held = e;
            w->state = WALK_ENTER;
        } else {
            w->state = WALK_READ;
        }
        *out = e;
        if (depth != NULL) {
            *depth = w->depth - 1;
        }
        return ROMFS_OK;
    }
    w->state = WALK_OVER;
    return ROMFS_END;
}

romfs_status romfs_walk_skip(romfs_walk *w) {
    if (w->state == WALK_ENTER || w->state == WALK_HELD) {
        w->state = WALK_READ;
    } else if (w->state == WALK_ROOT) {
        w->state = WALK_OVER; /* the root not entered: nothing to walk */
    }
    return ROMFS_OK;
}

romfs_status romfs_walk_grow(romfs_walk *w, romfs_walk_frame *stack, size_t capacity, char *path,
                             size_t path_cap) {
    if (capacity < w->depth) {
        return ROMFS_E_TOO_DEEP;
    }
    if ((path == NULL) != (w->path == NULL) || (path != NULL && path_cap <= w->path_len)) {
        return ROMFS_E_PATH_TOO_LONG;
    }
    w->stack = stack;
    w->capacity = capacity;
    w->path = path;
    w->path_cap = path != NULL ? path_cap : 0;
    set_path_len(w, w->path_len);
    return ROMFS_OK;
}

const char *romfs_strerror(romfs_status status) {
    switch (status) {
    case ROMFS_OK:
        return "ok";
    case ROMFS_END:
        return "no more entries";
    case ROMFS_E_NOT_IMAGE:
        return "not a ROMFS image";
    case ROMFS_E_CORRUPT:
        return "corrupt image";
    case ROMFS_E_NOT_FOUND:
        return "no such file or directory";
    case ROMFS_E_NOT_DIR:
        return "not a directory";
    case ROMFS_E_IS_DIR:
        return "is a directory";
    case ROMFS_E_TOO_DEEP:
        return "directories nested deeper than the walk's stack";
    case ROMFS_E_PATH_TOO_LONG:
        return "path longer than the walk's buffer";
    }
    return "unknown error";
}
