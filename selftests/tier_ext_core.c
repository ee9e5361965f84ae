// SPDX-License-Identifier: GPL-2.0
/*
 * tier_ext core: attach and detach, sysfs state, topology kfuncs, sample
 * delivery, ticks, error exits and what the kernel must refuse.
 */
/* tier-test: vm */
#include "kselftest_harness.h"
#include "tier_test.h"

#define PROBE	"progs/probe.bpf.o"

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

FIXTURE(core) {
	struct tier_policy p;
	bool loaded;
	struct bpf_link *link;
	char watchdog_ms[16];	/* to restore, if a test changed it */
	bool targeted;		/* this process is a target */
};

FIXTURE_SETUP(core)
{
	memset(self, 0, sizeof(*self));
	if (access(TIER_SYSFS, F_OK))
		SKIP(return, "kernel without tier_ext");
	ASSERT_TRUE(tier_wait_state("disabled", 2000)) {
		TH_LOG("a policy is attached: %s", tier_sysfs("ops"));
	}
}

FIXTURE_TEARDOWN(core)
{
	if (self->watchdog_ms[0])
		tier_write_file(TIER_SYSFS "/watchdog_ms", self->watchdog_ms);
	if (self->targeted)
		tier_targets_write("-%d", getpid());
	if (self->link) {
		bpf_link__detach(self->link);
		bpf_link__destroy(self->link);
	}
	if (self->loaded)
		tier_policy_close(&self->p);
}

static int load_probe(struct __test_metadata *_metadata,
		      FIXTURE_DATA(core) *self, const char *const *params)
{
	int ret = tier_test_load(&self->p, PROBE, params);

	self->loaded = !ret;
	return ret;
}

#define PROBE_VAR(type, name) TIER_BSS(&self->p, type, name)

TEST_F(core, attach_detach)
{
	long seq = atol(tier_sysfs("enable_seq"));

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	EXPECT_STREQ("probe", tier_sysfs("ops"));
	EXPECT_EQ(seq + 1, atol(tier_sysfs("enable_seq")));
	EXPECT_EQ(1, PROBE_VAR(u64, "nr_inits"));

	ASSERT_EQ(0, bpf_link__detach(self->link));
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	EXPECT_STREQ("", tier_sysfs("ops"));
	EXPECT_STREQ("unreg", tier_sysfs("exit_kind"));
	EXPECT_STREQ("probe: detached from user space: detached",
		     tier_sysfs("exit_reason"));
	/* ops.exit() ran and saw why */
	EXPECT_EQ(64, PROBE_VAR(s32, "exit_kind"));
}

TEST_F(core, second_attach_is_refused)
{
	struct tier_policy other;
	struct bpf_link *link2;

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_test_load(&other, "../policies/static.bpf.o", NULL));
	link2 = bpf_map__attach_struct_ops(other.ops_map);
	EXPECT_EQ(NULL, link2);
	EXPECT_EQ(EBUSY, errno);
	bpf_link__destroy(link2);
	tier_policy_close(&other);
	EXPECT_STREQ("probe", tier_sysfs("ops"));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
}

/* Node 0 is the fast tier, node 1 the slow one, as tier-vm boots them. */
TEST_F(core, topology_kfuncs)
{
	char path[128], meminfo[4096], *line;
	unsigned long long total_kb;
	int nid;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);

	EXPECT_EQ(2, PROBE_VAR(u32, "nr_node_ids"));
	EXPECT_EQ(0, ((s32 *)tier_test_var(&self->p, ".bss", "node_tier"))[0]);
	EXPECT_EQ(1, ((s32 *)tier_test_var(&self->p, ".bss", "node_tier"))[1]);
	EXPECT_EQ(1, ((s32 *)tier_test_var(&self->p, ".bss", "demotion"))[0]);
	EXPECT_EQ(-1, ((s32 *)tier_test_var(&self->p, ".bss", "demotion"))[1]);
	for (nid = 0; nid < 2; nid++) {
		unsigned long long cap, fr;

		cap = ((u64 *)tier_test_var(&self->p, ".bss", "capacity"))[nid];
		fr = ((u64 *)tier_test_var(&self->p, ".bss", "free_pages"))[nid];
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/meminfo", nid);
		ASSERT_EQ(0, tier_read_file(path, meminfo, sizeof(meminfo)));
		line = strstr(meminfo, "MemTotal:");
		ASSERT_NE(NULL, line);
		ASSERT_EQ(1, sscanf(line, "MemTotal: %llu", &total_kb));
		/* managed pages are what the node's MemTotal counts */
		EXPECT_EQ(total_kb / 4, cap);
		EXPECT_GT(fr, 0);
		EXPECT_LE(fr, cap);
	}
}

