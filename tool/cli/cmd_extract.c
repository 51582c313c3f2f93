/* `romfs extract`: the whole tree into a directory. It checks the whole
 * image before writing anything, and creates every file and directory
 * relative to an open directory descriptor without following symlinks,
 * so neither a hostile name nor a symlink already in DIR can make it
 * write outside DIR. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "cli/commands.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/path.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/image_walk.h"

static int open_subdir(int parent, const char *name, const char *path) {
    if (mkdirat(parent, name, 0777) != 0 && errno != EEXIST) {
        diag_error("%s: cannot create directory: %s", shown(path), strerror(errno));
        return -1;
    }
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        diag_error("%s: exists and is not a directory (symlinks are not followed): %s", shown(path),
                   strerror(errno));
    }
    return fd;
}

static int write_file(int parent, const char *name, const char *path, const romfs_entry *e) {
    int fd = openat(parent, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        diag_error("%s: cannot create: %s", shown(path), strerror(errno));
        return -1;
    }
    int rc = write_all(fd, e->data, e->size);
    if (close(fd) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        diag_error("%s: cannot write: %s", shown(path), strerror(errno));
    }
    return rc;
}

static int extract(const image_file *f, const char *dir, size_t *files, size_t *dirs) {
    if (make_dirs(dir) != 0) {
        diag_error("%s: cannot create directory: %s", shown(dir), strerror(errno));
        return -1;
    }
    size_t cap = 16, open_fds = 1;
    int *fds = xmalloc(cap * sizeof *fds);
    fds[0] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fds[0] < 0) {
        diag_error("%s: cannot open directory: %s", shown(dir), strerror(errno));
        free(fds);
        return -1;
    }
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    int rc = 0;
    while (rc == 0 && image_walk_next(&w, &e, &depth) == 1) {
        while (open_fds > depth + 1) { /* leaving deeper directories behind */
            close(fds[--open_fds]);
        }
        char *name = xstrndup((const char *)e.name, e.name_len);
        char *shown_path = path_join(dir, w.path);
        if (e.type == ROMFS_TYPE_DIR) {
            int fd = open_subdir(fds[depth], name, shown_path);
            if (fd < 0) {
                rc = -1;
            } else {
                if (open_fds == cap) {
                    cap *= 2;
                    fds = xrealloc(fds, cap * sizeof *fds);
                }
                fds[open_fds++] = fd;
                (*dirs)++;
            }
        } else {
            rc = write_file(fds[depth], name, shown_path, &e);
            (*files)++;
        }
        free(name);
        free(shown_path);
    }
    while (open_fds > 0) {
        close(fds[--open_fds]);
    }
    free(fds);
    image_walk_end(&w);
    return rc;
}

enum { X_QUIET };

static const cli_option extract_options[] = {
    [X_QUIET] = {'q', "quiet", NULL, "no summary on stderr"},
    {0},
};

static int run_extract(const cli_args *a) {
    diag_quiet = cli_flag(a, X_QUIET);
    const char *image = a->operands[0], *dir = a->operands[1];
    image_file f;
    if (image_file_open(&f, image) != 0) {
        return EXIT_INPUT;
    }
    check_opts o = {NULL, true};
    check_result r;
    int status = EXIT_INPUT;
    size_t files = 0, dirs = 0;
    if (image_check(&f, &o, &r) != 0) {
        diag_error("%s; nothing extracted (%zu fault%s in all; romfs verify lists them)", r.first,
                   r.faults, r.faults == 1 ? "" : "s");
    } else if (extract(&f, dir, &files, &dirs) == 0) {
        diag_info("extracted %zu files and %zu directories into %s", files, dirs, shown(dir));
        status = 0;
    }
    image_file_close(&f);
    return status;
}

const cli_command extract_command = {
    .name = "extract",
    .operands = "IMAGE DIR",
    .min_operands = 2,
    .max_operands = 2,
    .summary = "write the whole tree into DIR (never outside it)",
    .options = extract_options,
    .run = run_extract,
};
