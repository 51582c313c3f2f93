#include "build.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "depfile.h"
#include "image_writer.h"
#include "layout.h"
#include "sources.h"
#include "strlist.h"
#include "tree.h"

static int check_mpy(const tree *t) {
    for (size_t i = 0; i < t->n_nodes; i++) {
        const node *n = t->all[i];
        size_t len = strlen(n->path);
        if (!n->is_dir && n->mpy == MPY_ON && len > 3 && !strcmp(n->path + len - 3, ".py")) {
            const src_pos *at =
                n->from.entry && n->from.entry->pos.line ? &n->from.entry->pos : NULL;
            diag_error_at(at, "%s: mpy: true is not supported yet", shown(n->path));
            return -1;
        }
    }
    return 0;
}

static void summarize(const manifest *m, const tree *t, const layout *lay, const char *out) {
    diag_info("%s: %zu files, %zu directories, %" PRIu64 " bytes, %" PRIu64
              " bytes of alignment padding (largest alignment %u)",
              shown(out), t->n_files, t->n_dirs, lay->size, lay->padding, lay->max_align);
    if (m->has_capacity) {
        diag_info("%s: %" PRIu64 " / %" PRIu64 " bytes used (%.1f%%), %" PRIu64 " bytes free",
                  shown(out), lay->size, m->capacity,
                  100.0 * (double)lay->size / (double)m->capacity, m->capacity - lay->size);
    }
}

int build_run(const manifest *m, const build_opts *o) {
    tree t;
    tree_init(&t);
    strlist deps = {0};
    int status = EXIT_INPUT;
    if (sources_collect(m, &t, &deps) != 0 || check_mpy(&t) != 0) {
        goto out;
    }
    layout lay;
    layout_compute(&t, &lay);
    if (m->has_capacity && lay.size > m->capacity) {
        diag_error_at(&m->capacity_pos,
                      "image is %" PRIu64 " bytes, %" PRIu64 " bytes over image.size (%" PRIu64
                      " bytes)",
                      lay.size, lay.size - m->capacity, m->capacity);
        goto out;
    }
    atomic_file f;
    if (atomic_open(&f, o->output) != 0) {
        goto out;
    }
    if (image_write(f.fd, o->output, &t, &lay) != 0) {
        atomic_abort(&f);
        goto out;
    }
    if (atomic_commit(&f) != 0) {
        goto out;
    }
    if (o->depfile != NULL && depfile_write(o->depfile, o->output, &deps) != 0) {
        goto out;
    }
    summarize(m, &t, &lay, o->output);
    status = 0;
out:
    strlist_free(&deps);
    tree_free(&t);
    return status;
}
