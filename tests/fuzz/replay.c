/*
 * Replays inputs through a fuzz target without libFuzzer, so that ctest
 * runs every checked-in corpus file in the ordinary build (gcc, with or
 * without -DROMFS_SANITIZE=ON). Linked with one target's source, it calls
 * only what libFuzzer would: LLVMFuzzerInitialize (when the target defines
 * it) once, then LLVMFuzzerTestOneInput once per input.
 *
 *   <target>_replay [--timeout SECONDS] PATH...
 *
 * A PATH is a file, or a directory whose regular files are all replayed
 * (not recursively): those named finding-* (reproducers of bugs that were
 * found) first, then the others, each group in byte order of name. Each
 * input is read whole into a heap block of exactly its size, as libFuzzer
 * hands it over, and its name is printed before it runs, so that a failed
 * CHECK, a sanitizer report or a crash can be traced to it.
 *
 * Exit status: 0 when every input ran; 1 when a PATH cannot be read or
 * holds no input, or an input ran longer than the timeout (default 10 s,
 * as .ci/fuzz gives libFuzzer); 2 on wrong usage. A failed CHECK aborts.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: fuzz_reader has none, and the driver must link without it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static const char finding_prefix[] = "finding-";

/* The real stderr: a target may point `stderr` at /dev/null to silence
 * the code under test. */
static FILE *err;

/* The input running now, for the timeout's message. */
static const char *volatile current = "";

static void say(const char *s) {
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static void on_alarm(int sig) {
    (void)sig;
    /* Async-signal-safe: write(2) to the descriptor. */
    say("replay: ");
    say(current);
    say(": still running after the timeout\n");
    _exit(1);
}

static int is_finding(const char *name) {
    return strncmp(name, finding_prefix, sizeof finding_prefix - 1) == 0;
}

static int by_findings_then_name(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    if (is_finding(x) != is_finding(y)) {
        return is_finding(x) ? -1 : 1;
    }
    return strcmp(x, y);
}

static char *join(const char *dir, const char *name) {
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + 1 + b + 1);
    if (p == NULL) {
        fprintf(err, "replay: out of memory\n");
        exit(1);
    }
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

/* Reads `path` whole into a block of exactly its size (1 byte for an
 * empty file, which is then passed with size 0). */
static int slurp(const char *path, uint8_t **data, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        errno = EINVAL;
        return -1;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (buf == NULL || fread(buf, 1, n, f) != n || fgetc(f) != EOF) {
        free(buf);
        fclose(f);
        errno = EIO;
        return -1;
    }
    fclose(f);
    *data = buf;
    *size = n;
    return 0;
}

static int replay_one(const char *path, unsigned timeout) {
    uint8_t *data;
    size_t size;
    if (slurp(path, &data, &size) != 0) {
        fprintf(err, "replay: %s: cannot read: %s\n", path, strerror(errno));
        return -1;
    }
    printf("replay: %s (%zu bytes)\n", path, size);
    fflush(stdout);
    current = path;
    alarm(timeout);
    LLVMFuzzerTestOneInput(data, size);
    alarm(0);
    free(data);
    return 0;
}

/* Replays the regular files of `dir`; the number replayed, or -1. */
static long replay_dir(const char *dir, unsigned timeout, long *findings) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(err, "replay: %s: cannot read: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *p = join(dir, e->d_name);
        struct stat st;
        int regular = stat(p, &st) == 0 && S_ISREG(st.st_mode);
        free(p);
        if (!regular) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL) {
                fprintf(err, "replay: out of memory\n");
                exit(1);
            }
            names = bigger;
        }
        names[n] = malloc(strlen(e->d_name) + 1);
        if (names[n] == NULL) {
            fprintf(err, "replay: out of memory\n");
            exit(1);
        }
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_findings_then_name);
    long done = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = join(dir, names[i]);
        if (replay_one(p, timeout) != 0) {
            done = -1;
        } else if (done >= 0) {
            done++;
            *findings += is_finding(names[i]);
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return done;
}

int main(int argc, char **argv) {
    err = stderr;
    unsigned timeout = 10;
    int first = 1;
    if (argc > 2 && strcmp(argv[1], "--timeout") == 0) {
        char *end;
        unsigned long t = strtoul(argv[2], &end, 10);
        if (*argv[2] == '\0' || *end != '\0' || t == 0 || t > 86400) {
            fprintf(err, "replay: --timeout takes a number of seconds\n");
            return 2;
        }
        timeout = (unsigned)t;
        first = 3;
    }
    if (first >= argc) {
        fprintf(err, "usage: %s [--timeout SECONDS] FILE|DIR...\n", argv[0]);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    if (LLVMFuzzerInitialize != NULL) {
        int fargc = argc; /* libFuzzer lets it change them; the paths stay ours */
        char **fargv = argv;
        LLVMFuzzerInitialize(&fargc, &fargv);
    }
    int failed = 0;
    long total = 0, findings = 0;
    for (int i = first; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(err, "replay: %s: %s\n", argv[i], strerror(errno));
            failed = 1;
            continue;
        }
        long n;
        if (S_ISDIR(st.st_mode)) {
            n = replay_dir(argv[i], timeout, &findings);
        } else {
            n = replay_one(argv[i], timeout) == 0 ? 1 : -1;
            const char *slash = strrchr(argv[i], '/');
            findings += n == 1 && is_finding(slash ? slash + 1 : argv[i]);
        }
        if (n < 0) {
            failed = 1;
        } else if (n == 0) {
            fprintf(err, "replay: %s: no input to replay\n", argv[i]);
            failed = 1;
        } else {
            total += n;
        }
    }
    printf("replay: %ld inputs (%ld findings) ran to the end\n", total, findings);
    return failed;
}
