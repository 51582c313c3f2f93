#include "inspect/listing.h"

#include <string.h>

#include "util/diag.h"
#include "inspect/image_check.h"
#include "inspect/image_walk.h"
#include "util/json.h"

/* Columns: path (directories end in '/'), size, data offset, and the
 * largest power of two dividing that offset. */
static void print_text(FILE *out, const image_file *f, const char *path, const romfs_entry *e,
                       int width) {
    if (e->type == ROMFS_TYPE_DIR) {
        int pad = width - (int)strlen(path) - 1;
        fprintf(out, "%s/%*s %10s %10s %6s\n", path, pad > 0 ? pad : 0, "", "-", "-", "-");
        return;
    }
    size_t offset = (size_t)(e->data - f->bytes);
    fprintf(out, "%-*s %10zu %10zu %6zu\n", width, path, e->size, offset, offset_alignment(offset));
}

/* The width of the path column: the longest path, within reason. */
static int path_width(const image_file *f) {
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth, widest = 4;
    while (image_walk_next(&w, &e, &depth) == 1) {
        size_t len = w.path_len + (e.type == ROMFS_TYPE_DIR);
        widest = len > widest ? len : widest;
    }
    image_walk_end(&w);
    return widest > 60 ? 60 : (int)widest;
}

static void print_json(FILE *out, const image_file *f, const char *path, const romfs_entry *e,
                       int first) {
    fprintf(out, "%s\n    {\"path\": ", first ? "" : ",");
    json_string(out, path, strlen(path));
    if (e->type == ROMFS_TYPE_DIR) {
        fprintf(out, ", \"type\": \"dir\"}");
        return;
    }
    size_t offset = (size_t)(e->data - f->bytes);
    fprintf(out, ", \"type\": \"file\", \"size\": %zu, \"offset\": %zu, \"align\": %zu}", e->size,
            offset, offset_alignment(offset));
}

int listing_print(FILE *out, const image_file *f, bool json) {
    if (json) {
        fprintf(out, "{\n  \"size\": %zu,\n  \"entries\": [", f->img.size);
    }
    int width = json ? 0 : path_width(f);
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    int rc, first = 1;
    while ((rc = image_walk_next(&w, &e, &depth)) == 1) {
        if (json) {
            print_json(out, f, w.path, &e, first);
        } else {
            print_text(out, f, w.path, &e, width);
        }
        first = 0;
    }
    if (json) {
        fprintf(out, "%s]\n}\n", first ? "" : "\n  ");
    }
    if (rc < 0) {
        fflush(out);
        diag_error("%s: offset 0x%zx: %s%s%s", shown(f->path), w.fault_offset, shown(w.path),
                   w.path[0] ? ": " : "", w.fault);
    }
    image_walk_end(&w);
    return rc < 0 ? -1 : 0;
}
