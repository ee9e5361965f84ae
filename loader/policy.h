/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic access to tier_ext policy objects, for tierctl and the
 * selftests: open any policy .bpf.o, list and set its parameters, and read
 * its statistics and parameters back from maps the kernel holds.
 */
#ifndef __TIER_EXT_POLICY_H
#define __TIER_EXT_POLICY_H

#include <stdbool.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include <tier_ext/policy_abi.h>

#define TIER_MAX_PARAMS	64
#define TIER_ERR_LEN	512

struct tier_param {
	const struct tier_param_desc *desc;	/* in the .rodata image */
	void *value;				/* in the .rodata image */
	unsigned int size;
	bool is_signed;
};

struct tier_policy {
	char name[64];		/* file name without .bpf.o */
	struct bpf_object *obj;
	struct bpf_map *ops_map;	/* the struct_ops map */
	struct bpf_map *stats_map;	/* "stats", or NULL */
	struct bpf_map *rodata_map;	/* ".rodata", or NULL */
	const char *desc;
	int nr_params;
	struct tier_param params[TIER_MAX_PARAMS];
};

/* Where policies are looked up: $TIER_POLICY_DIR, else next to tierctl. */
const char *tier_policy_dir(void);

/*
 * Resolve a policy name ("demeter") or a path to a .bpf.o file.
 * Return 0, or -ENOENT with a message in err.
 */
int tier_policy_resolve(const char *name, char *path, size_t len, char *err);

/* Open (not load) a policy object. Return 0 or -errno with err set. */
int tier_policy_open(struct tier_policy *p, const char *path, char *err);
void tier_policy_close(struct tier_policy *p);

/* Apply "name=value" before load. Return 0 or -errno with err set. */
int tier_policy_set_param(struct tier_policy *p, const char *assign, char *err);

/*
 * tier_policy_set_param()'s parsing, without a BPF object: find the
 * parameter "name=value" names among @params (of policy @policy, for the
 * message) and check its value. Return 0 with its index in *idx and the
 * value in *val, or -EINVAL with err set (fuzz/fuzz_tierctl_param.c).
 */
int tier_param_parse(const struct tier_param *params, int nr_params, const char *policy,
		     const char *assign, int *idx, long long *val, char *err);

/*
 * Check the policy's struct tier_ext_ops against the limits the running
 * kernel enforces at attach (read from its BTF), so that a refusal names
 * the value and the limit: "tick_ms=60001 is above the kernel's limit of
 * 60000". Return 0 (also when the kernel has no BTF) or -EINVAL with err.
 */
int tier_policy_check_ops(struct tier_policy *p, char *err);

long long tier_param_value(const struct tier_param *prm);
/* Store @v in the parameter's variable (in the .rodata image). */
void tier_param_store(const struct tier_param *prm, long long v);

/* Sum a counter of a per-CPU stats map over all CPUs. */
int tier_stats_get(int map_fd, const char *field, unsigned long long *val);

/*
 * Call fn for every u64 counter of a pinned per-CPU stats map (summed over
 * CPUs) / every parameter in a policy's pinned .rodata, in declaration
 * order. 0, or a negative errno if the map cannot be read.
 */
typedef void (*tier_stat_fn)(void *ctx, const char *name, unsigned long long value);
typedef void (*tier_param_fn)(void *ctx, const char *name, long long value);
int tier_stats_visit(int map_fd, tier_stat_fn fn, void *ctx);
int tier_params_visit(int rodata_fd, tier_param_fn fn, void *ctx);

#endif /* __TIER_EXT_POLICY_H */
