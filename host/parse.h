/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierhost's parsers: the sizes and numbers of its command line, and the
 * numbers it budgets with out of a VM's QMP replies and events. The
 * replies come from QEMU, which serves a guest: they are untrusted, and a
 * reply that does not make sense is refused, never half-used
 * (fuzz/fuzz_tierhost_args.c, fuzz/fuzz_tierhost_balloon.c).
 */
#ifndef TIER_EXT_PARSE_H
#define TIER_EXT_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* The highest NUMA node id tierhost names (--node N=SIZE, QMP replies). */
#define NODE_ID_MAX 65535

/* One node of x-query-balloon-nodes' reply. */
struct node {
	unsigned int id;
	bool has_cpus, supported, stalled;
	uint64_t size, target, actual, discarded, resident, skipped;
	/*
	 * from the guest's balloon statistics (QAPI sizes, capped at
	 * INT64_MAX); -1 until it reports them
	 */
	int64_t guest_free, guest_total, guest_demand;
	char memdev[64];
};

/*
 * SIZE: bytes, or with a K, M, G or T suffix (powers of 1024; KiB, KB and
 * K alike). 0, or -1 if @s is not a size or it does not fit 64 bits.
 */
int parse_size(const char *s, uint64_t *out);

/* N=SIZE (--node): 0, or -1 if @s is not one or N > NODE_ID_MAX. */
int parse_node_size(const char *s, unsigned int *node, uint64_t *size);

/* A decimal number in [@lo, @hi]: 0, or -1. */
int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *v);

/*
 * The nodes of an x-query-balloon-nodes reply (its return value @r), at
 * most @max: their number, or -1 if @r is not such a reply (a member
 * missing or of another type, a node id above NODE_ID_MAX).
 */
int parse_balloon_nodes(struct json_object *r, struct node *nodes, int max);

/*
 * The memory a VM holds on a node, bytes, for budgeting: the larger of the
 * guest's "actual" (what the guest says it keeps) and the node backend's
 * host-resident memory (what QEMU measures). A guest that reports having
 * shrunk without inflating its balloon is held to what it really uses.
 */
uint64_t node_held(const struct node *nd);

/*
 * The guest's memory in use, bytes, from qom-get's reply for the balloon's
 * guest-stats (@r, may be NULL); 0 if it has no (sensible) statistics.
 */
uint64_t parse_guest_used(struct json_object *r);

/*
 * A BALLOON_NODE_CHANGE event's node, target and actual: true if @ev is
 * one (and its node at most NODE_ID_MAX).
 */
bool parse_node_change(struct json_object *ev, uint64_t *node, uint64_t *target,
		       uint64_t *actual);

#endif
