/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tierhost's daemon rule: share a host's fast-memory budget among VMs.
 *
 * Each VM i has a fast tier of at most F_i bytes (its fast node), a
 * guaranteed minimum g_i = min(min_i, F_i) and a demand d_i: the fast
 * memory the guest's tiering policy asks for (guest-demand of the fast
 * node in the balloon statistics: Demeter's warm ranges), else the bytes
 * the guest uses. It wants w_i = clamp(d_i * (100 + headroom) / 100, g_i, F_i).
 * Every VM gets g_i; the rest of the budget, R = B - sum g_i, goes to the
 * extra wants e_i = w_i - g_i: all of them if they fit, else in proportion
 * to e_i. What is left after every want is met is spread evenly over the
 * VMs that can take more (up to F_i): idle fast memory helps a guest more
 * than the host. Targets are rounded down to 2 MiB.
 *
 * Moving there is rate-limited: a target moves at most @max_step bytes per
 * interval and changes smaller than @min_step are skipped. Shrinks come
 * first; a grow is applied only while the fast memory the VMs hold or are
 * promised, sum max(target_i, actual_i), stays within the budget, so a
 * guest that is slow to give memory back delays the others' growth
 * instead of overcommitting the host.
 */
#ifndef TIER_EXT_PLAN_H
#define TIER_EXT_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#define PLAN_ALIGN (2ULL << 20)

struct plan_vm {
	uint64_t max;		/* F_i: size of the fast node */
	uint64_t min;		/* min_i as configured */
	uint64_t demand;	/* d_i */
	uint64_t target;	/* T_i: current fast target */
	uint64_t actual;	/* A_i: what the VM holds now (node_held()) */
	uint64_t want;		/* out: w_i */
	uint64_t ideal;		/* out: the allocation without rate limits */
	uint64_t next;		/* out: the target to set now */
};

struct plan_cfg {
	uint64_t budget;	/* B */
	unsigned int headroom;	/* percent */
	uint64_t max_step;	/* bytes per interval; 0: unlimited */
	uint64_t min_step;	/* bytes */
};

/* Fills want, ideal and next; -1 if the minimums exceed the budget. */
int plan_compute(struct plan_vm *vm, int n, const struct plan_cfg *cfg);

#endif
