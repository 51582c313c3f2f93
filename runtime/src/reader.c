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

void romfs_opendir_root(const romfs_image *img, romfs_dir *it) {
    it->image = img;
    it->pos = img->payload;
    it->end = img->payload + img->payload_len;
    it->fault_offset = 0;
    it->fault = NULL;
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

static int fail(romfs_dir *it, const uint8_t *where, const char *why) {
    it->fault_offset = (size_t)(where - it->image->start);
    it->fault = why;
    it->pos = it->end;
    return ROMFS_E_CORRUPT;
}

/* The data of the file whose record starts at `rec` and whose child
 * records are [p, end): the first kind-2 or kind-3 record, as MicroPython
 * takes it. */
static int get_file_data(romfs_dir *it, const uint8_t *rec_start, const uint8_t *p,
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
            return 1;
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
            return 1;
        }
        p = next;
    }
    return fail(it, rec_start, "file has no data record");
}

/* The next directory or file record; resolves a file's data only when
 * asked, so a lookup passes over files it does not want unread. */
static int next_entry(romfs_dir *it, romfs_entry *out, int want_data) {
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
            return 1;
        }
        out->type = ROMFS_TYPE_FILE;
        if (!want_data) {
            out->data = p; /* the file's child records, resolved on demand */
            out->size = (size_t)(next - p);
            return 1;
        }
        return get_file_data(it, rec, p, next, out);
    }
    return 0;
}

int romfs_readdir(romfs_dir *it, romfs_entry *out) {
    return next_entry(it, out, 1);
}

romfs_status romfs_lookup(const romfs_image *img, const char *path, size_t path_len,
                          romfs_entry *out) {
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
        int r;
        while ((r = next_entry(&it, &e, 0)) == 1) {
            if (e.name_len == part && memcmp(e.name, path, part) == 0) {
                break;
            }
        }
        if (r < 0) {
            return ROMFS_E_CORRUPT;
        }
        if (r == 0) {
            return ROMFS_E_NOT_FOUND;
        }
        path += part;
        path_len -= part;
        if (e.type == ROMFS_TYPE_FILE) {
            if (path_len > 0) {
                return ROMFS_E_NOT_DIR;
            }
            const uint8_t *end = e.data + e.size;
            if (get_file_data(&it, img->start + e.record_offset, e.data, end, &e) != 1) {
                return ROMFS_E_CORRUPT;
            }
            break;
        }
        if (path_len > 0) { /* skip the '/' after a directory name */
            path++;
            path_len--;
        }
        romfs_opendir(img, &e, &it);
    }
    *out = e;
    return ROMFS_OK;
}

const char *romfs_strerror(romfs_status status) {
    switch (status) {
    case ROMFS_OK:
        return "ok";
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
    }
    return "unknown error";
}
