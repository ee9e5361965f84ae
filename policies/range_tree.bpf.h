/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Range tree: per-process lists of virtual address ranges in address
 * order, each with a decayed access count, for range-based policies
 * (Demeter). Ranges live in one array map, linked by index (prev/next), so
 * that splitting or merging is O(1) and no entry ever moves.
 *
 * Include after common.bpf.h. A policy using it defines RT_MAX_TREES and
 * RT_MAX_RANGES before including it, or takes the defaults.
 */
#ifndef __TIER_EXT_RANGE_TREE_BPF_H
#define __TIER_EXT_RANGE_TREE_BPF_H

#ifndef RT_MAX_TREES
#define RT_MAX_TREES	4
#endif
#ifndef RT_MAX_RANGES
#define RT_MAX_RANGES	2048
#endif
#define RT_NONE		(-1)

struct rt_range {
	u64 start;
	u64 end;		/* exclusive */
	u64 nr_access;		/* decayed access count */
	u64 fast;		/* resident pages in the top tier, last scan */
	u64 slow;		/* resident pages below it, last scan */
	u32 epoch;		/* epoch it was created (split or merged) in */
	s32 prev;		/* neighbours in address order */
	s32 next;
	u32 used;
	u32 mark;		/* policy-defined */
	u32 pad;
};

struct rt_tree {
	s32 pid;		/* 0: tree unused */
	s32 head;		/* lowest range */
	s32 free;		/* free list, linked by next */
	u32 nr;			/* ranges in use */
	u32 splits;
	u32 merges;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RT_MAX_TREES);
	__type(key, u32);
	__type(value, struct rt_tree);
} rt_trees SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RT_MAX_TREES * RT_MAX_RANGES);
	__type(key, u32);
	__type(value, struct rt_range);
} rt_ranges SEC(".maps");

static __always_inline struct rt_tree *rt_tree(u32 t)
{
	return bpf_map_lookup_elem(&rt_trees, &t);
}

static __always_inline struct rt_range *rt_get(u32 t, s32 i)
{
	u32 key;

	if (i < 0 || i >= RT_MAX_RANGES || t >= RT_MAX_TREES)
		return NULL;
	key = t * RT_MAX_RANGES + i;
	return bpf_map_lookup_elem(&rt_ranges, &key);
}

static __always_inline u64 rt_size(struct rt_range *r)
{
	return r->end - r->start;
}

/* The tree of @pid, or -1. */
static __always_inline int rt_find_tree(s32 pid)
{
	struct rt_tree *tr;
	int t;

	for (t = 0; t < RT_MAX_TREES; t++) {
		tr = rt_tree(t);
		if (tr && tr->pid == pid)
			return t;
	}
	return -1;
}

struct rt_reset_ctx {
	u32 t;
};

static long rt_reset_one(u64 i, void *data)
{
	struct rt_reset_ctx *c = data;
	struct rt_range *r = rt_get(c->t, i);

	if (!r)
		return 1;
	r->used = 0;
	r->prev = RT_NONE;
	r->next = i + 1 < RT_MAX_RANGES ? (s32)i + 1 : RT_NONE;
	return 0;
}

/* Take a free tree for @pid with every range on the free list. */
static __always_inline int rt_tree_create(s32 pid)
{
	struct rt_reset_ctx c;
	struct rt_tree *tr;
	int t = rt_find_tree(0);

	if (t < 0)
		return -1;
	c.t = t;
	bpf_loop(RT_MAX_RANGES, rt_reset_one, &c, 0);
	tr = rt_tree(t);
	if (!tr)
		return -1;
	tr->pid = pid;
	tr->head = RT_NONE;
	tr->free = 0;
	tr->nr = 0;
	tr->splits = 0;
	tr->merges = 0;
	return t;
}

static __always_inline void rt_tree_destroy(u32 t)
{
	struct rt_tree *tr = rt_tree(t);

	if (tr)
		tr->pid = 0;
}

