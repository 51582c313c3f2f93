/* Where the kernel offers O_TMPFILE the temporary file has no name until
 * it is complete; it is then linked as .NAME.<pid>.tmp and renamed over
 * the target (a link cannot replace an existing file). Elsewhere it is a
 * mkstemp file, .NAME.<pid>.XXXXXX, removed on error or on a catchable
 * signal. Either name carries the pid, so a name that SIGKILL left behind
 * is recognised and swept by the next commit once its process is gone. */
#define _GNU_SOURCE
#include "util/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/path.h"

static volatile sig_atomic_t have_pending;
static char pending_tmp[4096];

static void set_pending(const char *path) {
    have_pending = 0;
    if (path != NULL && strlen(path) < sizeof pending_tmp) {
        memcpy(pending_tmp, path, strlen(path) + 1);
        have_pending = 1;
    }
}

static void on_signal(int sig) {
    if (have_pending) {
        unlink(pending_tmp);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void atomic_install_signal_cleanup(void) {
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
}

static char *dir_of(const char *target) {
    const char *slash = strrchr(target, '/');
    if (slash == NULL) {
        return xstrdup(".");
    }
    if (slash == target) {
        return xstrdup("/");
    }
    return xstrndup(target, (size_t)(slash - target));
}

/* Removes .BASE.<pid>.* files in `dir` whose process no longer exists. */
static void sweep_stale(const char *dir, const char *base) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    size_t blen = strlen(base);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (n[0] != '.' || strncmp(n + 1, base, blen) != 0 || n[1 + blen] != '.') {
            continue;
        }
        char *end;
        long pid = strtol(n + 2 + blen, &end, 10);
        if (end == n + 2 + blen || *end != '.' || pid <= 0 || pid == (long)getpid()) {
            continue;
        }
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char *path = path_join(dir, n);
            unlink(path);
            free(path);
        }
    }
    closedir(d);
}

static char *temp_name(const char *target, const char *suffix) {
    char *dir = dir_of(target);
    char *base = path_basename(target);
    char *name = xasprintf("%s/.%s.%s", dir, base, suffix);
    free(dir);
    free(base);
    return name;
}

static mode_t file_mode(void) {
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* A failure, reported unless the caller reports it itself (f->quiet). */
static void fail(const atomic_file *f, const char *target, const char *why) {
    if (!f->quiet) {
        diag_error("%s: cannot write the output: %s", shown(target), why);
    }
}

static const char *kind_of(mode_t mode) {
    return S_ISFIFO(mode)                    ? "a FIFO"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device node"
           : S_ISSOCK(mode)                 ? "a socket"
                                            : "not a regular file";
}

/* The file to replace: `target` itself, or the regular file a symlink at
 * `target` leads to (which is then replaced, the symlink kept). NULL with
 * the reason set when `target` exists and is not one: a device, a FIFO
 * or a directory is never replaced by a file. */
static char *resolve_target(const char *target, const char **why) {
    struct stat st;
    if (lstat(target, &st) != 0) {
        return xstrdup(target);
    }
    char *real = NULL;
    if (S_ISLNK(st.st_mode)) {
        real = realpath(target, NULL);
        if (real == NULL || stat(real, &st) != 0) {
            free(real);
            *why = "a symlink that leads nowhere";
            return NULL;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        *why = "a directory";
    } else if (!S_ISREG(st.st_mode)) {
        *why = kind_of(st.st_mode);
    } else {
        return real ? real : xstrdup(target);
    }
    free(real);
    return NULL;
}

static int open_impl(atomic_file *f, const char *target, bool quiet) {
    memset(f, 0, sizeof *f);
    f->quiet = quiet;
    f->fd = -1;
    const char *why = NULL;
    f->target = resolve_target(target, &why);
    if (f->target == NULL) {
        char reason[96];
        bool special = strcmp(why, "a directory") != 0 && strncmp(why, "a symlink", 9) != 0;
        snprintf(reason, sizeof reason, "it is %s%s", why,
                 special ? " (romfs replaces only regular files)" : "");
        fail(f, target, reason);
        errno = EEXIST;
        return -1;
    }
    target = f->target;
    char *dir = dir_of(target);
#ifdef O_TMPFILE
    if (access("/proc/self/fd", X_OK) == 0) {
        f->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
    }
#endif
    if (f->fd < 0) {
        char suffix[40];
        snprintf(suffix, sizeof suffix, "%ld.XXXXXX", (long)getpid());
        f->tmp = temp_name(target, suffix);
        f->fd = mkstemp(f->tmp);
        if (f->fd >= 0) {
            set_pending(f->tmp);
            fchmod(f->fd, file_mode());
        }
    }
    if (f->fd < 0) {
        fail(f, target, strerror(errno));
        free(dir);
        free(f->tmp);
        free(f->target);
        f->tmp = f->target = NULL;
        return -1;
    }
    free(dir);
    return 0;
}

int atomic_commit(atomic_file *f, file_stat *st) {
    int rc = 0;
    char *dir = dir_of(f->target);
    char *base = path_basename(f->target);
    sweep_stale(dir, base);
    free(dir);
    free(base);
    if (f->tmp == NULL) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
        char suffix[64];
        snprintf(suffix, sizeof suffix, "%ld.tmp", (long)getpid());
        f->tmp = temp_name(f->target, suffix);
        unlink(f->tmp); /* a leftover of a killed run with our pid */
        if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) != 0) {
            fail(f, f->target, strerror(errno));
            free(f->tmp);
            f->tmp = NULL;
            rc = -1;
        } else {
            set_pending(f->tmp);
        }
    }
    if (rc == 0 && rename(f->tmp, f->target) != 0) {
        fail(f, f->target, strerror(errno));
        rc = -1;
    }
    struct stat sb;
    if (rc == 0 && st != NULL) { /* after the rename, which changes its ctime */
        if (fstat(f->fd, &sb) == 0) {
            file_stat_from(&sb, st);
        } else {
            memset(st, 0, sizeof *st);
        }
    }
    if (close(f->fd) != 0 && rc == 0) {
        fail(f, f->target, strerror(errno));
        rc = -1;
    }
    f->fd = -1;
    if (rc != 0 && f->tmp != NULL) {
        unlink(f->tmp);
    }
    set_pending(NULL);
    free(f->tmp);
    free(f->target);
    f->tmp = f->target = NULL;
    return rc;
}

