/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the tier_ext selftests: paths of the built objects,
 * sysfs and /proc/vmstat readers, sample injection, and loading policies
 * through the same generic code as tierctl (loader/policy.c).
 */
#ifndef __TIER_TEST_H
#define __TIER_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <numaif.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/btf.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "memtier.h"
#include "policy.h"

typedef __u64 u64;
typedef __u32 u32;
typedef __s32 s32;

#define TIER_SYSFS	"/sys/kernel/mm/tier_ext"
#define TIER_INJECT	"/sys/kernel/debug/tier_ext/inject"
#define TIER_PAGE	4096UL

static inline int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			       va_list args)
{
	return level == LIBBPF_WARN && getenv("TIER_TEST_VERBOSE") ?
	       vfprintf(stderr, fmt, args) : 0;
}

/* A path relative to the directory holding the test binary. */
static inline const char *tier_test_path(const char *rel)
{
	static char buf[4][PATH_MAX + 256];
	static int slot;
	char exe[PATH_MAX], *slash, *out = buf[slot++ % 4];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		n = 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, sizeof(buf[0]), "%s/%.200s", exe, rel);
	return out;
}

static inline int tier_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* /sys/kernel/mm/tier_ext/<name>, without the trailing newline. */
static inline const char *tier_sysfs(const char *name)
{
	static char buf[4][1200];
	static int slot;
	char path[256], *out = buf[slot++ % 4];

	snprintf(path, sizeof(path), TIER_SYSFS "/%s", name);
	tier_read_file(path, out, sizeof(buf[0]));
	return out;
}