/* Allocate a range and link it after @after (RT_NONE: at the head). */
static __always_inline s32 rt_insert(u32 t, s32 after, u64 start, u64 end,
				     u64 nr_access, u32 epoch)
{
	struct rt_tree *tr = rt_tree(t);
	struct rt_range *r, *a, *n;
	s32 i, next;

	if (!tr || tr->free == RT_NONE)
		return RT_NONE;
	i = tr->free;
	r = rt_get(t, i);
	if (!r)
		return RT_NONE;
	tr->free = r->next;
	if (after == RT_NONE) {
		next = tr->head;
		tr->head = i;
	} else {
		a = rt_get(t, after);
		if (!a)
			return RT_NONE;
		next = a->next;
		a->next = i;
	}
	n = rt_get(t, next);
	if (n)
		n->prev = i;
	r->start = start;
	r->end = end;
	r->nr_access = nr_access;
	r->fast = 0;
	r->slow = 0;
	r->epoch = epoch;
	r->mark = 0;
	r->prev = after;
	r->next = next;
	r->used = 1;
	tr->nr++;
	return i;
}

/* Unlink range @i and put it on the free list. */
static __always_inline void rt_remove(u32 t, s32 i)
{
	struct rt_tree *tr = rt_tree(t);
	struct rt_range *r = rt_get(t, i), *p, *n;

	if (!tr || !r || !r->used)
		return;
	p = rt_get(t, r->prev);
	n = rt_get(t, r->next);
	if (p)
		p->next = r->next;
	else
		tr->head = r->next;
	if (n)
		n->prev = r->prev;
	r->used = 0;
	r->prev = RT_NONE;
	r->next = tr->free;
	tr->free = i;
	tr->nr--;
}

/*
 * Split range @i at @mid into two ranges, each with half the count.
 * Returns the new right half or RT_NONE.
 */
static __always_inline s32 rt_split(u32 t, s32 i, u64 mid, u32 epoch)
{
	struct rt_range *r = rt_get(t, i);
	struct rt_tree *tr = rt_tree(t);
	u64 half, end;
	s32 right;

	if (!r || !tr || mid <= r->start || mid >= r->end)
		return RT_NONE;
	half = r->nr_access / 2;
	end = r->end;
	right = rt_insert(t, i, mid, end, half, epoch);
	r = rt_get(t, i);
	if (right == RT_NONE || !r)
		return RT_NONE;
	r->end = mid;
	r->nr_access -= half;
	r->epoch = epoch;
	tr->splits++;
	return right;
}

/* Merge range @i with its right neighbour. */
static __always_inline bool rt_merge_next(u32 t, s32 i, u32 epoch)
{
	struct rt_range *r = rt_get(t, i), *n;
	struct rt_tree *tr = rt_tree(t);
	s32 next;

	if (!r || !tr)
		return false;
	next = r->next;
	n = rt_get(t, next);
	if (!n || n->start != r->end)
		return false;
	r->end = n->end;
	r->nr_access += n->nr_access;
	r->fast += n->fast;
	r->slow += n->slow;
	r->epoch = epoch;
	rt_remove(t, next);
	tr->merges++;
	return true;
}

struct rt_find_ctx {
	u32 t;
	s32 cur;
	u64 addr;
	s32 found;
};

static long rt_find_step(u64 n, void *data)
{
	struct rt_find_ctx *c = data;
	struct rt_range *r = rt_get(c->t, c->cur);

	if (!r)
		return 1;
	if (c->addr < r->start)
		return 1;		/* ranges are in address order */
	if (c->addr < r->end) {
		c->found = c->cur;
		return 1;
	}
	c->cur = r->next;
	return 0;
}

/* The range of tree @t holding @addr, or RT_NONE. */
static __always_inline s32 rt_find(u32 t, u64 addr)
{
	struct rt_tree *tr = rt_tree(t);
	struct rt_find_ctx c = { .t = t, .addr = addr, .found = RT_NONE };

	if (!tr)
		return RT_NONE;
	c.cur = tr->head;
	bpf_loop(RT_MAX_RANGES, rt_find_step, &c, 0);
	return c.found;
}

#endif /* __TIER_EXT_RANGE_TREE_BPF_H */