void atomic_abort(atomic_file *f) {
    if (f->fd >= 0) {
        close(f->fd);
    }
    if (f->tmp != NULL) {
        unlink(f->tmp);
    }
    set_pending(NULL);
    free(f->tmp);
    free(f->target);
    f->fd = -1;
    f->tmp = f->target = NULL;
}

/* Whether the file behind `fd` (read from its start) and `target` hold
 * the same bytes; false when `target` cannot be read. */
static bool same_contents(int fd, const char *target) {
    int old = open_regular(target);
    if (old < 0) {
        return false;
    }
    enum { CHUNK = 1 << 16 };
    char *a = xmalloc(2 * CHUNK), *b = a + CHUNK;
    bool same = lseek(fd, 0, SEEK_SET) == 0;
    while (same) {
        ssize_t n = read_full(fd, a, CHUNK), m = read_full(old, b, CHUNK);
        same = n >= 0 && n == m && memcmp(a, b, (size_t)n) == 0;
        if (n <= 0) {
            break;
        }
    }
    free(a);
    close(old);
    return same;
}

int atomic_commit_if_changed(atomic_file *f, bool *changed) {
    *changed = !same_contents(f->fd, f->target);
    if (*changed) {
        return atomic_commit(f, NULL);
    }
    atomic_abort(f);
    return 0;
}

int atomic_open(atomic_file *f, const char *target) {
    return open_impl(f, target, false);
}

static int write_impl(const char *target, const void *data, size_t len, bool quiet) {
    atomic_file f;
    if (open_impl(&f, target, quiet) != 0) {
        return -1;
    }
    if (write_all(f.fd, data, len) != 0) {
        int err = errno;
        if (!quiet) {
            diag_error("%s: cannot write: %s", shown(target), strerror(err));
        }
        atomic_abort(&f);
        errno = err;
        return -1;
    }
    return atomic_commit(&f, NULL);
}

int atomic_write(const char *target, const void *data, size_t len) {
    return write_impl(target, data, len, false);
}

int atomic_write_quiet(const char *target, const void *data, size_t len) {
    return write_impl(target, data, len, true);
}

int write_if_changed(const char *target, const void *data, size_t len) {
    int fd = open_regular(target);
    if (fd >= 0) {
        char *old = xmalloc(len + 1);
        ssize_t got = read_full(fd, old, len + 1);
        close(fd);
        bool same = got == (ssize_t)len && memcmp(old, data, len) == 0;
        free(old);
        if (same) {
            return 0;
        }
    }
    return atomic_write(target, data, len);
}
