#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/path.h"

extern char **environ;

pid_t proc_start(char *const argv[], FILE *out) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fileno(out), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, fileno(out), STDERR_FILENO);
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        errno = err;
        return -1;
    }
    return pid;
}

static int decode(int raw) {
    if (WIFEXITED(raw)) {
        return WEXITSTATUS(raw);
    }
    return WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : 255;
}

pid_t proc_wait_any(int *status) {
    int raw;
    pid_t pid;
    while ((pid = waitpid(-1, &raw, 0)) < 0 && errno == EINTR) {
    }
    if (pid > 0) {
        *status = decode(raw);
    }
    return pid;
}

int proc_wait(pid_t pid, int *status) {
    int raw;
    pid_t got;
    while ((got = waitpid(pid, &raw, 0)) < 0 && errno == EINTR) {
    }
    if (got != pid) {
        return -1;
    }
    *status = decode(raw);
    return 0;
}

char *proc_output(FILE *out, size_t limit) {
    fflush(out);
    rewind(out);
    char *text = xmalloc(limit + 1);
    size_t n = fread(text, 1, limit, out);
    text[n] = '\0';
    return text;
}

static int is_executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *proc_find_program(const char *name) {
    if (strchr(name, '/') != NULL) {
        return is_executable(name) ? path_abs(name) : NULL;
    }
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0') {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char *dir = len ? xstrndup(p, len) : xstrdup(".");
        char *candidate = path_join(dir, name);
        free(dir);
        if (is_executable(candidate)) {
            char *abs = path_abs(candidate);
            free(candidate);
            return abs;
        }
        free(candidate);
        if (colon == NULL) {
            return NULL;
        }
        p = colon + 1;
    }
}
