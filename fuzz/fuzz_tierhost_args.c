// SPDX-License-Identifier: GPL-2.0
/*
 * tierhost's command-line values (host/parse.c): SIZE (--fast, --slow,
 * --budget, --min, --step-min, --*-bandwidth), N=SIZE (--node) and the
 * decimal numbers of --interval, --rate, --headroom and the topology
 * options. The input is one argument; untrusted: tierhost runs as root
 * (systemd's tierhost.service takes them from /etc/default/tierhost, a
 * management layer from its users). Checks against a reference reading of
 * the documented syntax: digits, then K, M, G or T with an optional B or
 * iB, powers of 1024, and nothing that does not fit 64 bits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* The documented SIZE syntax, independently; -1 if not a SIZE. */
static int ref_size(const char *s, uint64_t *out)
{
	unsigned __int128 v = 0;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > UINT64_MAX)
			return -1;
	}
	switch (*s) {
	case 'T': case 't': shift = 40; s++; break;
	case 'G': case 'g': shift = 30; s++; break;
	case 'M': case 'm': shift = 20; s++; break;
	case 'K': case 'k': shift = 10; s++; break;
	}
	if (shift && s[0] == 'i' && s[1] == 'B')
		s += 2;
	else if (shift && s[0] == 'B')
		s++;
	v <<= shift;
	if (*s || v > UINT64_MAX)
		return -1;
	*out = v;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v, r;
	unsigned long u;
	unsigned int node;
	char *s = malloc(size + 1);
	int a, b;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	a = parse_size(s, &v);
	b = ref_size(s, &r);
	if (a != b || (!a && v != r))
		abort();
	if (!parse_node_size(s, &node, &v) && node > NODE_ID_MAX)
		abort();
	if (!parse_ulong(s, 1, 3600000, &u) && (u < 1 || u > 3600000))
		abort();
	if (!parse_ulong(s, 0, 1000, &u) && u > 1000)
		abort();
	free(s);
	return 0;
}