/* The guest kernel's config has all three sources (guest.config). */
TEST_F(core, sources_are_listed)
{
	static const char *const want[] = { "inject", "perf", "numa" };
	char buf[256], *line, *save;
	unsigned int i, found = 0, lines = 0;

	ASSERT_EQ(0, tier_read_file(TIER_SYSFS "/sources", buf, sizeof(buf)));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lines++;
		for (i = 0; i < 3; i++)
			if (!strcmp(line, want[i]))
				found |= 1U << i;
	}
	EXPECT_EQ(3, lines);
	EXPECT_EQ(7, found) TH_LOG("sources: %s", tier_sysfs("sources"));
	/* read-only */
	EXPECT_EQ(-EACCES, tier_write_file(TIER_SYSFS "/sources", "perf\n"));
}

/*
 * The KUnit suites of kernel-patch 0033 ran at boot and passed: each
 * suite's results in debugfs end with "ok 1 SUITE" and hold no "not ok".
 */
TEST_F(core, kunit_suites_passed)
{
	static const struct { const char *suite; int cases; } want[] = {
		{ "tier_ext_migrate", 3 }, { "tier_ext_node", 1 },
		{ "tier_ext_targets", 1 },
	};
	char path[128], buf[4096], line[128];
	unsigned int i;

	if (access("/sys/kernel/debug/kunit", F_OK))
		SKIP(return, "kernel without KUnit debugfs (CONFIG_KUNIT_DEBUGFS)");
	for (i = 0; i < 3; i++) {
		int ok = 0;
		char *l, *save;

		snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results",
			 want[i].suite);
		ASSERT_EQ(0, tier_read_file(path, buf, sizeof(buf)))
			TH_LOG("%s: no results (CONFIG_TIER_EXT_KUNIT_TEST off?)", path);
		EXPECT_EQ(NULL, strstr(buf, "not ok")) TH_LOG("%s:\n%s", path, buf);
		snprintf(line, sizeof(line), "ok 1 %s", want[i].suite);
		EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("%s:\n%s", path, buf);
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			ok += !strncmp(skip_ws(l), "ok ", 3) && strstr(l, "tier_ext_test_");
		EXPECT_EQ(want[i].cases, ok) TH_LOG("%s: %d cases passed", want[i].suite, ok);
	}
}

TEST_F(core, samples_are_delivered)
{
	unsigned long long before = tier_vmstat("tier_ext_samples");
	unsigned long long unhandled = tier_vmstat("tier_ext_samples_unhandled");

	ASSERT_NE(~0ULL, before);
	/* without a policy, samples are counted as unhandled */
	ASSERT_EQ(0, tier_inject(getpid(), 0x1000, 0, 1));
	EXPECT_EQ(unhandled + 1, tier_vmstat("tier_ext_samples_unhandled"));
	EXPECT_EQ(before, tier_vmstat("tier_ext_samples"));

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_inject(1234, 0x7f0000001000ULL, 1, 77));
	EXPECT_EQ(1, PROBE_VAR(u64, "nr_samples"));
	EXPECT_EQ(0x7f0000001000ULL, PROBE_VAR(u64, "last_vaddr"));
	EXPECT_EQ(1234, PROBE_VAR(s32, "last_pid"));
	EXPECT_EQ(1, PROBE_VAR(s32, "last_nid"));
	EXPECT_EQ(77, PROBE_VAR(u32, "last_weight"));
	EXPECT_EQ(0, PROBE_VAR(u32, "last_source"));	/* TIER_SAMPLE_INJECT */
	EXPECT_NE(0, PROBE_VAR(u64, "last_time"));

	/* several per write, defaults for nid (-1) and weight (1) */
	ASSERT_EQ(0, tier_inject_raw("10 0x2000\n11 3000 0\n\n12 0x4000 -1 5\n"));
	EXPECT_EQ(4, PROBE_VAR(u64, "nr_samples"));
	EXPECT_EQ(12, PROBE_VAR(s32, "last_pid"));
	EXPECT_EQ(-1, PROBE_VAR(s32, "last_nid"));
	EXPECT_EQ(5, PROBE_VAR(u32, "last_weight"));
	EXPECT_EQ(before + 4, tier_vmstat("tier_ext_samples"));
}

