/*
 * fdio.c - whole-buffer writes on a file descriptor
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fdio.h"

/* fd_write_all - write all n bytes */
int
fd_write_all(int fd, const void *buf, size_t n)
{
	const unsigned char	*p = buf;
	ssize_t			 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* fd_fsync_dir - fsync a directory */
int
fd_fsync_dir(const char *dir)
{
	int	 fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}
