// SPDX-License-Identifier: GPL-2.0
/*
 * nomad: Nomad (OSDI'24), TPP with non-exclusive, transactional promotion.
 *
 * Promotion candidates are TPP's (hint-fault latency below the adaptive
 * hot threshold, within the rate limit; see tpp_core.bpf.h), but the fault
 * does not wait for a migration: the page joins a per-CPU batch, and full
 * (or old) batches go to the migration kthread as transactional moves
 * (TIER_MIGRATE_TRANSACTIONAL): each page is copied while it stays mapped
 * and writable, and switched over only if it was not written during the
 * copy. The slow copy stays as a shadow (TIER_MIGRATE_SHADOW), so that
 * demoting the page while it is unwritten is a remap, not a copy.
 *
 * Demotion is TPP's early demotion of cold 2 MiB chunks to keep
 * demote_scale_factor room on the fast node; the kernel remaps the pages
 * that still have a clean shadow. Shadows are given up, oldest first, when
 * the slow node runs short (a shrinker), as Nomad reclaims them.
 *
 * Left out: Nomad's retry of aborted copies in a later period (here an
 * aborted page is promoted again at its next hot hint fault), its
 * write-protection of promoted pages (the dirty bit tells the same
 * without faults), and shadows of huge pages (huge pages migrate as usual).
 */
#include <tier_ext/common.bpf.h>
#include <tier_ext/target_areas.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("Nomad: TPP with transactional promotion and shadow pages");

TIER_PARAM(u32, batch_pages, 64, 1, 512, "pages per transactional promotion request");
TIER_PARAM(u32, batch_ms, 20, 1, 10000, "send a partial batch after this long");
TIER_PARAM(u32, shadow, 1, 0, 1, "keep the slow copy of promoted pages (1) or not (0)");

#define TPP_EXTRA_STATS	u64 tx_batches; u64 tx_pages;
#include "tpp_core.bpf.h"

#define BATCH_MAX 512

/* Promotion candidates of one target, gathered on one CPU */
struct batch {
	s32 pid;
	u32 n;
	u64 start_ns;
	u64 pages[BATCH_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct batch);
} batches SEC(".maps");

static void batch_send(struct batch *b)
{
	u32 n = b->n, flags = TIER_MIGRATE_TRANSACTIONAL;

	b->n = 0;
	if (!n || n > BATCH_MAX)
		return;
	if (shadow)
		flags |= TIER_MIGRATE_SHADOW;
	if (bpf_tier_migrate_pages(b->pid, b->pages, n * sizeof(u64), tier_promotion_node(),
				   flags) > 0) {
		tier_stat_inc(tx_batches);
		tier_stat_add(tx_pages, n);
	}
}

/* The fault never waits: candidates are promoted by the kthread. */
s32 BPF_STRUCT_OPS(nomad_numa_fault, struct tier_ext_sample *s)
{
	u32 zero = 0, n;
	struct batch *b;

	if (!tpp_promotion_candidate(s))
		return NUMA_NO_NODE;
	b = bpf_map_lookup_elem(&batches, &zero);
	if (!b)
		return NUMA_NO_NODE;
	if (b->n && b->pid != s->pid)
		batch_send(b);
	if (!b->n) {
		b->pid = s->pid;
		b->start_ns = s->time_ns;
	}
	n = b->n;
	if (n < BATCH_MAX) {
		b->pages[n] = s->vaddr & ~4095ULL;
		b->n = n + 1;
	}
	if (b->n >= batch_pages || s->time_ns - b->start_ns >= batch_ms * 1000000ULL)
		batch_send(b);
	return NUMA_NO_NODE;
}

TIER_OPS_DEFINE(nomad_ops,
		.init = (void *)tpp_init,
		.tick = (void *)tpp_tick,
		.numa_fault = (void *)nomad_numa_fault,
		.target_add = (void *)tpp_target_add,
		.target_remove = (void *)tpp_target_remove,
		.migrate_done = (void *)tpp_migrate_done,
		.name = "nomad");