TEST_F(core, bad_injection_delivers_nothing)
{
	static const char *const bad[] = {
		"garbage\n",
		"0 0x1000\n",			/* pid must be positive */
		"1\n",				/* no address */
		"1 0x1000 2\n",			/* node out of range */
		"1 0x1000 -2\n",
		"1 0x1000 0 1 extra\n",
		"1 0x1000\n1 zz\n",		/* second line bad: none delivered */
	};
	unsigned long long before;
	size_t i;

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	before = tier_vmstat("tier_ext_samples");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, tier_inject_raw(bad[i])) {
			TH_LOG("accepted bad input #%zu", i);
		}
	EXPECT_EQ(0, PROBE_VAR(u64, "nr_samples"));
	EXPECT_EQ(before, tier_vmstat("tier_ext_samples"));
}

TEST_F(core, ticks_run_periodically)
{
	unsigned long long ticks = tier_vmstat("tier_ext_ticks");
	int i;

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	for (i = 0; i < 500 && PROBE_VAR(u64, "nr_ticks") < 3; i++)
		tier_msleep(10);
	EXPECT_GE(PROBE_VAR(u64, "nr_ticks"), 3);
	EXPECT_GE(tier_vmstat("tier_ext_ticks"), ticks + 3);
	/* no ticks after detach */
	ASSERT_EQ(0, bpf_link__detach(self->link));
	ticks = PROBE_VAR(u64, "nr_ticks");
	tier_msleep(100);
	EXPECT_EQ(ticks, PROBE_VAR(u64, "nr_ticks"));
}

TEST_F(core, bpf_error_ejects_policy)
{
	const char *const params[] = { "error_vaddr=0xdead000", NULL };
	unsigned long long errors = tier_vmstat("tier_ext_policy_errors");
	unsigned long long samples;
	struct tier_policy again;
	struct bpf_link *link2;

	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_inject(1, 0x1000, 0, 1));
	ASSERT_EQ(0, tier_inject(1, 0xdead000, 0, 1));
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	EXPECT_STREQ("error_bpf", tier_sysfs("exit_kind"));
	EXPECT_STREQ("probe: policy called bpf_tier_error(): probe: sample at 0xdead000",
		     tier_sysfs("exit_reason"));
	EXPECT_EQ(1025, PROBE_VAR(s32, "exit_kind"));
	EXPECT_STREQ("probe: sample at 0xdead000",
		     (char *)tier_test_var(&self->p, ".bss", "exit_msg"));
	EXPECT_EQ(errors + 1, tier_vmstat("tier_ext_policy_errors"));

	/* it gets nothing more, and the system goes on */
	samples = PROBE_VAR(u64, "nr_samples");
	ASSERT_EQ(0, tier_inject(1, 0x1000, 0, 1));
	EXPECT_EQ(samples, PROBE_VAR(u64, "nr_samples"));
	ASSERT_EQ(0, tier_test_load(&again, PROBE, NULL));
	link2 = bpf_map__attach_struct_ops(again.ops_map);
	ASSERT_NE(NULL, link2);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	bpf_link__detach(link2);
	bpf_link__destroy(link2);
	tier_policy_close(&again);
	/* the ejected policy's link detaches cleanly */
	EXPECT_EQ(0, bpf_link__detach(self->link));
}

