/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef APM_HEX_H
#define APM_HEX_H

/* The value of one hex digit, or -1. Locale-independent, unlike isxdigit(). */
static inline int hex_digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

#endif
