/* `romfs extract`: the whole tree into a directory. The image is read into
 * private memory and checked whole before anything is written, so what is
 * checked is what is used. Every file and directory is made relative to a
 * directory descriptor without following symlinks, and every file is
 * written under a new temporary name and renamed into place, so neither a
 * hostile name nor what is already in DIR (a symlink, a hard link, a FIFO)
 * can make it write outside DIR, write through a link, or block. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "inspect/adopt_manifest.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/image_walk.h"
#include "manifest/settings.h"
#include "pack/align_policy.h"
#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/path.h"

/* The directories being written into, by depth (0 is DIR itself). Only
 * the deepest few stay open, so an image thousands of directories deep
 * needs no more descriptors than a shallow one. On the way up, a closed
 * parent is opened again through "..", and kept only if it is the very
 * directory it was (same device and inode); otherwise, and whenever one
 * is needed again, it is opened from its nearest open ancestor one name at
 * a time, never following a symlink. */
enum { OPEN_DIRS = 32 };

typedef struct {
    const char *dir; /* as the user gave it, for messages */
    int *fd;         /* by depth; -1 when closed */
    dev_t *dev;
    ino_t *ino;
    size_t depth, cap, open;
    unsigned serial;
} dir_stack;

static const char *kind_of(const struct stat *st) {
    if (S_ISLNK(st->st_mode)) {
        return "a symlink";
    }
    if (S_ISFIFO(st->st_mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(st->st_mode)) {
        return "a socket";
    }
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
        return "a device";
    }
    if (S_ISDIR(st->st_mode)) {
        return "a directory";
    }
    return "a file";
}

/* What is at `name` in `parent` when it is not something extract may
 * replace: NULL when the name is free or holds a regular file of one link. */
static const char *in_the_way(int parent, const char *name, char *why, size_t why_size) {
    struct stat st;
    if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return NULL;
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        snprintf(why, why_size, "a file with %lu hard links", (unsigned long)st.st_nlink);
        return why;
    }
    return S_ISREG(st.st_mode) ? NULL : kind_of(&st);
}

/* Opens the parent of depth i again through "..", if it is still the
 * directory it was. */
static void reopen_parent(dir_stack *s, size_t i) {
    int fd = openat(s->fd[i], "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == s->dev[i - 1] &&
        st.st_ino == s->ino[i - 1]) {
        s->fd[i - 1] = fd;
        s->open++;
    } else if (fd >= 0) {
        close(fd);
    }
}

static void close_deep(dir_stack *s, size_t keep) {
    while (s->depth > keep) {
        size_t i = --s->depth;
        if (s->fd[i] >= 0) {
            if (i >= 1 && s->fd[i - 1] < 0) {
                reopen_parent(s, i);
            }
            close(s->fd[i]);
            s->open--;
        }
    }
}

/* Opens directory `name` in `parent` without following a symlink. */
static int open_dir_at(int parent, const char *name) {
    return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The descriptor of depth `d` (< s->depth), opened again if it was closed:
 * `path` is the image path whose first d parts name it. */
static int fd_at(dir_stack *s, size_t d, const char *path) {
    size_t from = d;
    while (s->fd[from] < 0) {
        from--;
    }
    const char *p = path;
    for (size_t i = 0; i < from; i++) {
        p = strchr(p, '/') + 1;
    }
    int fd = s->fd[from];
    for (size_t i = from; i < d; i++) {
        const char *slash = strchr(p, '/');
        char *name = xstrndup(p, (size_t)(slash - p));
        int next = open_dir_at(fd, name);
        free(name);
        if (fd != s->fd[from]) {
            close(fd);
        }
        if (next < 0) {
            diag_error("%s/%.*s: cannot open directory again: %s", shown(s->dir),
                       (int)(slash - path), path, strerror(errno));
            return -1;
        }
        fd = next;
        p = slash + 1;
    }
    if (fd != s->fd[from]) {
        s->fd[d] = fd;
        s->open++;
    }
    return fd;
}

static void push_dir(dir_stack *s, int fd) {
    if (s->depth == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->fd = xrealloc(s->fd, s->cap * sizeof *s->fd);
        s->dev = xrealloc(s->dev, s->cap * sizeof *s->dev);
        s->ino = xrealloc(s->ino, s->cap * sizeof *s->ino);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        memset(&st, 0, sizeof st);
    }
    s->dev[s->depth] = st.st_dev;
    s->ino[s->depth] = st.st_ino;
    s->fd[s->depth++] = fd;
    s->open++;
    if (s->open > OPEN_DIRS) { /* close the shallowest open one but DIR */
        for (size_t i = 1; i < s->depth; i++) {
            if (s->fd[i] >= 0) {
                close(s->fd[i]);
                s->fd[i] = -1;
                s->open--;
                break;
            }
        }
    }
}

static int make_subdir(dir_stack *s, int parent, const char *name, const char *path) {
    if (mkdirat(parent, name, 0777) != 0 && errno != EEXIST) {
        diag_error("%s: cannot create directory: %s", shown(path), strerror(errno));
        return -1;
    }
    int fd = open_dir_at(parent, name);
    if (fd < 0) {
        struct stat st;
        const char *what =
            fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? kind_of(&st) : strerror(errno);
        diag_error("%s: in the way: %s, where the image has a directory (romfs extract never "
                   "follows or replaces it); remove it or extract elsewhere",
                   shown(path), what);
        return -1;
    }
    push_dir(s, fd);
    return 0;
}

/* A new file under a temporary name, renamed over `name` once complete:
 * nothing that was at `name` is ever opened or written through. */
static int write_file(dir_stack *s, int parent, const char *name, const char *path,
                      const romfs_entry *e) {
    char why[64];
    const char *what = in_the_way(parent, name, why, sizeof why);
    if (what != NULL) {
        diag_error("%s: in the way: %s (romfs extract never writes through or over it); remove "
                   "it or extract elsewhere",
                   shown(path), what);
        return -1;
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".romfs-extract.%ld.%u.tmp", (long)getpid(), s->serial++);
    int fd = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) {
        diag_error("%s: cannot create: %s", shown(path), strerror(errno));
        return -1;
    }
    int rc = write_all(fd, e->data, e->size);
    if (close(fd) != 0) {
        rc = -1;
    }
    if (rc == 0 && renameat(parent, tmp, parent, name) != 0) {
        rc = -1;
    }
    if (rc != 0) {
        diag_error("%s: cannot write: %s", shown(path), strerror(errno));
        unlinkat(parent, tmp, 0);
    }
    return rc;
}

