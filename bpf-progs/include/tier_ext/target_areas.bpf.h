/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a target's data lives, for policies that walk its address space:
 * the heap area (from start_brk up) and the mmap area (below mmap_base),
 * each twice the machine's memory rounded up to 1 GiB, as Demeter's two
 * initial ranges (demeter.md 3.2). Unmapped parts cost a walk nothing.
 */
#ifndef __TIER_EXT_TARGET_AREAS_BPF_H
#define __TIER_EXT_TARGET_AREAS_BPF_H

#include <tier_ext/common.bpf.h>

#define TIER_GIB	(1ULL << 30)

struct tier_area {
	u64 start;
	u64 end;	/* exclusive; start == end: none */
};

/* Bytes of memory on all nodes. */
static __always_inline u64 tier_total_memory(void)
{
	u64 total = 0;
	s32 nid;

	for (nid = 0; nid < 64; nid++) {
		if (nid >= bpf_tier_nr_node_ids())
			break;
		if (bpf_tier_node_has_memory(nid))
			total += bpf_tier_node_capacity(nid) * 4096;
	}
	return total;
}

/* Return 0 and the areas of @pid, or -1 if it has no address space. */
static __always_inline int tier_target_areas(s32 pid, struct tier_area *heap,
					     struct tier_area *mmap)
{
	u64 cover, brk, top;
	struct task_struct *task;
	struct mm_struct *mm;

	task = bpf_task_from_pid(pid);
	if (!task)
		return -1;
	mm = task->mm;
	brk = mm ? BPF_CORE_READ(mm, start_brk) : 0;
	top = mm ? BPF_CORE_READ(mm, mmap_base) : 0;
	bpf_task_release(task);
	if (!top)
		return -1;

	cover = 2 * ((tier_total_memory() + TIER_GIB - 1) & ~(TIER_GIB - 1));
	brk &= ~(TIER_GIB - 1);
	top = (top + TIER_GIB - 1) & ~(TIER_GIB - 1);
	mmap->start = top > cover ? top - cover : 0;
	mmap->end = top;
	heap->start = brk;
	heap->end = brk + cover;
	if (heap->end > mmap->start)
		heap->end = mmap->start;
	if (!brk || heap->start >= heap->end)
		heap->start = heap->end = 0;
	return 0;
}

/* The map "targets": @__max slots of @__value, which starts with a pid. */
#define TIER_TARGETS_MAP(__value, __max)				\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, __max);				\
		__type(key, u32);					\
		__type(value, __value);					\
	} targets SEC(".maps")

/* A free slot of @targets (see below), or NULL. */
static __always_inline void *tier_target_slot_get(void *targets, u32 max)
{
	s32 *slot;
	u32 i;

	for (i = 0; i < max; i++) {
		u32 k = i;

		slot = bpf_map_lookup_elem(targets, &k);
		if (slot && !*slot)
			return slot;
	}
	return NULL;
}

/*
 * Free the slot of @pid in @targets, an array map of @max entries whose
 * values start with the target's pid (0: a free slot).
 */
static __always_inline void tier_target_slot_free(void *targets, u32 max,
						  s32 pid)
{
	s32 *slot;
	u32 i;

	for (i = 0; i < max; i++) {
		u32 k = i;

		slot = bpf_map_lookup_elem(targets, &k);
		if (slot && *slot == pid)
			*slot = 0;
	}
}

#endif /* __TIER_EXT_TARGET_AREAS_BPF_H */
