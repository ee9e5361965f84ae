// SPDX-License-Identifier: GPL-2.0
/*
 * Generic access to tier_ext policy objects (see policy.h). Everything a
 * loader needs to know about a policy comes from its BTF: the struct_ops
 * map, the parameters in .rodata and the names of its statistics.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "policy.h"

static __attribute__((format(printf, 2, 3)))
int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, TIER_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_dir(const char *path)
{
	return access(path, R_OK | X_OK) == 0;
}

const char *tier_policy_dir(void)
{
	static char dir[PATH_MAX + 32];
	static const char *const rel[] = { "../lib/tier_ext/policies", "../policies" };
	char exe[PATH_MAX];
	const char *env = getenv("TIER_POLICY_DIR");
	ssize_t n;
	char *slash;
	size_t i;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "/usr/local/lib/tier_ext/policies";
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", exe, rel[i]);
		if (is_dir(dir))
			return dir;
	}
	return "/usr/local/lib/tier_ext/policies";
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

int tier_policy_resolve(const char *name, char *path, size_t len, char *err)
{
	const char *c;

	if (strchr(name, '/') || has_suffix(name, ".bpf.o")) {
		if (access(name, R_OK)) {
			fail(err, "cannot read policy object %s: %s", name,
			     strerror(errno));
			return -ENOENT;
		}
		snprintf(path, len, "%s", name);
		return 0;
	}
	for (c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			break;
	}
	if (!*name || *c || strlen(name) >= 64) {
		fail(err, "invalid policy name '%s'", name);
		return -EINVAL;
	}
	snprintf(path, len, "%s/%s.bpf.o", tier_policy_dir(), name);
	if (access(path, R_OK)) {
		fail(err, "unknown policy '%s' (see 'tierctl list')", name);
		return -ENOENT;
	}
	return 0;
}

static void policy_name_from_path(struct tier_policy *p, const char *path)
{
	const char *base = strrchr(path, '/');
	char *dot;

	snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
	dot = strstr(p->name, ".bpf.o");
	if (dot)
		*dot = '\0';
}

static const struct btf_var_secinfo *find_var(const struct btf *btf,
					      const struct btf_type *sec,
					      const char *name)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	int i;

	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return vs;
	}
	return NULL;
}

/* The integer type under a variable's const/volatile/typedef wrappers. */
static const struct btf_type *var_int_type(const struct btf *btf,
					   const struct btf_var_secinfo *vs)
{
	const struct btf_type *var = btf__type_by_id(btf, vs->type);
	int id = btf__resolve_type(btf, var->type);
	const struct btf_type *t = id < 0 ? NULL : btf__type_by_id(btf, id);

	return t && btf_is_int(t) ? t : NULL;
}

static int collect_params(struct tier_policy *p, const char *path, char *err)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const size_t plen = strlen(TIER_PARAM_PREFIX);
	const struct btf_var_secinfo *vs, *val;
	const struct btf_type *sec, *t;
	size_t size;
	char *image;
	int i, id;

	p->rodata_map = bpf_object__find_map_by_name(p->obj, ".rodata");
	if (!p->rodata_map || !btf)
		return 0;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	image = bpf_map__initial_value(p->rodata_map, &size);
	if (id < 0 || !image)
		return 0;
	sec = btf__type_by_id(btf, id);

	vs = find_var(btf, sec, TIER_POLICY_DESC_VAR);
	if (vs && vs->offset + vs->size <= size && vs->size > 0) {
		image[vs->offset + vs->size - 1] = '\0';
		p->desc = image + vs->offset;
	}

	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *vname = btf__name_by_offset(btf, var->name_off);
		struct tier_param *prm;

		if (strncmp(vname, TIER_PARAM_PREFIX, plen))
			continue;
		if (vs->size != sizeof(struct tier_param_desc) ||
		    vs->offset + vs->size > size)
			return fail(err, "%s: malformed parameter %s", path, vname);
		val = find_var(btf, sec, vname + plen);
		t = val ? var_int_type(btf, val) : NULL;
		if (!t || val->offset + val->size > size ||
		    (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8))
			return fail(err, "%s: parameter %s is not an integer variable",
				    path, vname + plen);
		if (p->nr_params == TIER_MAX_PARAMS)
			return fail(err, "%s: more than %d parameters", path,
				    TIER_MAX_PARAMS);
		prm = &p->params[p->nr_params++];
		prm->desc = (void *)(image + vs->offset);
		prm->value = image + val->offset;
		prm->size = t->size;
		prm->is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
	}
	return 0;
}