TEST_F(core, bad_node_ejects_policy)
{
	const char *const params[] = { "query_node=99", NULL };

	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	EXPECT_STREQ("error", tier_sysfs("exit_kind"));
	EXPECT_STREQ("probe: policy error detected by the kernel: invalid memory node 99",
		     tier_sysfs("exit_reason"));
	EXPECT_EQ(1024, PROBE_VAR(s32, "exit_kind"));
}

TEST_F(core, init_failure_refuses_attach)
{
	const char *const params[] = { "init_ret=-19", NULL };
	long seq = atol(tier_sysfs("enable_seq"));

	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	EXPECT_EQ(NULL, self->link);
	EXPECT_EQ(ENODEV, errno);
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	EXPECT_EQ(seq, atol(tier_sysfs("enable_seq")));
	EXPECT_STREQ("probe: policy error detected by the kernel: ops.init() failed (-19)",
		     tier_sysfs("exit_reason"));
	/* exit is not called for a policy that never attached */
	EXPECT_EQ(0, PROBE_VAR(s32, "exit_kind"));
}

/* Set a member of the policy's tier_ext_ops before load. */
static int set_ops_field(struct tier_policy *p, const char *field, u64 val)
{
	const struct btf *btf = bpf_object__btf(p->obj);
	const struct btf_type *t = btf__type_by_id(btf,
				bpf_map__btf_value_type_id(p->ops_map));
	const struct btf_member *m = btf_members(t);
	size_t size;
	char *data = bpf_map__initial_value(p->ops_map, &size);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), field))
			continue;
		if (btf__resolve_size(btf, m->type) == 8)
			*(u64 *)(data + btf_member_bit_offset(t, i) / 8) = val;
		else
			*(u32 *)(data + btf_member_bit_offset(t, i) / 8) = val;
		return 0;
	}
	return -ENOENT;
}

TEST_F(core, bad_ops_fields_are_rejected)
{
	static const struct {
		const char *field;
		u64 val;
		int err;
	} bad[] = {
		{ "flags", 1, EINVAL },
		{ "tick_ms", 60001, E2BIG },
	};
	char err[TIER_ERR_LEN];
	size_t i;

	libbpf_set_print(quiet_libbpf);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tier_policy p;
		struct bpf_link *link;

		ASSERT_EQ(0, tier_policy_open(&p, tier_test_path(PROBE), err));
		ASSERT_EQ(0, set_ops_field(&p, bad[i].field, bad[i].val));
		/* libbpf hands the ops to the kernel when attaching */
		ASSERT_EQ(0, bpf_object__load(p.obj));
		link = bpf_map__attach_struct_ops(p.ops_map);
		EXPECT_EQ(NULL, link) {
			TH_LOG("%s=%llu accepted", bad[i].field,
			       (unsigned long long)bad[i].val);
		}
		EXPECT_EQ(bad[i].err, errno);
		bpf_link__destroy(link);
		tier_policy_close(&p);
		EXPECT_STREQ("disabled", tier_sysfs("state"));
	}
}

TEST_F(core, verifier_rejects_bad_kfunc_use)
{
	struct tier_policy p;

	EXPECT_NE(0, tier_test_load(&p, "progs/bad_kfunc.bpf.o", NULL));
	EXPECT_STREQ("disabled", tier_sysfs("state"));
}

