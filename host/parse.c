// SPDX-License-Identifier: GPL-2.0
/* tierhost's parsers; see parse.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "qmp.h"

int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'T': case 't': shift = 40; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B' && shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int parse_node_size(const char *s, unsigned int *node, uint64_t *size)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (end == s || *end != '=' || n < 0 || n > NODE_ID_MAX || parse_size(end + 1, size))
		return -1;
	*node = n;
	return 0;
}

int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (end == s || *end || errno || s[0] == '-' || *v < lo || *v > hi)
		return -1;
	return 0;
}

/*
 * A member of QAPI type 'size' (a uint64) that may be absent, as an int64:
 * -1 if absent or not a size, capped at INT64_MAX (a guest's demand of
 * 2^63 bytes or more is still all of its node, not no demand).
 */
static int64_t opt_size(struct json_object *obj, const char *key)
{
	uint64_t v;

	if (!qmp_get_u64(obj, key, &v))
		return -1;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int parse_balloon_nodes(struct json_object *r, struct node *nodes, int max)
{
	size_t n = json_object_is_type(r, json_type_array) ? json_object_array_length(r) : 0;

	if (n > (size_t)max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(r, i);
		struct node *nd = &nodes[i];
		uint64_t id;
		const char *memdev = qmp_get_str(e, "memdev");

		if (!qmp_get_u64(e, "node", &id) ||
		    !qmp_get_u64(e, "node-size", &nd->size) ||
		    !qmp_get_u64(e, "target", &nd->target) ||
		    !qmp_get_u64(e, "actual", &nd->actual) ||
		    !qmp_get_u64(e, "host-discarded", &nd->discarded) ||
		    !qmp_get_u64(e, "host-resident", &nd->resident) ||
		    !qmp_get_u64(e, "discard-skipped", &nd->skipped) ||
		    !qmp_get_bool(e, "with-cpus", &nd->has_cpus) ||
		    !qmp_get_bool(e, "guest-supported", &nd->supported) ||
		    !qmp_get_bool(e, "stalled", &nd->stalled) || !memdev ||
		    id > NODE_ID_MAX)	/* QAPI's uint16; an unsigned int would wrap */
			return -1;
		nd->id = id;
		snprintf(nd->memdev, sizeof(nd->memdev), "%s", memdev);
		nd->guest_free = opt_size(e, "guest-free");
		nd->guest_total = opt_size(e, "guest-total");
		nd->guest_demand = opt_size(e, "guest-demand");
	}
	return n;
}

uint64_t parse_guest_used(struct json_object *r)
{
	struct json_object *st = qmp_get(r, "stats");
	int64_t total, avail, upd;

	if (qmp_get_i64(r, "last-update", &upd) && upd > 0 &&
	    qmp_get_i64(st, "stat-total-memory", &total) &&
	    qmp_get_i64(st, "stat-available-memory", &avail) &&
	    total > 0 && avail >= 0 && total > avail)
		return total - avail;
	return 0;
}

bool parse_node_change(struct json_object *ev, uint64_t *node, uint64_t *target,
		       uint64_t *actual)
{
	struct json_object *d = qmp_get(ev, "data");
	const char *name = qmp_get_str(ev, "event");

	return name && !strcmp(name, "BALLOON_NODE_CHANGE") && qmp_get_u64(d, "node", node) &&
	       *node <= NODE_ID_MAX && qmp_get_u64(d, "target", target) &&
	       qmp_get_u64(d, "actual", actual);
}

uint64_t node_held(const struct node *nd)
{
	return nd->actual > nd->resident ? nd->actual : nd->resident;
}
