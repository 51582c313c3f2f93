/* An LD_PRELOAD shim for the hardening tests: it makes a race or a crash
 * happen at an exact point of a romfs run, so that the tests that need
 * one are deterministic.
 *
 * Environment (nothing happens unless ROMFS_HOOK_CALL is set):
 *   ROMFS_HOOK_CALL    which call triggers: "open" (open, open64, openat,
 *                      openat64, __open_2, ... of a path), "rename"
 *                      (rename, renameat, renameat2; matched on the new
 *                      name) or "link" (link, linkat; on the new name)
 *   ROMFS_HOOK_PATH    an fnmatch(3) pattern (no FNM_PATHNAME: '*' spans
 *                      '/') that the call's path must match
 *   ROMFS_HOOK_N       the matching call that triggers, counting from 1
 *                      (default 1); later matching calls pass untouched
 *   ROMFS_HOOK_ACTION  what happens to the matched path just before the
 *                      call goes on:
 *                        append    append ROMFS_HOOK_DATA (default "grown\n")
 *                        truncate  cut the file to 0 bytes
 *                        shrink    cut the file to half its size
 *                        rewrite   same size, every byte XOR 0xff
 *                        unlink    remove it
 *                        fifo      replace it by a FIFO
 *                        symlink   replace it by a symlink to ROMFS_HOOK_DATA
 *                        kill      SIGKILL this process (the call never runs)
 *                        kill-after  let the call run, then SIGKILL
 *                        run       let the call run, then system(ROMFS_HOOK_CMD)
 *                                  with LD_PRELOAD and ROMFS_HOOK_* removed
 *   ROMFS_HOOK_LOG     a file to which one line is appended per matching
 *                      call: "<call> <n> <path>" and, when it triggered,
 *                      " <action>"; the tests read it to know the hook fired.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long matched_calls;
static _Thread_local int busy; /* our own file operations are not hooked */

static int real_open_plain(const char *path, int flags, mode_t mode) {
    static int (*real)(const char *, int, ...);
    if (real == NULL) {
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    }
    return real(path, flags, mode);
}

static void log_line(const char *call, unsigned long n, const char *path, const char *action) {
    const char *log = getenv("ROMFS_HOOK_LOG");
    if (log == NULL || *log == '\0') {
        return;
    }
    char line[4400];
    int len = snprintf(line, sizeof line, "%s %lu %s%s%s\n", call, n, path, action ? " " : "",
                       action ? action : "");
    if (len < 0) {
        return;
    }
    if ((size_t)len >= sizeof line) {
        len = (int)sizeof line - 1;
    }
    int fd = real_open_plain(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)len);
        (void)w;
        close(fd);
    }
}

static void rewrite_file(const char *path) {
    int fd = real_open_plain(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
        return;
    }
    unsigned char buf[65536];
    off_t at = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, at);
        if (n <= 0) {
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            buf[i] ^= 0xff;
        }
        if (pwrite(fd, buf, (size_t)n, at) != n) {
            break;
        }
        at += n;
    }
    close(fd);
}