TEST_F(core, replace_through_link_update)
{
	unsigned long long swaps = tier_vmstat("tier_ext_swaps");
	const char *const params[] = { "init_ret=-22", NULL };
	struct tier_policy count, failing;

	ASSERT_EQ(0, load_probe(_metadata, self, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_test_load(&count, "../policies/count.bpf.o", NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, count.ops_map));
	EXPECT_STREQ("count", tier_sysfs("ops"));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	EXPECT_STREQ("swap", tier_sysfs("exit_kind"));
	EXPECT_STREQ("probe: replaced by another policy: replaced by \"count\"",
		     tier_sysfs("exit_reason"));
	EXPECT_EQ(67, PROBE_VAR(s32, "exit_kind"));
	EXPECT_EQ(swaps + 1, tier_vmstat("tier_ext_swaps"));

	/* a replacement whose init fails leaves the old policy in place */
	ASSERT_EQ(0, tier_test_load(&failing, PROBE, params));
	EXPECT_NE(0, bpf_link__update_map(self->link, failing.ops_map));
	EXPECT_STREQ("count", tier_sysfs("ops"));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	tier_policy_close(&failing);
	ASSERT_EQ(0, bpf_link__detach(self->link));
	tier_policy_close(&count);
}

/* Samples and the policy's life are traced (kernel-patch 0031). */
TEST_F(core, trace_events_report_samples_and_policies)
{
	static const char *const events[] = {
		"tier_ext/tier_ext_sample", "tier_ext/tier_ext_policy", NULL
	};
	const char *const params[] = { "error_vaddr=0xdead000", NULL };
	struct tier_policy count, probe2;
	struct tier_trace t;
	char *text;
	int ret;

	ret = tier_trace_open(&t, "tier_ext_core", events);
	ASSERT_EQ(0, ret) TH_LOG("tracefs: %s", strerror(-ret));
	/* no policy: not handled */
	ASSERT_EQ(0, tier_inject(4242, 0x1000, 0, 3));
	/* a policy takes one sample, errs on the next and is ejected */
	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_inject(4343, 0x2000, 1, 1));
	ASSERT_EQ(0, tier_inject(4343, 0xdead000, 0, 1));
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	/* the ejected link revives with another policy, which is swapped out */
	ASSERT_EQ(0, tier_test_load(&count, "../policies/count.bpf.o", NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, count.ops_map));
	ASSERT_EQ(0, tier_test_load(&probe2, PROBE, NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, probe2.ops_map));
	ASSERT_EQ(0, bpf_link__detach(self->link));
	tier_policy_close(&probe2);
	tier_policy_close(&count);
	text = tier_trace_read(&t);
	tier_trace_close(&t);
	ASSERT_NE(NULL, text);

	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_sample",
				    "source=inject pid=4242 vaddr=0x1000 nid=0 weight=3 handled=0", NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_sample",
				    "source=inject pid=4343 vaddr=0x2000 nid=1 weight=1 handled=1", NULL));
	EXPECT_EQ(3, tier_trace_sum(text, "tier_ext_sample", NULL, NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy", "policy=probe action=attach", NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy",
				    "policy=probe action=eject reason=\"probe: sample at 0xdead000\"",
				    NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy",
				    "policy=probe action=detach reason=\"error_bpf\"", NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy", "policy=count action=attach", NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy",
				    "policy=probe action=swap reason=\"count\"", NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_policy",
				    "policy=probe action=detach reason=\"unreg\"", NULL));
	EXPECT_EQ(6, tier_trace_sum(text, "tier_ext_policy", NULL, NULL));
	free(text);
}

TEST_F(core, update_revives_an_ejected_link)
{
	const char *const params[] = { "error_vaddr=0x5000", NULL };
	struct tier_policy count;

	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_inject(1, 0x5000, 0, 1));
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	ASSERT_EQ(0, tier_test_load(&count, "../policies/count.bpf.o", NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, count.ops_map));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	EXPECT_STREQ("count", tier_sysfs("ops"));
	ASSERT_EQ(0, bpf_link__detach(self->link));
	tier_policy_close(&count);
}

/*
 * Set the watchdog's bound (the fixture restores it) and attach a probe
 * whose first tick scans this process's whole address space 100,000
 * times, ignoring every error: for 64 MiB of resident memory that is
 * minutes of scanning, unless the kernel cuts the scans short. Returns
 * once the tick has begun.
 */
