// SPDX-License-Identifier: GPL-2.0
/* tierhost's daemon rule; see plan.h. */
#include "plan.h"

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t align_down(uint64_t v)
{
	return v / PLAN_ALIGN * PLAN_ALIGN;
}

/*
 * Sums of the VMs' bytes in 128 bits: a guest reports its sizes, and
 * 64-bit sums of sizes near 2^64 wrapped around (fuzz/fuzz_tierhost_balloon.c).
 */
typedef unsigned __int128 u128;

/* a * b / c without overflow, saturated at UINT64_MAX */
static uint64_t scale(uint64_t a, uint64_t b, u128 c)
{
	u128 v = c ? (u128)a * b / c : 0;

	return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

int plan_compute(struct plan_vm *vm, int n, const struct plan_cfg *cfg)
{
	u128 gsum = 0, esum = 0, held = 0;
	uint64_t rest, left;
	int i;

	for (i = 0; i < n; i++) {
		uint64_t g = min_u64(vm[i].min, vm[i].max);
		uint64_t w = scale(vm[i].demand, 100ULL + cfg->headroom, 100);

		vm[i].want = min_u64(max_u64(w, g), vm[i].max);
		gsum += g;
		esum += vm[i].want - g;
	}
	if (gsum > cfg->budget)
		return -1;
	rest = cfg->budget - (uint64_t)gsum;

	if (esum <= rest) {
		/* every want fits: spread what is left evenly, up to each max */
		for (i = 0; i < n; i++)
			vm[i].ideal = vm[i].want;
		left = rest - (uint64_t)esum;
		while (left >= PLAN_ALIGN) {
			uint64_t share, given = 0;
			int open = 0;

			for (i = 0; i < n; i++)
				open += vm[i].ideal < vm[i].max;
			if (!open)
				break;
			share = left / open;
			if (!share)
				break;
			for (i = 0; i < n; i++) {
				uint64_t add = min_u64(share, vm[i].max - vm[i].ideal);

				vm[i].ideal += add;
				given += add;
			}
			left -= given;
			if (!given)
				break;
		}
	} else {
		for (i = 0; i < n; i++) {
			uint64_t g = min_u64(vm[i].min, vm[i].max);

			vm[i].ideal = g + scale(rest, vm[i].want - g, esum);
		}
	}

	/* rate limits, hysteresis; shrinks are safe */
	for (i = 0; i < n; i++) {
		uint64_t ideal = align_down(vm[i].ideal), t = vm[i].target, d;

		vm[i].ideal = ideal;
		d = ideal > t ? ideal - t : t - ideal;
		if (d < cfg->min_step || !d)
			vm[i].next = t;
		else if (cfg->max_step && d > cfg->max_step)
			vm[i].next = ideal > t ? t + align_down(cfg->max_step) :
						 t - align_down(cfg->max_step);
		else
			vm[i].next = ideal;
		if (vm[i].next <= t)
			held += max_u64(vm[i].next, vm[i].actual);
		else
			held += max_u64(t, vm[i].actual);
	}
	/* grows, while what the VMs hold or are promised fits the budget */
	for (i = 0; i < n; i++) {
		uint64_t base, grow, room;

		if (vm[i].next <= vm[i].target)
			continue;
		base = max_u64(vm[i].target, vm[i].actual);
		if (vm[i].next <= base)
			continue;	/* holds more than the new target already */
		grow = vm[i].next - base;
		room = held < cfg->budget ? (uint64_t)(cfg->budget - held) : 0;
		if (grow > room) {
			grow = align_down(room);
			/* a sliver is not worth a round trip to the guest */
			if (grow < cfg->min_step)
				grow = 0;
			vm[i].next = grow ? base + grow : vm[i].target;
			if (vm[i].next < vm[i].target)
				vm[i].next = vm[i].target;
		}
		held += vm[i].next > base ? vm[i].next - base : 0;
	}
	return 0;
}