static void do_action(const char *action, const char *path) {
    if (!strcmp(action, "append")) {
        const char *data = getenv("ROMFS_HOOK_DATA");
        if (data == NULL) {
            data = "grown\n";
        }
        int fd = real_open_plain(path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
        if (fd >= 0) {
            ssize_t w = write(fd, data, strlen(data));
            (void)w;
            close(fd);
        }
    } else if (!strcmp(action, "truncate")) {
        int r = truncate(path, 0);
        (void)r;
    } else if (!strcmp(action, "shrink")) {
        struct stat st;
        if (stat(path, &st) == 0) {
            int r = truncate(path, st.st_size / 2);
            (void)r;
        }
    } else if (!strcmp(action, "rewrite")) {
        rewrite_file(path);
    } else if (!strcmp(action, "unlink")) {
        unlink(path);
    } else if (!strcmp(action, "fifo")) {
        unlink(path);
        mkfifo(path, 0666);
    } else if (!strcmp(action, "symlink")) {
        const char *target = getenv("ROMFS_HOOK_DATA");
        if (target != NULL) {
            unlink(path);
            int r = symlink(target, path);
            (void)r;
        }
    } else if (!strcmp(action, "kill")) {
        kill(getpid(), SIGKILL);
    }
}

static void after_action(const char *action) {
    if (!strcmp(action, "kill-after")) {
        kill(getpid(), SIGKILL);
    } else if (!strcmp(action, "run")) {
        const char *cmd = getenv("ROMFS_HOOK_CMD");
        if (cmd == NULL) {
            return;
        }
        char *copy = strdup(cmd);
        unsetenv("LD_PRELOAD");
        unsetenv("ROMFS_HOOK_CALL");
        unsetenv("ROMFS_HOOK_CMD");
        if (copy != NULL) {
            int r = system(copy);
            (void)r;
            free(copy);
        }
    }
}

/* Called before every hooked call; returns the action to finish after
 * the call (or NULL). */
static const char *before(const char *call, const char *path) {
    if (busy || path == NULL) {
        return NULL;
    }
    const char *want = getenv("ROMFS_HOOK_CALL");
    const char *pattern = getenv("ROMFS_HOOK_PATH");
    if (want == NULL || pattern == NULL || strcmp(want, call) != 0 ||
        fnmatch(pattern, path, 0) != 0) {
        return NULL;
    }
    busy = 1;
    int saved = errno;
    unsigned long n = __atomic_add_fetch(&matched_calls, 1, __ATOMIC_SEQ_CST);
    const char *nth = getenv("ROMFS_HOOK_N");
    unsigned long trigger = nth ? strtoul(nth, NULL, 10) : 1;
    const char *action = getenv("ROMFS_HOOK_ACTION");
    const char *later = NULL;
    if (n == trigger && action != NULL) {
        log_line(call, n, path, action);
        do_action(action, path);
        later = action;
    } else {
        log_line(call, n, path, NULL);
    }
    errno = saved;
    busy = 0;
    return later;
}

static void after(const char *later) {
    if (later != NULL) {
        int saved = errno;
        busy = 1;
        after_action(later);
        busy = 0;
        errno = saved;
    }
}

#define REAL(name, type)                                                                           \
    static type real_##name;                                                                       \
    if (real_##name == NULL) {                                                                     \
        real_##name = (type)dlsym(RTLD_NEXT, #name);                                               \
    }

static mode_t mode_arg(int flags, va_list ap) {
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        return (mode_t)va_arg(ap, int);
    }
    return 0;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat2_fn)(int, const char *, int);

int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(open, open_fn);
    const char *later = before("open", path);
    int r = real_open(path, flags, mode);
    after(later);
    return r;
}

int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(open64, open_fn);
    const char *later = before("open", path);
    int r = real_open64(path, flags, mode);
    after(later);
    return r;
}

int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(openat, openat_fn);
    const char *later = before("open", path);
    int r = real_openat(dirfd, path, flags, mode);
    after(later);
    return r;
}

int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    REAL(openat64, openat_fn);
    const char *later = before("open", path);
    int r = real_openat64(dirfd, path, flags, mode);
    after(later);
    return r;
}

int __open_2(const char *path, int flags) {
    REAL(__open_2, open2_fn);
    const char *later = before("open", path);
    int r = real___open_2(path, flags);
    after(later);
    return r;
}

int __open64_2(const char *path, int flags) {
    REAL(__open64_2, open2_fn);
    const char *later = before("open", path);
    int r = real___open64_2(path, flags);
    after(later);
    return r;
}

int __openat_2(int dirfd, const char *path, int flags) {
    REAL(__openat_2, openat2_fn);
    const char *later = before("open", path);
    int r = real___openat_2(dirfd, path, flags);
    after(later);
    return r;
}

typedef FILE *(*fopen_fn)(const char *, const char *);

FILE *fopen(const char *path, const char *mode) {
    REAL(fopen, fopen_fn);
    const char *later = before("open", path);
    FILE *r = real_fopen(path, mode);
    after(later);
    return r;
}

FILE *fopen64(const char *path, const char *mode) {
    REAL(fopen64, fopen_fn);
    const char *later = before("open", path);
    FILE *r = real_fopen64(path, mode);
    after(later);
    return r;
}

typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef int (*link_fn)(const char *, const char *);
typedef int (*linkat_fn)(int, const char *, int, const char *, int);

int rename(const char *from, const char *to) {
    REAL(rename, rename_fn);
    const char *later = before("rename", to);
    int r = real_rename(from, to);
    after(later);
    return r;
}

int renameat(int fromfd, const char *from, int tofd, const char *to) {
    REAL(renameat, renameat_fn);
    const char *later = before("rename", to);
    int r = real_renameat(fromfd, from, tofd, to);
    after(later);
    return r;
}

int renameat2(int fromfd, const char *from, int tofd, const char *to, unsigned flags) {
    REAL(renameat2, renameat2_fn);
    const char *later = before("rename", to);
    int r = real_renameat2(fromfd, from, tofd, to, flags);
    after(later);
    return r;
}

int link(const char *from, const char *to) {
    REAL(link, link_fn);
    const char *later = before("link", to);
    int r = real_link(from, to);
    after(later);
    return r;
}

int linkat(int fromfd, const char *from, int tofd, const char *to, int flags) {
    REAL(linkat, linkat_fn);
    const char *later = before("link", to);
    int r = real_linkat(fromfd, from, tofd, to, flags);
    after(later);
    return r;
}
