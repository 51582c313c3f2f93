/* Reading and writing file descriptors whole, with EINTR and short
 * transfers handled, and bounds on what a read may cost. */
#ifndef ROMFS_UTIL_IO_H
#define ROMFS_UTIL_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all of buf; -1 with errno on failure. */
int write_all(int fd, const void *buf, size_t len);
/* Reads until `len` bytes or the end; the count, or -1 with errno. */
ssize_t read_full(int fd, void *buf, size_t len);
/* All of `fd` (a file or a pipe) into a new buffer with a NUL after it;
 * -1 with errno on failure, EFBIG when it holds more than `limit` bytes. */
int read_all(int fd, size_t limit, char **out, size_t *len);
/* The same after `head_len` bytes already read from `fd` (`head`), which
 * start the buffer and count towards `limit`. */
int read_all_after(int fd, const void *head, size_t head_len, size_t limit, char **out,
                   size_t *len);
/* The whole of the input file `path` (anything but a directory; "-" is
 * not standard input here) into a new NUL-ended buffer: -1 with one error
 * line naming it as `kind` ("firmware") when it cannot be read or holds
 * more than `limit` bytes. */
int read_input_file(const char *path, const char *kind, size_t limit, char **out, size_t *len);
/* Opens `path` for reading if it is a regular file, without blocking on a
 * FIFO or a device; -1 with errno (EISDIR, or EINVAL for anything else
 * that is not a regular file). */
int open_regular(const char *path);
/* Opens anything but a directory for reading (a pipe, /dev/stdin), without
 * blocking on a FIFO nobody writes to: reading that one finds its end. */
int open_input(const char *path);

#endif
