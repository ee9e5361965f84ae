// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl --param NAME=VALUE: the input is the assignment string, as given
 * on tierctl's command line (or from a unit's /etc/default file, a script,
 * a web front end), against a parameter table shaped like the policies'
 * (loader/policy.c, tier_param_parse(), what tier_policy_set_param() runs
 * before it stores the value). Untrusted: tierctl runs as root, and the
 * string reaches strtoll() and the .rodata image the kernel loads.
 * Checks: a value accepted is in the parameter's range and its variable
 * holds it exactly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define D(n, lo, hi) { .name = n, .desc = "fuzz", .min = (lo), .max = (hi) }
static const struct tier_param_desc descs[] = {
	D("epoch_ms", 50, 60000),			/* u32, as demeter's */
	D("cool_samples", 64, 1 << 30),			/* u32 */
	D("shadow", 0, 1),				/* u8 */
	D("offset", -32768, 32767),			/* s16 */
	D("delta", -2147483647LL - 1, 2147483647),	/* s32 */
	D("wide", -9223372036854775807LL - 1, 9223372036854775807LL),	/* s64 */
	D("bytes", 0, 9223372036854775807LL),		/* u64 */
	D("a_name_of_thirty_one_characters", 0, 100),	/* u32, the longest name */
	D("numa_scan_ms", 0, 60000),			/* u32, an ops member */
};
static const struct { unsigned int size; bool is_signed; } types[] = {
	{ 4, false }, { 4, false }, { 1, false }, { 2, true }, { 4, true },
	{ 8, true }, { 8, false }, { 4, false }, { 4, false },
};
#define NR ((int)(sizeof(descs) / sizeof(descs[0])))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tier_param params[NR];
	unsigned char store[NR][8];
	char err[TIER_ERR_LEN], *assign;
	long long v;
	int i, idx;

	assign = malloc(size + 1);	/* exact: ASan sees any overread */
	if (!assign)
		return 0;
	memcpy(assign, data, size);
	assign[size] = '\0';
	for (i = 0; i < NR; i++) {
		params[i] = (struct tier_param){ .desc = &descs[i], .value = store[i],
						 .size = types[i].size,
						 .is_signed = types[i].is_signed };
		memset(store[i], 0xa5, sizeof(store[i]));
	}
	err[0] = '\0';
	if (!tier_param_parse(params, NR, "fuzz", assign, &idx, &v, err)) {
		const struct tier_param *prm = &params[idx];
		size_t nlen = strlen(prm->desc->name);

		if (idx < 0 || idx >= NR || strncmp(assign, prm->desc->name, nlen) ||
		    assign[nlen] != '=' || v < prm->desc->min || v > prm->desc->max)
			abort();
		tier_param_store(prm, v);
		if (tier_param_value(prm) != v)
			abort();	/* the variable would hold another value */
	} else if (!err[0] || !memchr(err, '\0', sizeof(err))) {
		abort();	/* a refusal says why */
	}
	free(assign);
	return 0;
}