/* Counter @name of a vmstat file ("name value" lines); ~0 if absent. */
static inline unsigned long long tier_vmstat_file(const char *path,
						  const char *name)
{
	unsigned long long v, found = ~0ULL;
	char key[128];
	FILE *f = fopen(path, "r");

	if (!f)
		return ~0ULL;
	while (fscanf(f, "%127s %llu", key, &v) == 2) {
		if (!strcmp(key, name)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

static inline unsigned long long tier_vmstat(const char *name)
{
	return tier_vmstat_file("/proc/vmstat", name);
}

/* Counter @name of node @nid (/sys/devices/system/node/nodeN/vmstat). */
static inline unsigned long long tier_node_vmstat(int nid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/vmstat", nid);
	return tier_vmstat_file(path, name);
}

/* Write @text to a file (sysfs, debugfs) in one write; 0 or -errno. */
static inline int tier_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Write raw text to the injection file; returns 0 or -errno. */
static inline int tier_inject_raw(const char *text)
{
	return tier_write_file(TIER_INJECT, text);
}

/* Write @fmt (e.g. "+%d", "-%d") with @pid to the target set. */
static inline int tier_targets_write(const char *fmt, int pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, pid);
	return tier_write_file(TIER_SYSFS "/targets", buf);
}

static inline int tier_inject(int pid, unsigned long long vaddr, int nid,
			      unsigned int weight)
{
	char line[128];

	snprintf(line, sizeof(line), "%d 0x%llx %d %u\n", pid, vaddr, nid, weight);
	return tier_inject_raw(line);
}

static inline void tier_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to timeout_ms for sysfs state to read `state`. */
static inline bool tier_wait_state(const char *state, long timeout_ms)
{
	for (; timeout_ms > 0; timeout_ms -= 10) {
		if (!strcmp(tier_sysfs("state"), state))
			return true;
		tier_msleep(10);
	}
	return !strcmp(tier_sysfs("state"), state);
}

/*
 * The start of a test or fixture setup that attaches a policy: skip, with
 * the reason, without tier_ext (or, for the second, without a second NUMA
 * node to move pages to), then wait until no policy is attached (a
 * previous test's may still be leaving).
 */
#define TIER_FIXTURE_NEEDS_TIER_EXT()					\
	do {								\
		if (access(TIER_SYSFS, F_OK))				\
			SKIP(return, "kernel without tier_ext");	\
		ASSERT_TRUE(tier_wait_state("disabled", 2000));		\
	} while (0)

#define TIER_FIXTURE_NEEDS_TWO_NODES()					\
	do {								\
		if (access(TIER_SYSFS, F_OK))				\
			SKIP(return, "kernel without tier_ext");	\
		if (access("/sys/devices/system/node/node1", F_OK))	\
			SKIP(return, "needs two NUMA nodes");		\
		ASSERT_TRUE(tier_wait_state("disabled", 2000));		\
	} while (0)

/* A fixture's teardown: detach and destroy @link, close @p, if they exist. */
static inline void tier_test_release(struct bpf_link *link, struct tier_policy *p)
{
	if (link) {
		bpf_link__detach(link);
		bpf_link__destroy(link);
	}
	if (p->obj)
		tier_policy_close(p);
}

/*
 * Open a policy object (a path relative to the test binary), apply
 * "name=value" parameters (NULL-terminated) and load it.
 */
static inline int tier_test_load(struct tier_policy *p, const char *rel,
				 const char *const *params)
{
	char err[TIER_ERR_LEN];
	int ret;

	libbpf_set_print(quiet_libbpf);
	ret = tier_policy_open(p, tier_test_path(rel), err);
	if (ret) {
		fprintf(stderr, "# %s\n", err);
		return ret;
	}
	for (; params && *params; params++) {
		ret = tier_policy_set_param(p, *params, err);
		if (ret) {
			fprintf(stderr, "# %s\n", err);
			tier_policy_close(p);
			return ret;
		}
	}
	ret = bpf_object__load(p->obj);
	if (ret) {
		ret = -errno;
		tier_policy_close(p);
	}
	return ret;
}

/*
 * A snapshot of a global of a loaded policy (in .bss or .data), read from
 * the kernel's map. (libbpf 1.4 maps the kernel's copy only for skeletons.)
 */
static inline void *tier_test_var(struct tier_policy *p, const char *sec,
				  const char *name)
{
	static char snap[4][1 << 16];
	static int slot;
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	struct bpf_map *map = bpf_object__find_map_by_name(p->obj, sec);
	char *buf = snap[slot++ % 4];
	u32 zero = 0;
	int id, i;

	if (!map || !btf || bpf_map__value_size(map) > sizeof(snap[0]) ||
	    bpf_map_lookup_elem(bpf_map__fd(map), &zero, buf))
		return NULL;
	id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return buf + vs->offset;
	}
	return NULL;
}

#define TIER_BSS(p, type, name) (*(volatile type *)tier_test_var(p, ".bss", name))

/* Anonymous memory bound to a node, every page touched. */
static inline char *tier_alloc_on(size_t len, int nid)
{
	unsigned long mask = 1UL << nid;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	if (mbind(p, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0)) {
		munmap(p, len);
		return NULL;
	}
	for (size_t i = 0; i < len; i += TIER_PAGE)
		p[i] = (char)(i / TIER_PAGE);
	/* let migration pick other nodes later */
	mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
	return p;
}

/*
 * move_pages(2)'s status of each of the @n pages at @p: the node, or a
 * negative errno (-ENOENT: not populated). -1 for all if the call fails.
 */
static inline void tier_page_status(char *p, size_t n, int *status)
{
	void **pages = calloc(n, sizeof(*pages));
	size_t i;

	for (i = 0; pages && i < n; i++)
		pages[i] = p + i * TIER_PAGE;
	if (!pages || move_pages(0, n, pages, NULL, status, 0))
		memset(status, 0xff, n * sizeof(*status));
	free(pages);
}

/* How many of the pages of [p, p+len) are on each node (move_pages). */
static inline void tier_where(char *p, size_t len, long count[2])
{
	size_t n = len / TIER_PAGE, i;
	int *status = calloc(n, sizeof(*status));

	count[0] = count[1] = 0;
	if (!status)
		return;
	tier_page_status(p, n, status);
	for (i = 0; i < n; i++)
		if (status[i] == 0 || status[i] == 1)
			count[status[i]]++;
	free(status);
}

/* How many of the pages of [p, p+len) are on node @nid. */
static inline long tier_where_node(char *p, size_t len, int nid)
{
	size_t n = len / TIER_PAGE, i;
	int *status = calloc(n, sizeof(*status));
	long count = 0;

	if (!status)
		return -1;
	tier_page_status(p, n, status);
	for (i = 0; i < n; i++)
		count += status[i] == nid;
	free(status);
	return count;
}

static inline bool tier_pattern_ok(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += TIER_PAGE)
		if (p[i] != (char)(i / TIER_PAGE))
			return false;
	return true;
}