static int extract(const image_file *f, const char *dir, size_t *files, size_t *dirs) {
    if (make_dirs(dir) != 0) {
        diag_error("%s: cannot create directory: %s", shown(dir), strerror(errno));
        return -1;
    }
    dir_stack s = {.dir = dir};
    int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
        diag_error("%s: cannot open directory: %s", shown(dir), strerror(errno));
        return -1;
    }
    push_dir(&s, root);
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    int rc = 0, walked;
    while (rc == 0 && (walked = image_walk_next(&w, &e, &depth)) == 1) {
        close_deep(&s, depth + 1); /* leaving deeper directories behind */
        int parent = fd_at(&s, depth, w.path);
        if (parent < 0) {
            rc = -1;
            break;
        }
        char *name = xstrndup((const char *)e.name, e.name_len);
        char *shown_path = path_join(dir, w.path);
        if (e.type == ROMFS_TYPE_DIR) {
            rc = make_subdir(&s, parent, name, shown_path);
            *dirs += rc == 0;
        } else {
            rc = write_file(&s, parent, name, shown_path, &e);
            *files += rc == 0;
        }
        free(name);
        free(shown_path);
    }
    if (rc == 0 && walked < 0) { /* checked before, so only a bug can get here */
        diag_error("%s: offset 0x%zx: %s", shown(f->shown), w.fault_offset, w.fault);
        rc = -1;
    }
    close_deep(&s, 0);
    free(s.fd);
    free(s.dev);
    free(s.ino);
    image_walk_end(&w);
    return rc;
}

static int write_manifest(const char *path, const char *text, size_t len) {
    char *home = path_dirname_abs(path);
    int rc = make_dirs(home);
    if (rc != 0) {
        diag_error("%s: cannot create directory: %s", shown(home), strerror(errno));
    }
    free(home);
    return rc == 0 ? atomic_write(path, text, len) : -1;
}

enum { X_QUIET, X_UNSAFE_NAMES, X_MANIFEST, X_TARGET };

const cli_option extract_options[] = {
    [X_QUIET] = {.shortname = 'q', .longname = "quiet", .help = "no summary on stderr"},
    [X_UNSAFE_NAMES] = {.longname = "unsafe-names",
                        .help = "create names with control characters (refused by default)"},
    [X_MANIFEST] = {.shortname = 'm',
                    .longname = "manifest",
                    .value = "FILE",
                    .help = "also write a manifest that rebuilds the image from DIR"},
    [X_TARGET] =
        {.longname = "target",
         .value = "T",
         .help =
             "the manifest's image.target, whose rules say what files need (" MANIFEST_TARGETS ")"},
    {0},
};

int run_extract(const cli_args *a) {
    diag_quiet = cli_flag(a, X_QUIET);
    const char *image = a->operands[0], *dir = a->operands[1];
    image_file f;
    if (image_file_open(&f, image) != 0) {
        return EXIT_INPUT;
    }
    const char *target = cli_value(a, X_TARGET), *out_manifest = cli_value(a, X_MANIFEST);
    builtin_policy policy;
    int target_id = TARGET_NONE;
    if (target != NULL && manifest_target(target, &target_id) != 0) {
        diag_error("--target must be one of: " MANIFEST_TARGETS "; not '%s'", shown(target));
        image_file_close(&f);
        return EXIT_USAGE;
    }
    builtin_policy_init(&policy, target_id);
    bool unsafe_names = cli_flag(a, X_UNSAFE_NAMES);
    check_opts o = {.quiet = true, .control_names = unsafe_names};
    check_result r;
    int status = EXIT_INPUT;
    size_t files = 0, dirs = 0, len = 0;
    char *text = NULL;
    adopt_opts ao = {.manifest = out_manifest, .dir = dir, .target = target, .align = &policy.base};
    if (image_check(&f, &o, &r) != 0) {
        diag_error("%s; nothing extracted (%zu fault%s in all; romfs verify lists them)", r.first,
                   r.faults, r.faults == 1 ? "" : "s");
    } else if (out_manifest != NULL && (text = adopt_manifest_text(&f, &ao, &len)) == NULL) {
        /* said; nothing extracted */
    } else if (extract(&f, dir, &files, &dirs) == 0 &&
               (text == NULL || write_manifest(out_manifest, text, len) == 0)) {
        diag_info("extracted %zu files and %zu directories into %s%s%s", files, dirs, shown(dir),
                  text ? "; the manifest that rebuilds it: " : "", text ? shown(out_manifest) : "");
        status = 0;
    }
    free(text);
    image_file_close(&f);
    return status;
}
