/* `romfs ls`: every entry with its size, data offset and the alignment
 * that offset gives. Works on any writer's image, mpremote's included. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "diag.h"
#include "image_check.h"
#include "image_file.h"
#include "image_walk.h"
#include "json_out.h"

/* Columns: path (directories end in '/'), size, data offset, and the
 * largest power of two dividing that offset. */
static void print_text(const image_file *f, const char *path, const romfs_entry *e, int width) {
    if (e->type == ROMFS_TYPE_DIR) {
        int pad = width - (int)strlen(path) - 1;
        printf("%s/%*s %10s %10s %6s\n", path, pad > 0 ? pad : 0, "", "-", "-", "-");
        return;
    }
    size_t offset = (size_t)(e->data - f->bytes);
    printf("%-*s %10zu %10zu %6zu\n", width, path, e->size, offset, offset_alignment(offset));
}

/* The width of the path column: the longest path, within reason. */
static int path_width(const image_file *f) {
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth, widest = 4;
    while (image_walk_next(&w, &e, &depth) == 1) {
        size_t len = strlen(w.path) + (e.type == ROMFS_TYPE_DIR);
        widest = len > widest ? len : widest;
    }
    image_walk_end(&w);
    return widest > 60 ? 60 : (int)widest;
}

static void print_json(const image_file *f, const char *path, const romfs_entry *e, int first) {
    printf("%s\n    {\"path\": ", first ? "" : ",");
    json_string(stdout, path, strlen(path));
    if (e->type == ROMFS_TYPE_DIR) {
        printf(", \"type\": \"dir\"}");
        return;
    }
    size_t offset = (size_t)(e->data - f->bytes);
    printf(", \"type\": \"file\", \"size\": %zu, \"offset\": %zu, \"align\": %zu}", e->size, offset,
           offset_alignment(offset));
}

int cmd_ls(int argc, char **argv) {
    enum { OPT_JSON };
    static const opt_spec specs[] = {[OPT_JSON] = {0, "json", 0}, {0, NULL, 0}};
    args a;
    args_init(&a, argc, argv);
    const char *path = NULL, *v;
    int json = 0, k;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            return EXIT_USAGE;
        } else if (k == ARG_POSITIONAL) {
            if (path != NULL) {
                diag_error("ls takes one image; '%s' is a second", shown(v));
                return EXIT_USAGE;
            }
            path = v;
        } else if (k == OPT_JSON) {
            json = 1;
        }
    }
    if (path == NULL) {
        diag_error("usage: romfs ls IMAGE [--json]");
        return EXIT_USAGE;
    }
    image_file f;
    if (image_file_open(&f, path) != 0) {
        return EXIT_INPUT;
    }
    if (json) {
        printf("{\n  \"size\": %zu,\n  \"entries\": [", f.img.size);
    }
    int width = json ? 0 : path_width(&f);
    image_walk w;
    image_walk_begin(&w, &f.img);
    romfs_entry e;
    size_t depth;
    int rc, first = 1;
    while ((rc = image_walk_next(&w, &e, &depth)) == 1) {
        if (json) {
            print_json(&f, w.path, &e, first);
        } else {
            print_text(&f, w.path, &e, width);
        }
        first = 0;
    }
    if (json) {
        printf("%s]\n}\n", first ? "" : "\n  ");
    }
    fflush(stdout);
    int status = 0;
    if (rc < 0) {
        diag_error("%s: offset 0x%zx: %s%s%s", shown(path), w.fault_offset, shown(w.path),
                   w.path[0] ? ": " : "", w.fault);
        status = EXIT_INPUT;
    }
    image_walk_end(&w);
    image_file_close(&f);
    return status;
}
