#include "pack/align_policy.h"
#include "manifest/settings.h"

#include <stdlib.h>
#include <string.h>

#include "pack/mpy_compiler.h"
#include "pack/sources.h"
#include "util/alloc.h"

static unsigned builtin_need(const align_policy *p, const char *path, size_t len, bool is_dir,
                             bool *expected) {
    (void)len;
    *expected = true;
    unsigned model = is_dir ? 0 : manifest_model_align(path, ((const builtin_policy *)p)->target);
    return model ? model : 1;
}

void builtin_policy_init(builtin_policy *p, int target) {
    memset(p, 0, sizeof *p);
    p->target = target;
    p->base.rules = target == TARGET_N6 ? "built-in rules of target n6 (*.tflite: 32)"
                                        : "built-in rules (*.tflite: 16)";
    p->base.why = " (a .tflite model is read in place by the ML runtime)";
    p->base.need = builtin_need;
}

static unsigned tree_need(const align_policy *p, const char *path, size_t len, bool is_dir,
                          bool *expected) {
    (void)len;
    const node *n = tree_find(((const tree_policy *)p)->t, path);
    *expected = n != NULL && n->is_dir == is_dir;
    return *expected && !is_dir ? n->align : 1;
}

void tree_policy_init(tree_policy *p, const tree *t) {
    memset(p, 0, sizeof *p);
    p->t = t;
    p->base.rules = "build";
    p->base.why = " (from the manifest)";
    p->base.need = tree_need;
}

static unsigned plan_need(const align_policy *p, const char *path, size_t len, bool is_dir,
                          bool *expected) {
    (void)len;
    plan_policy *pp = (plan_policy *)p;
    const node *n = tree_find(&pp->plan.t, path);
    *expected = n != NULL && n->is_dir == is_dir;
    if (!*expected) {
        return 1;
    }
    pp->seen[n->id] = true;
    return is_dir ? 1 : n->align;
}

static void plan_unseen(const align_policy *p, void (*report)(void *ctx, const char *path),
                        void *ctx) {
    const plan_policy *pp = (const plan_policy *)p;
    for (size_t i = 1; i < pp->plan.t.n_nodes; i++) { /* all[0] is the root */
        if (!pp->seen[i]) {
            report(ctx, pp->plan.t.all[i]->path);
        }
    }
}

int plan_policy_init(plan_policy *p, const manifest *m, const char *mpy_cross) {
    memset(p, 0, sizeof *p);
    collection_init(&p->plan);
    mpy_compiler mpy;
    mpy_compiler_init(&mpy, m, mpy_cross, NULL);
    int rc = sources_collect(m, &mpy, true, &p->plan);
    mpy_compiler_free(&mpy);
    if (rc != 0) {
        return -1;
    }
    p->seen = xcalloc(p->plan.t.n_nodes, sizeof *p->seen);
    p->rules = xasprintf("manifest %s", m->path);
    p->base.rules = p->rules;
    p->base.why = " (from the manifest)";
    p->base.need = plan_need;
    p->base.unseen = plan_unseen;
    return 0;
}

void plan_policy_free(plan_policy *p) {
    collection_free(&p->plan);
    free(p->seen);
    free(p->rules);
    memset(p, 0, sizeof *p);
}