/*
 * Member @name of the policy's struct tier_ext_ops, in the image libbpf
 * writes to the kernel at attach: a pointer to it and its size in bytes;
 * *is_int tells an integer from an array (the name). NULL if none.
 */
static void *ops_member(struct tier_policy *p, const char *name, size_t *msize,
			bool *is_int)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_type *t, *mt;
	const struct btf_member *m;
	size_t size;
	__s64 msz;
	char *data;
	int i;

	data = bpf_map__initial_value(p->ops_map, &size);
	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(p->ops_map));
	if (!data || !t)
		return NULL;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		size_t off = btf_member_bit_offset(t, i) / 8;

		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		mt = btf__type_by_id(btf, btf__resolve_type(btf, m->type));
		msz = btf__resolve_size(btf, m->type);
		if (!mt || msz <= 0 || off + msz > size)
			return NULL;
		*is_int = btf_is_int(mt);
		*msize = msz;
		return data + off;
	}
	return NULL;
}

/* Store @v in the 1-, 2-, 4- or 8-byte integer at @dst. */
static void put_int(void *dst, size_t size, long long v)
{
	switch (size) {
	case 1:
		*(__u8 *)dst = v;
		break;
	case 2:
		*(__u16 *)dst = v;
		break;
	case 4:
		*(__u32 *)dst = v;
		break;
	default:
		*(__u64 *)dst = v;
	}
}

static unsigned long long get_uint(const void *v, size_t size)
{
	switch (size) {
	case 1:
		return *(const __u8 *)v;
	case 2:
		return *(const __u16 *)v;
	case 4:
		return *(const __u32 *)v;
	default:
		return *(const __u64 *)v;
	}
}

/*
 * A parameter named after an integer member of struct tier_ext_ops (such
 * as numa_scan_ms) also sets that member: the kernel reads the member,
 * the policy the parameter. Called for every value a parameter takes.
 */
static void sync_ops_member(struct tier_policy *p, const struct tier_param *prm)
{
	long long v = tier_param_value(prm);
	size_t size;
	bool is_int;
	void *data = ops_member(p, prm->desc->name, &size, &is_int);

	if (!data || !is_int)
		return;
	put_int(data, size, v);
}

/* The value of enumerator @name in the running kernel's BTF. */
static bool kernel_enum(const struct btf *vmlinux, const char *name,
			unsigned long long *val)
{
	__u32 id, n = btf__type_cnt(vmlinux);
	int i;

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);

		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t);

			for (i = 0; i < btf_vlen(t); i++, e++) {
				if (!strcmp(btf__name_by_offset(vmlinux, e->name_off), name)) {
					*val = (__u32)e->val;
					return true;
				}
			}
		} else if (btf_is_enum64(t)) {
			const struct btf_enum64 *e = btf_enum64(t);

			for (i = 0; i < btf_vlen(t); i++, e++) {
				if (!strcmp(btf__name_by_offset(vmlinux, e->name_off), name)) {
					*val = btf_enum64_value(e);
					return true;
				}
			}
		}
	}
	return false;
}

/*
 * The limits bpf_tier_ext_init_member() (mm/tier_ext/core.c) enforces on the
 * integer members, by the names of the kernel's own constants: the values
 * come from the running kernel's BTF, so tierctl never disagrees with it.
 */
static const struct {
	const char *member;
	const char *limit;
} ops_limits[] = {
	{ "tick_ms",		"TIER_EXT_TICK_MAX_MS" },
	{ "migrate_mbps",	"TIER_EXT_MIGRATE_MAX_MBPS" },
	{ "perf_period",	"TIER_EXT_PERF_MAX_PERIOD" },
	{ "numa_scan_ms",	"TIER_EXT_NUMA_SCAN_MAX_MS" },
	{ "numa_scan_mb",	"TIER_EXT_NUMA_SCAN_MAX_MB" },
};