/*
 * Trace events through a tracefs instance of the test's own, so that the
 * tests leave the global trace buffer and its settings alone.
 */
#define TIER_TRACEFS	"/sys/kernel/tracing"

struct tier_trace {
	char dir[128];
};

/*
 * Create instance @name and enable @events ("system/event", NULL-ended).
 * Returns 0, or -errno (-ENOENT: the kernel has no such event).
 */
static inline int tier_trace_open(struct tier_trace *t, const char *name,
				  const char *const *events)
{
	char path[256];
	int ret;

	if (access(TIER_TRACEFS "/instances", F_OK) &&
	    mount("tracefs", TIER_TRACEFS, "tracefs", 0, NULL))
		return -errno;
	snprintf(t->dir, sizeof(t->dir), TIER_TRACEFS "/instances/%s", name);
	rmdir(t->dir);		/* a crashed run's */
	if (mkdir(t->dir, 0700))
		return -errno;
	snprintf(path, sizeof(path), "%s/buffer_size_kb", t->dir);
	tier_write_file(path, "4096");
	for (; *events; events++) {
		snprintf(path, sizeof(path), "%s/events/%s/enable", t->dir, *events);
		ret = tier_write_file(path, "1");
		if (ret) {
			rmdir(t->dir);
			return ret;
		}
	}
	return 0;
}

/* The instance's trace so far, as text to free(); NULL on error. */
static inline char *tier_trace_read(struct tier_trace *t)
{
	size_t len = 0, cap = 1 << 16;
	char path[256], *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", t->dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len > 1)
			continue;
		nbuf = realloc(buf, cap *= 2);
		if (!nbuf)
			goto fail;
		buf = nbuf;
	}
	if (n < 0)
		goto fail;
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static inline void tier_trace_close(struct tier_trace *t)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events/enable", t->dir);
	tier_write_file(path, "0");
	rmdir(t->dir);
}

/*
 * Over the lines of @text for @event that contain @filter (NULL: all),
 * the number of lines (@key NULL) or the sum of field "@key=N".
 */
static inline unsigned long long tier_trace_sum(const char *text,
						const char *event,
						const char *filter,
						const char *key)
{
	unsigned long long sum = 0;
	char tag[64], field[64];
	const char *line, *end, *f;

	snprintf(tag, sizeof(tag), " %s: ", event);
	snprintf(field, sizeof(field), " %s=", key ? key : "");
	for (line = text; *line; line = *end ? end + 1 : end) {
		char one[1024];
		size_t n;

		end = strchrnul(line, '\n');
		n = (size_t)(end - line) < sizeof(one) - 1 ? (size_t)(end - line)
							   : sizeof(one) - 1;
		memcpy(one, line, n);
		one[n] = '\0';
		if (one[0] == '#' || !strstr(one, tag) ||
		    (filter && !strstr(one, filter)))
			continue;
		if (!key) {
			sum++;
			continue;
		}
		/* the event's first field follows ": " rather than " " */
		f = strstr(strstr(one, tag) + strlen(tag) - 1, field);
		if (f)
			sum += strtoull(f + strlen(field), NULL, 0);
	}
	return sum;
}

#endif /* __TIER_TEST_H */
