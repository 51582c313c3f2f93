/* Child processes for the compiler: started with posix_spawn, their
 * output collected in an unnamed temporary file. */
#ifndef ROMFS_PROC_H
#define ROMFS_PROC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Starts argv (argv[0] a path) with stdin from /dev/null and stdout and
 * stderr into `out` (a tmpfile()). -1 with errno on failure. */
pid_t proc_start(char *const argv[], FILE *out);
/* Waits for one child; its exit status in *status (128 + signal when
 * killed), -1 when there is none. */
pid_t proc_wait_any(int *status);
/* Waits for `pid` only. */
int proc_wait(pid_t pid, int *status);
/* All that `out` holds, NUL-terminated (at most `limit` bytes). */
char *proc_output(FILE *out, size_t limit);
/* argv[0] found the way a shell would: as given when it holds a '/',
 * else on PATH. NULL when it is not an executable file. */
char *proc_find_program(const char *name);

#endif