int tier_policy_check_ops(struct tier_policy *p, char *err)
{
	unsigned long long v, max;
	struct btf *vmlinux;
	size_t i, size;
	bool is_int;
	void *data;
	int ret = 0;

	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return 0;	/* no BTF to read the limits from: the kernel checks */
	for (i = 0; i < sizeof(ops_limits) / sizeof(ops_limits[0]) && !ret; i++) {
		data = ops_member(p, ops_limits[i].member, &size, &is_int);
		if (!data || !is_int || !kernel_enum(vmlinux, ops_limits[i].limit, &max))
			continue;
		v = get_uint(data, size);
		if (v > max)
			ret = fail(err, "%s=%llu is above the kernel's limit of %llu",
				   ops_limits[i].member, v, max);
	}
	data = ops_member(p, "flags", &size, &is_int);
	if (!ret && data && is_int && kernel_enum(vmlinux, "TIER_OPS_ALL_FLAGS", &max)) {
		v = get_uint(data, size);
		if (v & ~max)
			ret = fail(err, "flags=0x%llx has bits the kernel does not know "
				   "(it knows 0x%llx)", v, max);
	}
	data = ops_member(p, "name", &size, &is_int);
	if (!ret && data && !is_int && !*(char *)data)
		ret = fail(err, "its struct tier_ext_ops has an empty name");
	btf__free(vmlinux);
	return ret;
}

int tier_policy_open(struct tier_policy *p, const char *path, char *err)
{
	const struct btf *btf;
	const struct btf_type *t;
	struct bpf_map *map;
	int n = 0, ret;

	memset(p, 0, sizeof(*p));
	policy_name_from_path(p, path);
	p->obj = bpf_object__open_file(path, NULL);
	if (!p->obj) {
		ret = -errno;
		fail(err, "cannot open policy object %s: %s", path, strerror(-ret));
		return ret;
	}
	btf = bpf_object__btf(p->obj);
	bpf_object__for_each_map(map, p->obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_STRUCT_OPS)
			continue;
		t = btf ? btf__type_by_id(btf, bpf_map__btf_value_type_id(map)) : NULL;
		if (!t || strcmp(btf__name_by_offset(btf, t->name_off), "tier_ext_ops"))
			continue;
		p->ops_map = map;
		n++;
	}
	if (n != 1) {
		ret = fail(err, n ? "%s defines more than one tier_ext_ops" :
			   "%s is not a tier_ext policy (no tier_ext_ops)", path);
		goto err_close;
	}
	map = bpf_object__find_map_by_name(p->obj, TIER_STATS_MAP);
	if (map && bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY)
		p->stats_map = map;
	ret = collect_params(p, path, err);
	if (ret)
		goto err_close;
	for (n = 0; n < p->nr_params; n++)
		sync_ops_member(p, &p->params[n]);
	return 0;

err_close:
	bpf_object__close(p->obj);
	p->obj = NULL;
	return ret;
}

void tier_policy_close(struct tier_policy *p)
{
	bpf_object__close(p->obj);
	p->obj = NULL;
}

long long tier_param_value(const struct tier_param *prm)
{
	switch (prm->size) {
	case 1:
		return prm->is_signed ? *(signed char *)prm->value :
					*(unsigned char *)prm->value;
	case 2:
		return prm->is_signed ? *(short *)prm->value :
					*(unsigned short *)prm->value;
	case 4:
		if (prm->is_signed)
			return *(int *)prm->value;
		return *(unsigned int *)prm->value;
	default:
		return *(long long *)prm->value;
	}
}

void tier_param_store(const struct tier_param *prm, long long v)
{
	put_int(prm->value, prm->size, v);
}

int tier_param_parse(const struct tier_param *params, int nr_params, const char *policy,
		     const char *assign, int *idx, long long *val, char *err)
{
	const char *eq = strchr(assign, '=');
	const struct tier_param *prm = NULL;
	long long v;
	size_t nlen;
	char *end;
	int i;

	if (!eq || eq == assign)
		return fail(err, "--param needs NAME=VALUE, got '%s'", assign);
	nlen = eq - assign;
	for (i = 0; i < nr_params; i++) {
		if (strlen(params[i].desc->name) == nlen &&
		    !strncmp(params[i].desc->name, assign, nlen)) {
			prm = &params[i];
			break;
		}
	}
	if (!prm)
		return fail(err, "policy '%s' has no parameter '%.*s' (see 'tierctl list')",
			    policy, (int)nlen, assign);
	errno = 0;
	v = strtoll(eq + 1, &end, 0);
	if (!eq[1] || *end || errno)
		return fail(err, "parameter '%s': '%s' is not an integer",
			    prm->desc->name, eq + 1);
	if (v < prm->desc->min || v > prm->desc->max)
		return fail(err, "parameter '%s' must be in [%lld, %lld], got %s",
			    prm->desc->name, prm->desc->min, prm->desc->max, eq + 1);
	*idx = i;
	*val = v;
	return 0;
}

