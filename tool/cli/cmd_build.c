/* `romfs build` and `romfs pack-dir`: both feed the same packer, the
 * latter with the manifest a single directory entry would make. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/alloc.h"
#include "cli/options.h"
#include "pack/build.h"
#include "cli/commands.h"
#include "util/path.h"
#include "manifest/manifest.h"
#include "util/number.h"

int cmd_build(int argc, char **argv) {
    enum {
        OPT_OUTPUT,
        OPT_DEFINE,
        OPT_DEPFILE,
        OPT_CACHE_DIR,
        OPT_QUIET,
        OPT_LISTING,
        OPT_SIZE,
        OPT_ALIGN_HEADER,
        OPT_JOBS
    };
    static const opt_spec specs[] = {
        [OPT_OUTPUT] = {'o', "output", 1}, [OPT_DEFINE] = {'D', "define", 1},
        [OPT_DEPFILE] = {0, "depfile", 1}, [OPT_CACHE_DIR] = {0, "cache-dir", 1},
        [OPT_QUIET] = {'q', "quiet", 0},   [OPT_LISTING] = {0, "listing", 1},
        [OPT_SIZE] = {0, "size", 1},       [OPT_ALIGN_HEADER] = {0, "align-header", 1},
        [OPT_JOBS] = {'j', "jobs", 1},     {0, NULL, 0},
    };
    args a;
    args_init(&a, argc, argv);
    defines defs = {0};
    build_opts o = {0};
    const char *manifest_path = NULL, *size = NULL, *v;
    uint64_t capacity = 0;
    int k, status = EXIT_USAGE;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            goto out;
        } else if (k == ARG_POSITIONAL) {
            if (manifest_path != NULL) {
                diag_error("build takes one manifest; '%s' is a second", shown(v));
                goto out;
            }
            manifest_path = v;
        } else if (k == OPT_OUTPUT) {
            o.output = v;
        } else if (k == OPT_DEFINE) {
            if (defines_add(&defs, v) != 0) {
                goto out;
            }
        } else if (k == OPT_DEPFILE) {
            o.depfile = v;
        } else if (k == OPT_QUIET) {
            diag_quiet = 1;
        } else if (k == OPT_CACHE_DIR) {
            o.cache_dir = v;
        } else if (k == OPT_LISTING) {
            o.listing = v;
        } else if (k == OPT_ALIGN_HEADER) {
            o.align_header = v;
        } else if (k == OPT_JOBS) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*v < '1' || *v > '9' || *end != '\0' || n > 1024) {
                diag_error("--jobs must be a number from 1 to 1024, not '%s'", shown(v));
                goto out;
            }
            o.jobs = (unsigned)n;
        } else if (k == OPT_SIZE) {
            const char *why = parse_size(v, &capacity);
            if (why != NULL) {
                diag_error("--size %s, not '%s'", why, shown(v));
                goto out;
            }
            size = v;
        }
    }
    if (manifest_path == NULL || o.output == NULL) {
        diag_error("usage: romfs build MANIFEST -o IMAGE [-D NAME=VALUE]... [--depfile FILE] "
                   "[--cache-dir DIR] [--jobs N]");
        goto out;
    }
    o.mpy_cross = defines_get(&defs, "ROMFS_MPY_CROSS", strlen("ROMFS_MPY_CROSS"));
    manifest m;
    status = EXIT_INPUT;
    if (manifest_load(manifest_path, &defs, &m) == 0) {
        if (size != NULL) { /* the command line's capacity beats the manifest's */
            m.has_capacity = true;
            m.capacity = capacity;
            memset(&m.capacity_pos, 0, sizeof m.capacity_pos);
        }
        status = build_run(&m, &o);
    }
    manifest_free(&m);
out:
    defines_free(&defs);
    return status;
}

int cmd_pack_dir(int argc, char **argv) {
    enum { OPT_OUTPUT, OPT_DEPFILE, OPT_QUIET, OPT_ALIGN };
    static const opt_spec specs[] = {
        [OPT_OUTPUT] = {'o', "output", 1},
        [OPT_DEPFILE] = {0, "depfile", 1},
        [OPT_QUIET] = {'q', "quiet", 0},
        [OPT_ALIGN] = {0, "align", 1},
        {0, NULL, 0},
    };
    args a;
    args_init(&a, argc, argv);
    build_opts o = {0};
    const char *dir = NULL, *v;
    unsigned align = 4;
    int k;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            return EXIT_USAGE;
        } else if (k == ARG_POSITIONAL) {
            if (dir != NULL) {
                diag_error("pack-dir takes one directory; '%s' is a second", shown(v));
                return EXIT_USAGE;
            }
            dir = v;
        } else if (k == OPT_OUTPUT) {
            o.output = v;
        } else if (k == OPT_DEPFILE) {
            o.depfile = v;
        } else if (k == OPT_QUIET) {
            diag_quiet = 1;
        } else if (k == OPT_ALIGN) {
            const char *why = parse_align(v, &align);
            if (why != NULL) {
                diag_error("--align %s, not '%s'", why, shown(v));
                return EXIT_USAGE;
            }
        }
    }
    if (dir == NULL || o.output == NULL) {
        diag_error("usage: romfs pack-dir DIR -o IMAGE [--align N]");
        return EXIT_USAGE;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_error("%s: not a directory", shown(dir));
        return EXIT_INPUT;
    }
    file_entry e = {0};
    e.src = (char *)dir;
    e.dst = ".";
    e.set.mpy = MPY_UNSET;
    e.set.exclude = -1;
    manifest m = {0};
    m.dir = path_abs(".");
    m.image.align = align;
    m.image.mpy = MPY_OFF;
    m.image.exclude = 0;
    m.files = &e;
    m.n_files = 1;
    int status = build_run(&m, &o);
    free(m.dir);
    return status;
}
