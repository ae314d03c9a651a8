/* SPDX-License-Identifier: MIT */
/* Small fd helpers shared by the modules that write files or memfds. */
#ifndef BS_UTIL_FDIO_H
#define BS_UTIL_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* All of buf, retrying short writes and EINTR: 0 or -errno. */
static inline int bs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

#endif