int tier_policy_set_param(struct tier_policy *p, const char *assign, char *err)
{
	long long v;
	int i, ret;

	ret = tier_param_parse(p->params, p->nr_params, p->name, assign, &i, &v, err);
	if (ret)
		return ret;
	tier_param_store(&p->params[i], v);
	sync_ops_member(p, &p->params[i]);
	return 0;
}

/* Load a kernel map's value and the BTF that describes it. */
static int map_value_btf(int fd, struct bpf_map_info *info, struct btf **btf,
			 void **buf, size_t per_cpu)
{
	__u32 len = sizeof(*info), zero = 0;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = bpf_map_get_info_by_fd(fd, info, &len);
	if (ret)
		return ret;
	if (!info->btf_id || !info->btf_value_type_id)
		return -ENOENT;
	*btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!*btf)
		return -errno;
	*buf = calloc(per_cpu ? per_cpu : 1, (info->value_size + 7) & ~7U);
	if (!*buf) {
		btf__free(*btf);
		return -ENOMEM;
	}
	ret = bpf_map_lookup_elem(fd, &zero, *buf);
	if (ret) {
		ret = -errno;
		free(*buf);
		btf__free(*btf);
	}
	return ret;
}

/*
 * Visit the u64 counters of a per-CPU stats map, summed over CPUs: fn for
 * each, or (fn NULL) the one named @field into *val.
 */
static int stats_walk(int fd, const char *field, unsigned long long *val,
		      tier_stat_fn fn, void *ctx)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct bpf_map_info info;
	struct btf *btf;
	int ncpu, i, c, ret, found = 0;
	size_t stride;
	void *buf;

	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	ret = map_value_btf(fd, &info, &btf, &buf, ncpu);
	if (ret)
		return ret;
	ret = -EINVAL;
	t = btf__type_by_id(btf, info.btf_value_type_id);
	if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || !t || !btf_is_struct(t))
		goto out;
	stride = (info.value_size + 7) & ~7U;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		unsigned long long sum = 0;
		size_t off = btf_member_bit_offset(t, i) / 8;

		if (btf__resolve_size(btf, m->type) != 8)
			continue;
		for (c = 0; c < ncpu; c++)
			sum += *(unsigned long long *)((char *)buf + c * stride + off);
		if (fn) {
			fn(ctx, name, sum);
		} else if (!strcmp(name, field)) {
			*val = sum;
			found = 1;
			break;
		}
	}
	ret = found || fn ? 0 : -ENOENT;
out:
	free(buf);
	btf__free(btf);
	return ret;
}

int tier_stats_get(int map_fd, const char *field, unsigned long long *val)
{
	return stats_walk(map_fd, field, val, NULL, NULL);
}

int tier_stats_visit(int map_fd, tier_stat_fn fn, void *ctx)
{
	return stats_walk(map_fd, NULL, NULL, fn, ctx);
}

int tier_params_visit(int rodata_fd, tier_param_fn fn, void *ctx)
{
	const size_t plen = strlen(TIER_PARAM_PREFIX);
	const struct btf_var_secinfo *vs, *val;
	const struct btf_type *sec, *t;
	struct bpf_map_info info;
	struct tier_param prm;
	struct btf *btf;
	int i, ret;
	void *buf;

	ret = map_value_btf(rodata_fd, &info, &btf, &buf, 0);
	if (ret)
		return ret;
	sec = btf__type_by_id(btf, info.btf_value_type_id);
	if (!sec || !btf_is_datasec(sec)) {
		ret = -EINVAL;
		goto out;
	}
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);
		const char *vname = btf__name_by_offset(btf, var->name_off);

		if (strncmp(vname, TIER_PARAM_PREFIX, plen))
			continue;
		val = find_var(btf, sec, vname + plen);
		t = val ? var_int_type(btf, val) : NULL;
		if (!t || val->offset + val->size > info.value_size)
			continue;
		prm.value = (char *)buf + val->offset;
		prm.size = t->size;
		prm.is_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		fn(ctx, vname + plen, tier_param_value(&prm));
	}
out:
	free(buf);
	btf__free(btf);
	return ret;
}
