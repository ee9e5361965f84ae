// SPDX-License-Identifier: GPL-2.0
/*
 * over_limit: a policy whose built-in tick_ms (60001) is above the
 * kernel's limit (TIER_EXT_TICK_MAX_MS, 60000): attaching it must fail
 * with an error that names the value and the limit.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy whose tick_ms the kernel refuses");

void BPF_STRUCT_OPS(over_limit_tick)
{
}

TIER_OPS_DEFINE(over_limit_ops,
		.tick = (void *)over_limit_tick,
		.tick_ms = 60001,
		.name = "over_limit");
