/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a whole input (apply's FILE, the hook's domain XML on stdin, an
 * mdevctl definition) with a size limit, so that a runaway input is refused
 * instead of exhausting memory.
 */
#ifndef APCTL_READ_FILE_H
#define APCTL_READ_FILE_H

#include <stddef.h>

/*
 * Reads fd to its end. The buffer is NUL-terminated (*ret_len excludes the
 * NUL). Returns 0, -EFBIG when more than max bytes arrive, or -errno.
 */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);

#endif
