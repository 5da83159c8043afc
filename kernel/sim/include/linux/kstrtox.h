/* SPDX-License-Identifier: GPL-2.0 */
/*
 * User-space shim of kstrtox: like the kernel, base 0 means "0x" hex, a
 * leading "0" octal, else decimal; one trailing newline is accepted;
 * anything else (sign on unsigned, garbage, overflow) is -EINVAL/-ERANGE.
 */
#ifndef _SIM_LINUX_KSTRTOX_H
#define _SIM_LINUX_KSTRTOX_H

#include <linux/types.h>

int kstrtoull(const char *s, unsigned int base, unsigned long long *res);
int kstrtoll(const char *s, unsigned int base, long long *res);
int kstrtoul(const char *s, unsigned int base, unsigned long *res);
int kstrtol(const char *s, unsigned int base, long *res);
int kstrtouint(const char *s, unsigned int base, unsigned int *res);
int kstrtoint(const char *s, unsigned int base, int *res);
int kstrtobool(const char *s, bool *res);

#endif
