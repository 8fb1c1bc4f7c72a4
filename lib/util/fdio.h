/*
 * fdio.h - whole-buffer writes on a file descriptor; durable renames
 */
#ifndef VIGIL_FDIO_H
#define VIGIL_FDIO_H

#include <stddef.h>

/* fd_write_all - write all n bytes (retrying short writes and EINTR);
 * 0, or -1 with errno */
int	 fd_write_all(int fd, const void *buf, size_t n);

/* fd_fsync_dir - fsync a directory so that a rename in it is durable;
 * 0, or -1 with errno */
int	 fd_fsync_dir(const char *dir);

#endif