static void attach_stalled(struct __test_metadata *_metadata,
			   FIXTURE_DATA(core) *self, const char *watchdog_ms)
{
	static char *mem;
	char pid_param[32];
	const char *const params[] = { pid_param, "stall_scans=100000", NULL };
	long waited;
	int ret;

	strcpy(self->watchdog_ms, tier_sysfs("watchdog_ms"));
	ret = tier_write_file(TIER_SYSFS "/watchdog_ms", watchdog_ms);
	/* "0" (no watchdog) holds on a kernel without one too */
	if (!(ret == -ENOENT && !strcmp(watchdog_ms, "0")))
		ASSERT_EQ(0, ret);
	if (!mem) {
		mem = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, mem);
		memset(mem, 1, 64 << 20);
	}
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	self->targeted = true;
	snprintf(pid_param, sizeof(pid_param), "stall_pid=%d", getpid());
	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	for (waited = 0; waited < 10000 && !PROBE_VAR(u64, "stall_done"); waited += 10)
		tier_msleep(10);
	ASSERT_NE(0, PROBE_VAR(u64, "stall_done"));
}

/* The stalling tick was cut short: the kernel cancelled its scans. */
static void expect_cancelled(struct __test_metadata *_metadata,
			     FIXTURE_DATA(core) *self)
{
	u64 done = PROBE_VAR(u64, "stall_done");
	u64 cancelled = PROBE_VAR(u64, "stall_cancelled");

	TH_LOG("scans %llu, of them cancelled %llu",
	       (unsigned long long)done, (unsigned long long)cancelled);
	EXPECT_LT(0, cancelled);
	EXPECT_GT(100000, done - cancelled);
}

TEST_F(core, watchdog_bound_is_checked)
{
	strcpy(self->watchdog_ms, tier_sysfs("watchdog_ms"));
	EXPECT_STREQ("5000", self->watchdog_ms);
	EXPECT_EQ(-EINVAL, tier_write_file(TIER_SYSFS "/watchdog_ms", "soon"));
	EXPECT_EQ(-ERANGE, tier_write_file(TIER_SYSFS "/watchdog_ms", "600001"));
	EXPECT_STREQ("5000", tier_sysfs("watchdog_ms"));
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/watchdog_ms", "600000"));
	EXPECT_STREQ("600000", tier_sysfs("watchdog_ms"));
}

TEST_F(core, watchdog_ejects_a_stalled_tick)
{
	unsigned long long errors = tier_vmstat("tier_ext_policy_errors");

	attach_stalled(_metadata, self, "300");
	ASSERT_TRUE(tier_wait_state("disabled", 20000));
	EXPECT_STREQ("error_stall", tier_sysfs("exit_kind"));
	EXPECT_STREQ("probe: policy stalled the helper kthread: ops->tick() ran for more than 300 ms",
		     tier_sysfs("exit_reason"));
	EXPECT_EQ(1026, PROBE_VAR(s32, "exit_kind"));
	EXPECT_EQ(errors + 1, tier_vmstat("tier_ext_policy_errors"));
	expect_cancelled(_metadata, self);
	EXPECT_EQ(0, bpf_link__detach(self->link));
}

/* Without the watchdog, a detach still does not wait for the scans. */
TEST_F(core, detach_does_not_wait_for_a_stalled_tick)
{
	attach_stalled(_metadata, self, "0");
	tier_msleep(300);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	ASSERT_EQ(0, bpf_link__detach(self->link));
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	EXPECT_STREQ("unreg", tier_sysfs("exit_kind"));
	expect_cancelled(_metadata, self);
}

TEST_F(core, swap_does_not_wait_for_a_stalled_tick)
{
	struct tier_policy count;

	attach_stalled(_metadata, self, "0");
	ASSERT_EQ(0, tier_test_load(&count, "../policies/count.bpf.o", NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, count.ops_map));
	EXPECT_STREQ("count", tier_sysfs("ops"));
	EXPECT_STREQ("swap", tier_sysfs("exit_kind"));
	expect_cancelled(_metadata, self);
	ASSERT_EQ(0, bpf_link__detach(self->link));
	tier_policy_close(&count);
}

