// SPDX-License-Identifier: GPL-2.0
/*
 * bad_kfunc: must be rejected by the verifier. It passes bpf_tier_error_bstr()
 * a 64-byte size for an 8-byte stack buffer.
 */
#include <tier_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

TIER_POLICY("selftest policy the verifier must reject");

void BPF_STRUCT_OPS(bad_kfunc_sample, struct tier_ext_sample *s)
{
	static char fmt[] = "bad %llu";
	unsigned long long arg = s->vaddr;

	bpf_tier_error_bstr(fmt, &arg, 64);
}

TIER_OPS_DEFINE(bad_kfunc_ops,
		.sample = (void *)bad_kfunc_sample,
		.name = "bad_kfunc");