static void expect_turned_off(struct __test_metadata *_metadata,
			      FIXTURE_DATA(core) *self, const char *by,
			      unsigned long long errors)
{
	char reason[128];

	ASSERT_TRUE(tier_wait_state("disabled", 20000));
	snprintf(reason, sizeof(reason),
		 "probe: turned off by the administrator: %s", by);
	EXPECT_STREQ("off", tier_sysfs("exit_kind"));
	EXPECT_STREQ(reason, tier_sysfs("exit_reason"));
	EXPECT_EQ(65, PROBE_VAR(s32, "exit_kind"));
	/* not a policy error */
	EXPECT_EQ(errors, tier_vmstat("tier_ext_policy_errors"));
	expect_cancelled(_metadata, self);
	EXPECT_EQ(0, bpf_link__detach(self->link));
}

TEST_F(core, off_in_sysfs_ejects_a_stalled_policy)
{
	unsigned long long errors = tier_vmstat("tier_ext_policy_errors");

	attach_stalled(_metadata, self, "0");
	EXPECT_EQ(-EINVAL, tier_write_file(TIER_SYSFS "/state", "on"));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/state", "off"));
	expect_turned_off(_metadata, self, "sysfs", errors);
	/* with no policy, "off" changes nothing */
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/state", "off\n"));
	EXPECT_STREQ("off", tier_sysfs("exit_kind"));
}

TEST_F(core, sysrq_t_ejects_a_stalled_policy)
{
	unsigned long long errors = tier_vmstat("tier_ext_policy_errors");

	if (access("/proc/sysrq-trigger", W_OK))
		SKIP(return, "kernel without CONFIG_MAGIC_SYSRQ");
	attach_stalled(_metadata, self, "0");
	ASSERT_EQ(0, tier_write_file("/proc/sysrq-trigger", "T"));
	expect_turned_off(_metadata, self, "SysRq-T", errors);
}

/*
 * What a policy queues in ops.init() before failing, or in ops.exit(),
 * must not run after it. The probe moves 1 MiB of this process to node 1
 * in ops.init() and back to node 0 in ops.exit().
 */
static void attach_mover(struct __test_metadata *_metadata,
			 FIXTURE_DATA(core) *self, char **mem, int init_ret)
{
	char pid_param[32], start[48], end[48], ret[32];
	const char *const params[] = { pid_param, start, end, ret, NULL };

	*mem = tier_alloc_on(1 << 20, 0);
	ASSERT_NE(NULL, *mem);
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	self->targeted = true;
	snprintf(pid_param, sizeof(pid_param), "move_pid=%d", getpid());
	snprintf(start, sizeof(start), "move_start=%llu", (unsigned long long)*mem);
	snprintf(end, sizeof(end), "move_end=%llu",
		 (unsigned long long)*mem + (1 << 20));
	snprintf(ret, sizeof(ret), "init_ret=%d", init_ret);
	ASSERT_EQ(0, load_probe(_metadata, self, params));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
}

TEST_F(core, requests_of_a_failed_init_are_dropped)
{
	unsigned long long dropped = tier_vmstat("tier_ext_migrate_dropped");
	char *mem;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	attach_mover(_metadata, self, &mem, -19);
	EXPECT_EQ(NULL, self->link);
	EXPECT_LT(0, PROBE_VAR(long long, "init_move_ret"));
	EXPECT_EQ(dropped + 1, tier_vmstat("tier_ext_migrate_dropped"));
	tier_msleep(500);
	EXPECT_EQ(256, tier_where_node(mem, 1 << 20, 0));
}

TEST_F(core, exit_cannot_queue_requests)
{
	char *mem;

	if (access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "needs two NUMA nodes");
	attach_mover(_metadata, self, &mem, 0);
	ASSERT_NE(NULL, self->link);
	/* init's request ran: the probe is current */
	for (int i = 0; i < 500 && tier_where_node(mem, 1 << 20, 1) < 256; i++)
		tier_msleep(10);
	EXPECT_EQ(256, tier_where_node(mem, 1 << 20, 1));
	/* exit's request back to node 0 is refused, and nothing moves */
	ASSERT_EQ(0, bpf_link__detach(self->link));
	EXPECT_EQ(-ECANCELED, PROBE_VAR(long long, "exit_move_ret"));
	tier_msleep(500);
	EXPECT_EQ(256, tier_where_node(mem, 1 << 20, 1));
}

TEST_HARNESS_MAIN
