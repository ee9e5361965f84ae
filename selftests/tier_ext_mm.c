// SPDX-License-Identifier: GPL-2.0
/*
 * tier_ext mechanisms: target processes, page-table scans and the
 * migration engine, driven through the mm_probe test policy and checked
 * with move_pages(2).
 */
/* tier-test: vm */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define MM_PROBE	"progs/mm_probe.bpf.o"
#define PAGE		4096UL
#define MiB		(1UL << 20)

/* User-space copies of the kernel's and mm_probe's structures. */
struct range_scan {
	u64 pages[4];
	u64 young;
	u64 present;
};

struct migrate_args {
	u64 start, end, cold_start, cold_end;
	s32 nid, cold_nid;
	u32 max_pages, flags;
};

enum { CMD_SCAN = 1, CMD_MIGRATE = 2, CMD_MIGRATE_PAGES = 3, CMD_ROOM = 4,
       CMD_SCAN_BLOCKS = 5 };
enum { SCAN_CLEAR_YOUNG = 1, SCAN_MOVABLE = 2 };
enum { MIGRATE_EXCHANGE = 1, MIGRATE_TX = 2, MIGRATE_SHADOW = 4 };

struct block {
	uint16_t young, present, pages[4];
};

struct cmd {
	u64 seq;
	u32 op, flags;
	s32 pid, pad;
	u64 start, end;
	struct migrate_args margs;
	u64 pages[8];
	u32 nr_pages;
	s32 nid;
};

struct result {
	u64 seq;
	int64_t ret;
	struct range_scan scan;
	struct block blocks[8];
};

FIXTURE(mm) {
	struct tier_policy p;
	struct bpf_link *link;
	u64 seq;
	bool target;
};

FIXTURE_SETUP(mm)
{
	memset(self, 0, sizeof(*self));
	TIER_FIXTURE_NEEDS_TWO_NODES();
	ASSERT_EQ(0, tier_test_load(&self->p, MM_PROBE, NULL));
	self->link = bpf_map__attach_struct_ops(self->p.ops_map);
	ASSERT_NE(NULL, self->link);
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	self->target = true;
}

FIXTURE_TEARDOWN(mm)
{
	if (self->target)
		tier_targets_write("-%d", getpid());
	tier_test_release(self->link, &self->p);
}

/* Have the policy's next tick run a command; return its result. */
static struct result run_cmd(FIXTURE_DATA(mm) *self, struct cmd c)
{
	int cfd = bpf_map__fd(bpf_object__find_map_by_name(self->p.obj, "cmd"));
	int rfd = bpf_map__fd(bpf_object__find_map_by_name(self->p.obj, "result"));
	struct result r = { .ret = -ETIMEDOUT };
	u32 zero = 0;
	int i;

	c.seq = ++self->seq;
	if (bpf_map_update_elem(cfd, &zero, &c, 0))
		return r;
	for (i = 0; i < 1000; i++) {
		if (!bpf_map_lookup_elem(rfd, &zero, &r) && r.seq == c.seq)
			return r;
		tier_msleep(10);
	}
	r.ret = -ETIMEDOUT;
	return r;
}

static struct result scan(FIXTURE_DATA(mm) *self, void *start, size_t len,
			  u32 flags)
{
	struct cmd c = { .op = CMD_SCAN, .pid = getpid(), .flags = flags,
			 .start = (u64)start, .end = (u64)start + len };

	return run_cmd(self, c);
}

/* bpf_tier_range_scan_blocks() over @nr 2 MiB blocks from @start. */
static struct result scan_blocks(FIXTURE_DATA(mm) *self, void *start,
				 unsigned int nr, u32 flags)
{
	struct cmd c = { .op = CMD_SCAN_BLOCKS, .pid = getpid(), .flags = flags,
			 .start = (u64)start, .nr_pages = nr };

	return run_cmd(self, c);
}

/* Wait up to @ms for request @id's migrate_done; pages moved or -ETIMEDOUT. */
static long wait_done(FIXTURE_DATA(mm) *self, u64 id, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (TIER_BSS(&self->p, u64, "done_id") == id)
			return TIER_BSS(&self->p, u32, "done_moved");
		tier_msleep(10);
	}
	return -ETIMEDOUT;
}

/* Queue a migration and wait for its migrate_done; returns pages moved. */
static long migrate(FIXTURE_DATA(mm) *self, struct migrate_args a)
{
	struct cmd c = { .op = CMD_MIGRATE, .pid = getpid(), .margs = a };
	struct result r = run_cmd(self, c);

	if (r.ret <= 0)
		return r.ret ? r.ret : -EIO;
	return wait_done(self, r.ret, 30000);
}

TEST_F(mm, targets_lifecycle)
{
	struct tier_policy second;
	char list[256];
	s32 *ev;
	pid_t child;
	int i, status;

	EXPECT_EQ(1, TIER_BSS(&self->p, u32, "nr_target_events"));
	ev = tier_test_var(&self->p, ".bss", "target_events");
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(getpid(), ev[0]);
	snprintf(list, sizeof(list), "%d", getpid());
	EXPECT_STREQ(list, tier_sysfs("targets"));

	EXPECT_EQ(-EEXIST, tier_targets_write("%d", getpid()));
	EXPECT_EQ(-ESRCH, tier_targets_write("%d", 999999));
	EXPECT_EQ(-ENOENT, tier_targets_write("-%d", 999999));
	EXPECT_EQ(-EINVAL, tier_targets_write("x%d", 1));
	EXPECT_EQ(-EINVAL, tier_targets_write("%d", 0));

	/* a target that exits is removed by the kernel */
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		tier_msleep(300);
		_exit(0);
	}
	ASSERT_EQ(0, tier_targets_write("+%d", child));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	for (i = 0; i < 300 && TIER_BSS(&self->p, u32, "nr_target_events") < 3; i++)
		tier_msleep(10);
	ASSERT_EQ(3, TIER_BSS(&self->p, u32, "nr_target_events"));
	ev = tier_test_var(&self->p, ".bss", "target_events");
	EXPECT_EQ(child, ev[1]);
	EXPECT_EQ(-child, ev[2]);
	EXPECT_STREQ(list, tier_sysfs("targets"));

	/* removal tells the policy; a new policy learns existing targets */
	ASSERT_EQ(0, tier_targets_write("-%d", getpid()));
	ev = tier_test_var(&self->p, ".bss", "target_events");
	EXPECT_EQ(-getpid(), ev[3]);
	ASSERT_EQ(0, tier_targets_write("%d", getpid()));
	ASSERT_EQ(0, tier_test_load(&second, MM_PROBE, NULL));
	ASSERT_EQ(0, bpf_link__update_map(self->link, second.ops_map));
	EXPECT_EQ(1, TIER_BSS(&second, u32, "nr_target_events"));
	EXPECT_EQ(getpid(), TIER_BSS(&second, s32, "target_events"));
	bpf_link__detach(self->link);
	tier_policy_close(&second);
}

TEST_F(mm, scan_counts_nodes_and_accesses)
{
	size_t len = 8 * MiB;
	char *slow = tier_alloc_on(len, 1), *fast = tier_alloc_on(len, 0);
	struct result r;

	ASSERT_NE(NULL, slow);
	ASSERT_NE(NULL, fast);
	r = scan(self, slow, len, 0);
	ASSERT_EQ(len / PAGE, r.ret);
	EXPECT_EQ(len / PAGE, r.scan.pages[1]);
	EXPECT_EQ(0, r.scan.pages[0]);
	EXPECT_EQ(len / PAGE, r.scan.present);
	r = scan(self, fast, len, 0);
	EXPECT_EQ(len / PAGE, r.scan.pages[0]);

	/* accessed bits: all set after touching, none right after clearing */
	r = scan(self, slow, len, SCAN_CLEAR_YOUNG);
	EXPECT_EQ(len / PAGE, r.scan.young);
	r = scan(self, slow, len, SCAN_CLEAR_YOUNG);
	EXPECT_EQ(0, r.scan.young);
	for (size_t i = 0; i < len / 2; i += PAGE)
		((volatile char *)slow)[i];
	r = scan(self, slow, len, 0);
	EXPECT_EQ(len / 2 / PAGE, r.scan.young);

	/* untouched and unmapped ranges have nothing resident */
	munmap(fast, len);
	r = scan(self, fast, len, 0);
	EXPECT_EQ(0, r.ret);
	munmap(slow, len);
}

TEST_F(mm, scan_blocks_counts_each_2mib_block)
{
	struct cmd other = { .op = CMD_SCAN_BLOCKS, .pid = 1, .nr_pages = 1 };
	size_t len = 8 * MiB, half = len / 2;
	unsigned long slow = 2, fast = 1;
	char *map, *p;
	struct result r;
	int b;

	/* 8 MiB on a 2 MiB boundary, nothing mapped in the 2 MiB after it */
	map = mmap(NULL, len + 4 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	p = (char *)(((unsigned long)map + 2 * MiB - 1) & ~(2 * MiB - 1));
	ASSERT_EQ(0, munmap(p + len, 2 * MiB));
	madvise(p, len, MADV_NOHUGEPAGE);
	ASSERT_EQ(0, mbind(p, half, MPOL_BIND, &slow, 64, 0));
	ASSERT_EQ(0, mbind(p + half, half, MPOL_BIND, &fast, 64, 0));
	memset(p, 1, len);

	r = scan_blocks(self, p, 5, SCAN_CLEAR_YOUNG);
	ASSERT_EQ(5, r.ret);
	for (b = 0; b < 4; b++) {
		EXPECT_EQ(512, r.blocks[b].present);
		EXPECT_EQ(512, r.blocks[b].young);
		EXPECT_EQ(512, r.blocks[b].pages[b < 2 ? 1 : 0]);
		EXPECT_EQ(0, r.blocks[b].pages[b < 2 ? 0 : 1]);
	}
	EXPECT_EQ(0, r.blocks[4].present);		/* unmapped */

	/* each walk counts what was accessed since the one before */
	r = scan_blocks(self, p, 4, SCAN_CLEAR_YOUNG);
	for (b = 0; b < 4; b++)
		EXPECT_EQ(0, r.blocks[b].young);
	for (size_t i = 0; i < MiB; i += PAGE)
		((volatile char *)p)[i];
	for (size_t i = 0; i < 2 * MiB; i += PAGE)
		((volatile char *)p)[4 * MiB + i];
	r = scan_blocks(self, p, 4, SCAN_CLEAR_YOUNG);
	EXPECT_EQ(256, r.blocks[0].young);
	EXPECT_EQ(0, r.blocks[1].young);
	EXPECT_EQ(512, r.blocks[2].young);
	EXPECT_EQ(0, r.blocks[3].young);
	/* without clearing, the bits stay */
	((volatile char *)p)[6 * MiB];
	r = scan_blocks(self, p, 4, 0);
	EXPECT_EQ(1, r.blocks[3].young);
	r = scan_blocks(self, p, 4, 0);
	EXPECT_EQ(1, r.blocks[3].young);

	EXPECT_EQ(-EINVAL, scan_blocks(self, p + PAGE, 1, 0).ret);	/* unaligned */
	EXPECT_EQ(-EINVAL, scan_blocks(self, p, 1, 0x80).ret);	/* unknown flag */
	EXPECT_EQ(-EINVAL, scan_blocks(self, (void *)(1UL << 63), 1, 0).ret);
	other.start = (u64)p;
	EXPECT_EQ(-ESRCH, run_cmd(self, other).ret);	/* not a target */
	munmap(map, len + 4 * MiB);
}

TEST_F(mm, scan_and_migrate_reject_bad_arguments)
{
	struct cmd c = { .op = CMD_SCAN, .pid = getpid(), .start = 0x1001, .end = 0x5000 };
	struct migrate_args a = { .start = 0x1000, .end = 0x2000, .nid = 0 };

	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);	/* unaligned */
	c.start = 0x5000;
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);	/* empty */
	c.start = 0x1000;
	c.flags = 0x80;
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);	/* unknown flag */
	c.flags = 0;
	c.end = 1ULL << 63;
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);	/* beyond user space */
	c.start = 0x10000;
	c.end = 0x20000;
	EXPECT_EQ(0, run_cmd(self, c).ret);		/* not mapped: nothing */
	c.pid = 1;
	EXPECT_EQ(-ESRCH, run_cmd(self, c).ret);	/* not a target */
	c.pid = -5;
	EXPECT_EQ(-ESRCH, run_cmd(self, c).ret);	/* not a pid */

	a.end = ~0ULL & ~4095ULL;
	EXPECT_EQ(-EINVAL, migrate(self, a));		/* beyond user space */
	a.start = 0x1001;
	a.end = 0x2000;
	EXPECT_EQ(-EINVAL, migrate(self, a));		/* unaligned */
	a.start = 0x10000;
	a.end = 0x20000;
	EXPECT_EQ(0, migrate(self, a));			/* not mapped: nothing */
	a.start = 0x1000;
	a.end = 0x2000;
	a.flags = 0x80;
	EXPECT_EQ(-EINVAL, migrate(self, a));
	a.flags = MIGRATE_EXCHANGE;			/* no cold range */
	EXPECT_EQ(-EINVAL, migrate(self, a));
	a.flags = 0;
	a.max_pages = 1 << 19;
	EXPECT_EQ(-EINVAL, migrate(self, a));
	EXPECT_STREQ("enabled", tier_sysfs("state"));

	/* a node without memory is a policy bug: ejected */
	a.max_pages = 0;
	a.nid = 7;
	EXPECT_EQ(-EINVAL, migrate(self, a));
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	EXPECT_STREQ("mm_probe: policy error detected by the kernel: invalid memory node 7",
		     tier_sysfs("exit_reason"));
}

TEST_F(mm, migrate_moves_exactly_the_range)
{
	size_t len = 16 * MiB;
	char *p = tier_alloc_on(len, 1);
	unsigned long long promoted = tier_vmstat("tier_ext_pages_promoted");
	unsigned long long demoted = tier_vmstat("tier_ext_pages_demoted");
	struct migrate_args a = { .nid = 0, .max_pages = 4096 };
	unsigned long long full;
	long n[2];

	ASSERT_NE(NULL, p);
	tier_where(p, len, n);
	ASSERT_EQ(len / PAGE, n[1]);

	/* the middle 4 MiB only */
	a.start = (u64)p + 6 * MiB;
	a.end = a.start + 4 * MiB;
	EXPECT_EQ(1024, migrate(self, a));
	tier_where(p + 6 * MiB, 4 * MiB, n);
	EXPECT_EQ(1024, n[0]);
	tier_where(p, 6 * MiB, n);
	EXPECT_EQ(6 * MiB / PAGE, n[1]);
	tier_where(p + 10 * MiB, 6 * MiB, n);
	EXPECT_EQ(6 * MiB / PAGE, n[1]);
	EXPECT_EQ(promoted + 1024, tier_vmstat("tier_ext_pages_promoted"));

	/* max_pages bounds a request, counted as a walk cut short */
	a.start = (u64)p;
	a.end = (u64)p + len;
	a.max_pages = 100;
	full = tier_vmstat("tier_ext_migrate_batch_full");
	EXPECT_EQ(100, migrate(self, a));
	EXPECT_EQ(full + 1, tier_vmstat("tier_ext_migrate_batch_full"));
	/* and back down */
	a.nid = 1;
	a.max_pages = 4096;
	EXPECT_EQ(1124, migrate(self, a));
	tier_where(p, len, n);
	EXPECT_EQ(len / PAGE, n[1]);
	EXPECT_EQ(demoted + 1124, tier_vmstat("tier_ext_pages_demoted"));
	EXPECT_TRUE(tier_pattern_ok(p, len));
	munmap(p, len);
}

/*
 * With two nodes in the top tier (tier-vm --fast-nodes 2, as two DRAM
 * sockets), a promotion to one of them moves only the range's slow pages:
 * those on the other fast node stay (kernel-patch 0026). A demotion takes
 * the pages of both fast nodes.
 */
TEST_F(mm, migrate_moves_between_tiers_only)
{
	int cls[MEMTIER_MAX_NODES], fast0 = -1, fast1 = -1, slow = -1, i;
	size_t len = 8 * MiB, half = len / 2;
	struct migrate_args a = { .max_pages = 4096 };
	unsigned long m_slow, m_fast1;
	char *p;

	memtier_classes(cls, MEMTIER_MAX_NODES);
	for (i = 0; i < MEMTIER_MAX_NODES; i++) {
		if (cls[i] == 1 && fast0 < 0)
			fast0 = i;
		else if (cls[i] == 1 && fast1 < 0)
			fast1 = i;
		else if (cls[i] == 0 && slow < 0)
			slow = i;
	}
	if (fast1 < 0 || slow < 0)
		SKIP(return, "needs two nodes in the top tier (tier-vm --fast-nodes 2)");
	/* one range: its first half on the slow node, the rest on fast1 */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	madvise(p, len, MADV_NOHUGEPAGE);
	m_slow = 1UL << slow;
	m_fast1 = 1UL << fast1;
	ASSERT_EQ(0, mbind(p, half, MPOL_BIND, &m_slow, 64, 0));
	ASSERT_EQ(0, mbind(p + half, half, MPOL_BIND, &m_fast1, 64, 0));
	for (i = 0; i < (int)(len / PAGE); i++)
		p[(size_t)i * PAGE] = (char)i;
	mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
	ASSERT_EQ(half / PAGE, tier_where_node(p, half, slow));
	ASSERT_EQ(half / PAGE, tier_where_node(p + half, half, fast1));

	/* promotion to the first fast node: the slow half only */
	a.start = (u64)p;
	a.end = (u64)p + len;
	a.nid = fast0;
	EXPECT_EQ(half / PAGE, migrate(self, a));
	EXPECT_EQ(half / PAGE, tier_where_node(p, half, fast0));
	EXPECT_EQ(half / PAGE, tier_where_node(p + half, half, fast1));
	/* nothing left to promote */
	EXPECT_EQ(0, migrate(self, a));
	/* demotion: both fast nodes' pages */
	a.nid = slow;
	EXPECT_EQ(len / PAGE, migrate(self, a));
	EXPECT_EQ(len / PAGE, tier_where_node(p, len, slow));
	EXPECT_TRUE(tier_pattern_ok(p, len));
	munmap(p, len);
}

struct writer {
	unsigned long *mem;
	size_t words;
	atomic_bool stop;
	atomic_ulong rounds;
	atomic_bool corrupt;
};

static void *write_and_check(void *arg)
{
	struct writer *w = arg;
	unsigned long round;
	size_t i;

	for (round = 1; !atomic_load(&w->stop); round++) {
		for (i = 0; i < w->words; i += 64)
			w->mem[i] = i ^ round;
		for (i = 0; i < w->words; i += 64)
			if (w->mem[i] != (i ^ round))
				atomic_store(&w->corrupt, true);
		atomic_store(&w->rounds, round);
	}
	return NULL;
}

TEST_F(mm, migration_races_with_writes)
{
	size_t len = 8 * MiB;
	char *p = tier_alloc_on(len, 1);
	struct writer w = { .mem = (unsigned long *)p, .words = len / 8 };
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .max_pages = 4096 };
	unsigned long long moved = 0;
	pthread_t th;
	int i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pthread_create(&th, NULL, write_and_check, &w));
	for (i = 0; i < 10; i++) {
		long m;

		a.nid = i % 2 ? 1 : 0;
		m = migrate(self, a);
		ASSERT_LE(0, m);
		moved += m;
	}
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	EXPECT_FALSE(atomic_load(&w.corrupt));
	EXPECT_LT(0, atomic_load(&w.rounds));
	EXPECT_LT(0, moved);
	TH_LOG("10 migrations of 8 MiB under writes: %llu pages moved, %lu write rounds",
	       moved, atomic_load(&w.rounds));
	munmap(p, len);
}

TEST_F(mm, exchange_promotes_into_free_room)
{
	size_t len = 4 * MiB;
	char *hot = tier_alloc_on(len, 1), *cold = tier_alloc_on(len, 0);
	unsigned long long exchanged = tier_vmstat("tier_ext_pages_exchanged");
	struct migrate_args a = { .start = (u64)hot, .end = (u64)hot + len,
				  .cold_start = (u64)cold, .cold_end = (u64)cold + len,
				  .nid = 0, .cold_nid = 1, .max_pages = 1024,
				  .flags = MIGRATE_EXCHANGE };
	long n[2];

	ASSERT_NE(NULL, hot);
	ASSERT_NE(NULL, cold);
	/* the fast node has room: promotion only, the cold range stays */
	EXPECT_EQ(1024, migrate(self, a));
	tier_where(hot, len, n);
	EXPECT_EQ(1024, n[0]);
	tier_where(cold, len, n);
	EXPECT_EQ(1024, n[0]);
	EXPECT_EQ(exchanged, tier_vmstat("tier_ext_pages_exchanged"));
	EXPECT_TRUE(tier_pattern_ok(hot, len));
	munmap(hot, len);
	munmap(cold, len);
}

static long node_free_kb(int nid)
{
	char path[128], buf[4096], *s;
	long kb = -1;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", nid);
	if (tier_read_file(path, buf, sizeof(buf)))
		return -1;
	s = strstr(buf, "MemFree:");
	if (s)
		sscanf(s, "MemFree: %ld", &kb);
	return kb;
}

TEST_F(mm, exchange_balances_when_fast_is_full)
{
	size_t len = 8 * MiB, fill;
	char *hot = tier_alloc_on(len, 1), *cold = tier_alloc_on(len, 0), *ballast;
	unsigned long long exchanged = tier_vmstat("tier_ext_pages_exchanged");
	struct migrate_args a = { .start = (u64)hot, .end = (u64)hot + len,
				  .cold_start = (u64)cold, .cold_end = (u64)cold + len,
				  .nid = 0, .cold_nid = 1, .max_pages = 2048,
				  .flags = MIGRATE_EXCHANGE };
	long n[2], before0, moved;

	ASSERT_NE(NULL, hot);
	ASSERT_NE(NULL, cold);
	/* fill the fast node until about 10 MiB are free */
	fill = (size_t)node_free_kb(0) * 1024 - 10 * MiB;
	ballast = tier_alloc_on(fill, 0);
	ASSERT_NE(NULL, ballast);
	before0 = node_free_kb(0);

	moved = migrate(self, a);
	tier_where(hot, len, n);
	TH_LOG("exchange: moved %ld pages, hot range now %ld fast / %ld slow",
	       moved, n[0], n[1]);
	EXPECT_EQ(2048, n[0]);		/* every hot page promoted */
	tier_where(cold, len, n);
	EXPECT_LE(512, n[1]);		/* room was made by demotion */
	EXPECT_LT(exchanged, tier_vmstat("tier_ext_pages_exchanged"));
	/* the fast node's usage stayed level (within the 1/64 margin) */
	EXPECT_LT(labs(node_free_kb(0) - before0), 16 * 1024);
	EXPECT_TRUE(tier_pattern_ok(hot, len));
	EXPECT_TRUE(tier_pattern_ok(cold, len));
	munmap(ballast, fill);
	munmap(hot, len);
	munmap(cold, len);
}

TEST_F(mm, unmapped_range_during_migration)
{
	size_t len = 32 * MiB;
	char *p = tier_alloc_on(len, 1);
	struct cmd c = { .op = CMD_MIGRATE, .pid = getpid(),
			 .margs = { .start = (u64)p, .end = (u64)p + len,
				    .nid = 0, .max_pages = 8192 } };
	struct result r;

	ASSERT_NE(NULL, p);
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	munmap(p, len);
	EXPECT_LE(0, wait_done(self, r.ret, 30000));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
}

TEST_F(mm, shared_and_mlocked_pages_stay)
{
	size_t len = 2 * MiB;
	unsigned long mask = 2;
	char *shared = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *locked = tier_alloc_on(len, 1);
	unsigned long long fail = tier_vmstat("tier_ext_migrate_fail_isolate");
	unsigned long long fail_shared = tier_vmstat("tier_ext_isolate_shared");
	unsigned long long fail_mlocked = tier_vmstat("tier_ext_isolate_mlocked");
	struct migrate_args a = { .nid = 0, .max_pages = 512 };
	int sync[2], status;
	long n[2];
	pid_t child;

	ASSERT_NE(MAP_FAILED, shared);
	ASSERT_NE(NULL, locked);
	madvise(shared, len, MADV_NOHUGEPAGE);
	ASSERT_EQ(0, mbind(shared, len, MPOL_BIND, &mask, 64, 0));
	memset(shared, 1, len);
	/* locked before the fork, and not inherited: only mlock keeps it */
	ASSERT_EQ(0, madvise(locked, len, MADV_DONTFORK));
	ASSERT_EQ(0, mlock(locked, len));
	/* a child shares the (copy-on-write) pages until told to go */
	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char c;

		close(sync[1]);
		read(sync[0], &c, 1);
		_exit(shared[0] == 1 ? 0 : 1);
	}
	close(sync[0]);
	a.start = (u64)shared;
	a.end = (u64)shared + len;
	EXPECT_EQ(0, migrate(self, a));
	tier_where(shared, len, n);
	EXPECT_EQ(len / PAGE, n[1]);
	/* a scan for movable pages does not count what a request would refuse */
	EXPECT_EQ(len / PAGE, scan(self, shared, len, 0).ret);
	EXPECT_EQ(0, scan(self, shared, len, SCAN_MOVABLE).ret);

	a.start = (u64)locked;
	a.end = (u64)locked + len;
	EXPECT_EQ(0, migrate(self, a));
	tier_where(locked, len, n);
	EXPECT_EQ(len / PAGE, n[1]);
	EXPECT_EQ(0, scan(self, locked, len, SCAN_MOVABLE).ret);
	EXPECT_EQ(fail + 2 * len / PAGE, tier_vmstat("tier_ext_migrate_fail_isolate"));
	/* and each refusal under its reason */
	EXPECT_EQ(fail_shared + len / PAGE, tier_vmstat("tier_ext_isolate_shared"));
	EXPECT_EQ(fail_mlocked + len / PAGE, tier_vmstat("tier_ext_isolate_mlocked"));

	close(sync[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	munlock(locked, len);
	munmap(locked, len);
	munmap(shared, len);
}

/*
 * A MAP_SHARED anonymous region of 1024 pages on node 1 whose pages 0-767
 * hold their index, starting @skew pages past a 2 MiB boundary.
 */
static char *shared_region(size_t skew)
{
	size_t len = 1024 * PAGE, span = len + 2 * MiB + skew * PAGE, i;
	unsigned long mask = 2;
	char *m = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p;

	if (m == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)m + 2 * MiB - 1) & ~(2 * MiB - 1)) + skew * PAGE;
	if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != p)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	if (mbind(p, len, MPOL_BIND, &mask, 64, 0))
		return NULL;
	for (i = 0; i < 768; i++)
		p[i * PAGE] = (char)i;
	mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
	return p;
}

/*
 * Issue 20 (after a numactl report on move_pages(2) status for shared
 * memory): MAP_SHARED anonymous regions of 1024 pages on node 1, pages
 * 0-511 mapped here only, 512-767 also by a child, 768-1023 never touched.
 * One request moves exactly what move_pages(2) without MPOL_MF_MOVE_ALL
 * moves. Aligned, that is the 512 pages mapped once; the 256 shared ones
 * fail, counted as shared. Skewed by 6 pages, the child's fault-around
 * (16 pages, aligned) also maps pages 502-511: move_pages(2) refuses them
 * too, and a twin region moved by move_pages(2) is the reference.
 */
TEST_F(mm, shared_memory_moves_as_move_pages_does)
{
	unsigned long long shared0 = tier_vmstat("tier_ext_isolate_shared");
	unsigned long long fail0 = tier_vmstat("tier_ext_migrate_fail_isolate");
	unsigned long long full0 = tier_vmstat("tier_ext_migrate_batch_full");
	unsigned long long mig0 = tier_vmstat("tier_ext_migrate_fail_migrate");
	struct migrate_args a = { .nid = 0, .max_pages = 4096 };
	char *p = shared_region(0), *q = shared_region(6), *r = shared_region(6);
	int ready[2], go[2], st[1024], ref[1024], nodes[1024], st_, want, bad = 0;
	void *pages[1024];
	long moved, failed;
	pid_t child;
	size_t i;
	char c;

	ASSERT_TRUE(p && q && r);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		int sum = 0;

		/* a shared mapping's pages are mapped in the child on fault */
		for (i = 512; i < 768; i++)
			sum += (p[i * PAGE] == (char)i) + (q[i * PAGE] == (char)i) +
			       (r[i * PAGE] == (char)i);
		write(ready[1], "r", 1);
		read(go[0], &c, 1);
		_exit(sum == 3 * 256 ? 0 : 1);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));

	a.start = (u64)p;
	a.end = (u64)p + 1024 * PAGE;
	EXPECT_EQ(512, migrate(self, a));
	EXPECT_EQ(256, TIER_BSS(&self->p, u32, "done_failed"));
	/* refused as shared, and for nothing else */
	EXPECT_EQ(shared0 + 256, tier_vmstat("tier_ext_isolate_shared"));
	EXPECT_EQ(fail0 + 256, tier_vmstat("tier_ext_migrate_fail_isolate"));
	EXPECT_EQ(full0, tier_vmstat("tier_ext_migrate_batch_full"));
	EXPECT_EQ(mig0, tier_vmstat("tier_ext_migrate_fail_migrate"));
	tier_page_status(p, 1024, st);
	for (i = 0; i < 1024; i++) {
		want = i < 512 ? 0 : i < 768 ? 1 : -ENOENT;
		if (st[i] != want || (i < 768 && p[i * PAGE] != (char)i)) {
			TH_LOG("aligned page %zu: status %d, expected %d", i, st[i], want);
			bad++;
		}
	}
	EXPECT_EQ(0, bad);

	/* skewed: ours on q, move_pages(2) on its twin r */
	a.start = (u64)q;
	a.end = (u64)q + 1024 * PAGE;
	moved = migrate(self, a);
	failed = TIER_BSS(&self->p, u32, "done_failed");
	for (i = 0; i < 1024; i++) {
		pages[i] = r + i * PAGE;
		nodes[i] = 0;
	}
	ASSERT_LE(0, move_pages(0, 1024, pages, nodes, ref, MPOL_MF_MOVE));
	tier_page_status(q, 1024, st);
	tier_page_status(r, 1024, ref);
	for (i = 0, bad = 0; i < 1024; i++) {
		if (st[i] != ref[i] || (i < 768 && q[i * PAGE] != (char)i)) {
			TH_LOG("skewed page %zu: ours on %d, move_pages(2)'s on %d", i, st[i], ref[i]);
			bad++;
		}
	}
	TH_LOG("skewed: %ld moved, %ld failed", moved, failed);
	EXPECT_EQ(0, bad);

	write(go[1], "g", 1);
	ASSERT_EQ(child, waitpid(child, &st_, 0));
	EXPECT_EQ(0, WEXITSTATUS(st_));
	munmap(p, 1024 * PAGE);
	munmap(q, 1024 * PAGE);
	munmap(r, 1024 * PAGE);
}

TEST_F(mm, transparent_huge_pages_move_whole)
{
	size_t len = 8 * MiB;
	unsigned long mask = 2;
	char *raw = mmap(NULL, len + 2 * MiB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((unsigned long)raw + 2 * MiB - 1) & ~(2 * MiB - 1));
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = 4096 };
	struct result r;
	long n[2];

	ASSERT_NE(MAP_FAILED, raw);
	if (madvise(p, len, MADV_HUGEPAGE))
		SKIP(return, "no transparent huge pages");
	ASSERT_EQ(0, mbind(p, len, MPOL_BIND, &mask, 64, 0));
	memset(p, 7, len);
	mbind(p, len, MPOL_DEFAULT, NULL, 0, 0);
	r = scan(self, p, len, 0);
	ASSERT_EQ(len / PAGE, r.scan.pages[1]);
	EXPECT_EQ(len / PAGE, migrate(self, a));
	tier_where(p, len, n);
	EXPECT_EQ(len / PAGE, n[0]);
	for (size_t i = 0; i < len; i += PAGE)
		if (p[i] != 7) {
			EXPECT_EQ(7, p[i]);
			break;
		}
	munmap(raw, len + 2 * MiB);
}

static bool is_target(pid_t pid)
{
	const char *list = tier_sysfs("targets");
	char want[32];
	size_t n;

	n = snprintf(want, sizeof(want), "%d", pid);
	for (const char *l = list; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		if (!strncmp(l, want, n) && (l[n] == '\n' || !l[n]))
			return true;
	return false;
}

static bool wait_target(pid_t pid, bool want)
{
	for (int i = 0; i < 300; i++) {
		if (is_target(pid) == want)
			return true;
		tier_msleep(10);
	}
	return false;
}

static __attribute__((noinline)) pid_t sleeper(void)
{
	pid_t pid = fork();

	if (!pid) {
		pause();
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * A process in a pid namespace of its own writes its PID as it sees it
 * (1): the kernel adds that process, not the initial namespace's init, and
 * lists the targets in the reader's numbering.
 */
TEST_F(mm, targets_use_the_writers_pid_namespace)
{
	char list[256], line[64];
	int up[2], down[2];
	pid_t outer = getpid(), child, inner = 0;
	int status;
	FILE *in;

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* the child makes the namespace; its child is 1 in it */
		pid_t g;
		char c;

		if (unshare(CLONE_NEWPID))
			_exit(10);
		g = fork();
		if (g > 0) {
			dprintf(up[1], "inner %d\n", g);
			_exit(waitpid(g, &status, 0) == g && WIFEXITED(status) ?
			      WEXITSTATUS(status) : 11);
		}
		if (g < 0)
			_exit(12);
		dprintf(up[1], "add %d\n", tier_targets_write("+%d", getpid()));
		dprintf(up[1], "view %s\n", tier_sysfs("targets"));
		/* this test's process is outside: its number means nothing */
		dprintf(up[1], "add-outside %d\n",
			tier_targets_write("+%d", outer));
		if (read(down[0], &c, 1) != 1)
			_exit(13);
		dprintf(up[1], "remove %d\n", tier_targets_write("-%d", 1));
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	in = fdopen(up[0], "r");
	ASSERT_NE(NULL, in);
	if (!fgets(line, sizeof(line), in)) {
		ASSERT_EQ(child, waitpid(child, &status, 0));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
			SKIP(return, "kernel without pid namespaces (CONFIG_PID_NS)");
		ASSERT_TRUE(false) TH_LOG("the child exited with status %d", status);
	}
	ASSERT_EQ(1, sscanf(line, "inner %d", &inner));
	ASSERT_NE(NULL, fgets(line, sizeof(line), in));
	EXPECT_STREQ("add 0\n", line);
	ASSERT_NE(NULL, fgets(line, sizeof(line), in));
	/* it sees itself as 1, and not this process (outside its namespace) */
	EXPECT_STREQ("view 1\n", line);
	ASSERT_NE(NULL, fgets(line, sizeof(line), in));
	EXPECT_STREQ("add-outside -3\n", line);	/* -ESRCH */
	/* here: this process and the inner one, by their numbers here */
	snprintf(list, sizeof(list), "%d\n%d", getpid(), inner);
	EXPECT_STREQ(list, tier_sysfs("targets"));
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_NE(NULL, fgets(line, sizeof(line), in));
	EXPECT_STREQ("remove 0\n", line);
	fclose(in);
	close(down[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	snprintf(list, sizeof(list), "%d", getpid());
	EXPECT_STREQ(list, tier_sysfs("targets"));
}

/* clone3(2) with set_tid (CLONE_ARGS_SIZE_VER1): a child with PID @pid */
static pid_t fork_as(pid_t pid)
{
	struct {
		u64 flags, pidfd, child_tid, parent_tid, exit_signal;
		u64 stack, stack_size, tls, set_tid, set_tid_size;
	} args = { .exit_signal = SIGCHLD, .set_tid = (u64)(uintptr_t)&pid,
		   .set_tid_size = 1 };

	return syscall(SYS_clone3, &args, sizeof(args));
}

/*
 * A target exits and a new process gets its PID at once (clone3's
 * set_tid): the new process is not the target, not for the kfuncs and
 * not for the kernel's refresh of the target set.
 */
TEST_F(mm, a_reused_pid_is_not_the_target)
{
	struct cmd c = { .op = CMD_SCAN, .start = 0, .end = 0x7ffffffff000ULL };
	char list[256];
	pid_t old = sleeper(), reuse;

	ASSERT_LE(0, old);
	ASSERT_EQ(0, tier_targets_write("+%d", old));
	c.pid = old;
	EXPECT_LT(0, run_cmd(self, c).ret);
	reap(old);
	reuse = fork_as(old);
	if (!reuse) {
		pause();
		_exit(0);
	}
	if (reuse < 0 && errno == EEXIST)
		SKIP(return, "PID %d was taken before this test could reuse it", old);
	ASSERT_EQ(old, reuse);
	/* the target's id names another process now: nothing to scan */
	EXPECT_EQ(-ESRCH, run_cmd(self, c).ret);
	/* and the kernel's refresh (every 500 ms) drops the target */
	tier_msleep(1200);
	snprintf(list, sizeof(list), "%d", getpid());
	EXPECT_STREQ(list, tier_sysfs("targets"));
	reap(reuse);
}

TEST_F(mm, target_rule_all_follows_processes)
{
	pid_t a = sleeper(), b;

	ASSERT_LT(0, a);
	EXPECT_STREQ("none", tier_sysfs("target_rule"));
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/target_rule", "all"));
	EXPECT_STREQ("all", tier_sysfs("target_rule"));
	EXPECT_TRUE(is_target(a));		/* applied at once */
	b = sleeper();
	ASSERT_LT(0, b);
	EXPECT_TRUE(wait_target(b, true));	/* new processes follow */
	reap(a);
	EXPECT_TRUE(wait_target(a, false));	/* exited ones leave */
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/target_rule", "none"));
	EXPECT_FALSE(is_target(b));		/* rule gone: its targets too */
	EXPECT_TRUE(is_target(getpid()));	/* named ones stay */
	reap(b);
}

TEST_F(mm, target_rule_cgroup)
{
	const char *root = "/sys/fs/cgroup", *mnt = "/tmp/tier_ext_cgroup2";
	char dir[128], procs[160], rule[64], pidbuf[32];
	bool mounted = false;
	struct stat st;
	pid_t in, out;

	if (access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
		mkdir(mnt, 0755);
		if (mount("none", mnt, "cgroup2", 0, NULL))
			SKIP(return, "cannot mount cgroup2: %s", strerror(errno));
		mounted = true;
		root = mnt;
	}
	snprintf(dir, sizeof(dir), "%s/tier_ext_test", root);
	ASSERT_EQ(0, mkdir(dir, 0755) && errno != EEXIST ? -1 : 0);
	ASSERT_EQ(0, stat(dir, &st));
	in = sleeper();
	out = sleeper();
	ASSERT_LT(0, in);
	ASSERT_LT(0, out);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	snprintf(pidbuf, sizeof(pidbuf), "%d", in);
	ASSERT_EQ(0, tier_write_file(procs, pidbuf));

	snprintf(rule, sizeof(rule), "cgroup %llu", (unsigned long long)st.st_ino);
	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/target_rule", rule));
	EXPECT_STREQ(rule, tier_sysfs("target_rule"));
	EXPECT_TRUE(is_target(in));
	EXPECT_FALSE(is_target(out));
	/* moved out of the cgroup: no longer a target */
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", root);
	ASSERT_EQ(0, tier_write_file(procs, pidbuf));
	EXPECT_TRUE(wait_target(in, false));

	/* bad rules are refused and change nothing */
	EXPECT_EQ(-ENOENT, tier_write_file(TIER_SYSFS "/target_rule", "cgroup 987654321"));
	EXPECT_EQ(-EINVAL, tier_write_file(TIER_SYSFS "/target_rule", "cgroup x"));
	EXPECT_EQ(-EINVAL, tier_write_file(TIER_SYSFS "/target_rule", "everything"));
	EXPECT_STREQ(rule, tier_sysfs("target_rule"));

	ASSERT_EQ(0, tier_write_file(TIER_SYSFS "/target_rule", "none"));
	reap(in);
	reap(out);
	rmdir(dir);
	if (mounted)
		umount(mnt);
}

/*
 * Rule writes race the reap work requeueing itself: every write returns
 * (one that flushed a requeued delayed work used to wait for ever). The
 * writes run in a child so that a hang fails this test, not the next ones.
 */
TEST_F_TIMEOUT(mm, target_rule_writes_race_the_reap_work, 150)
{
	int status, i, writes = 2000;
	pid_t w, done = 0;

	w = fork();
	ASSERT_LE(0, w);
	if (!w) {
		for (i = 0; i < writes; i++)
			if (tier_write_file(TIER_SYSFS "/target_rule",
					    i & 1 ? "none" : "all"))
				_exit(1);
		_exit(0);
	}
	for (i = 0; i < 2400 && !done; i++) {
		done = waitpid(w, &status, WNOHANG);
		if (!done)
			tier_msleep(50);
	}
	if (!done) {
		kill(w, SIGKILL);
		TH_LOG("%d rule writes not done after 120 s: a write hangs", writes);
	}
	ASSERT_EQ(w, done);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_STREQ("none", tier_sysfs("target_rule"));
	EXPECT_TRUE(is_target(getpid()));	/* named ones stay */
}

/* KSM-merged pages in a migrated range: never corrupted. */
TEST_F(mm, ksm_pages_survive_migration)
{
	const size_t len = 8 * MiB;
	struct migrate_args a = { .nid = 0, .max_pages = len / PAGE };
	unsigned long long sharing = 0;
	char buf[64], run[16];
	long moved;
	char *p;
	int i;

	if (access("/sys/kernel/mm/ksm/run", F_OK))
		SKIP(return, "kernel without KSM");
	p = tier_alloc_on(len, 1);
	ASSERT_NE(NULL, p);
	memset(p, 0x5a, len);			/* identical pages */
	ASSERT_EQ(0, madvise(p, len, MADV_MERGEABLE));
	tier_read_file("/sys/kernel/mm/ksm/run", run, sizeof(run));
	tier_write_file("/sys/kernel/mm/ksm/sleep_millisecs", "10");
	tier_write_file("/sys/kernel/mm/ksm/pages_to_scan", "4096");
	ASSERT_EQ(0, tier_write_file("/sys/kernel/mm/ksm/run", "1"));
	for (i = 0; i < 600 && sharing < 1000; i++) {
		tier_msleep(50);
		if (!tier_read_file("/sys/kernel/mm/ksm/pages_sharing", buf, sizeof(buf)))
			sharing = strtoull(buf, NULL, 10);
	}
	TH_LOG("%llu pages shared by KSM", sharing);
	EXPECT_LE(1000, sharing);

	a.start = (u64)p;
	a.end = (u64)p + len;
	moved = migrate(self, a);
	TH_LOG("%ld pages moved", moved);
	EXPECT_LE(0, moved);
	for (size_t k = 0; k < len; k++)
		if (p[k] != 0x5a)
			ASSERT_EQ(0x5a, p[k]);
	/* writes break the sharing page by page */
	for (size_t k = 0; k < len; k += PAGE)
		p[k] = (char)(k / PAGE);
	for (size_t k = 0; k < len; k += PAGE)
		ASSERT_EQ((char)(k / PAGE), p[k]);
	tier_write_file("/sys/kernel/mm/ksm/run", "2");	/* unmerge all */
	tier_write_file("/sys/kernel/mm/ksm/run", run[0] ? run : "0");
	munmap(p, len);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * 64 MiB written and checked by two threads while more than 100k pages
 * move back and forth: one half promoted, the halves exchanged both ways
 * on a fast node kept nearly full (so exchanges demote as they promote),
 * everything demoted, again and again.
 */
TEST_F_TIMEOUT(mm, integrity_under_100k_page_moves, 600)
{
	const size_t len = 64 * MiB, half = len / 2;
	char *p = tier_alloc_on(len, 1), *ballast = NULL;
	struct writer w[2] = {
		{ .mem = (unsigned long *)p, .words = half / 8 },
		{ .mem = (unsigned long *)(p + half), .words = half / 8 },
	};
	unsigned long long moved = 0, exch0 = tier_vmstat("tier_ext_pages_exchanged");
	u64 lo = (u64)p, mid = (u64)p + half, hi = (u64)p + len;
	long long fill;
	double t0;
	pthread_t th[2];
	int round;

	ASSERT_NE(NULL, p);
	/* leave about 40 MiB free on the fast node: room for one half */
	fill = (long long)node_free_kb(0) * 1024 - 40 * (long long)MiB;
	if (fill > 0) {
		ballast = tier_alloc_on(fill, 0);
		ASSERT_NE(NULL, ballast);
	}
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, write_and_check, &w[i]));
	t0 = now_s();
	for (round = 0; moved < 100000 && round < 200; round++) {
		struct migrate_args a = { .nid = 0, .cold_nid = 1,
					  .max_pages = half / PAGE };
		long m;

		switch (round % 4) {
		case 0:		/* second half to the fast node */
			a.start = mid, a.end = hi;
			break;
		case 1:		/* exchange: first half in, second half out */
			a.start = lo, a.end = mid, a.cold_start = mid, a.cold_end = hi;
			a.flags = MIGRATE_EXCHANGE;
			break;
		case 2:		/* and back */
			a.start = mid, a.end = hi, a.cold_start = lo, a.cold_end = mid;
			a.flags = MIGRATE_EXCHANGE;
			break;
		case 3:		/* everything to the slow node */
			a.start = lo, a.end = hi, a.nid = 1, a.max_pages = len / PAGE;
			break;
		}
		m = migrate(self, a);
		ASSERT_LE(0, m);
		moved += m;
	}
	for (int i = 0; i < 2; i++) {
		atomic_store(&w[i].stop, true);
		pthread_join(th[i], NULL);
		EXPECT_FALSE(atomic_load(&w[i].corrupt));
		EXPECT_LT(0, atomic_load(&w[i].rounds));
	}
	TH_LOG("%llu pages moved in %d requests (%llu exchanged pairs) in %.1f s: %.0f pages/s; write rounds %lu and %lu",
	       moved, round, tier_vmstat("tier_ext_pages_exchanged") - exch0,
	       now_s() - t0, moved / (now_s() - t0),
	       atomic_load(&w[0].rounds), atomic_load(&w[1].rounds));
	EXPECT_LE(100000, moved);
	EXPECT_LT(0, tier_vmstat("tier_ext_pages_exchanged") - exch0);
	if (ballast)
		munmap(ballast, fill);
	munmap(p, len);
}

/* One target that exits with a 64 MiB migration in flight. */
static void exit_during_migration(FIXTURE_DATA(mm) *self,
				  struct __test_metadata *_metadata)
{
	const size_t len = 64 * MiB;
	struct cmd c = { .op = CMD_MIGRATE };
	int fds[2];
	struct result r;
	u64 addr = 0;
	pid_t child;

	ASSERT_EQ(0, pipe(fds));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		char *q = tier_alloc_on(len, 1);

		addr = (u64)q;
		if (write(fds[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(addr), read(fds[0], &addr, sizeof(addr)));
	close(fds[0]);
	close(fds[1]);
	ASSERT_NE(0, addr);
	ASSERT_EQ(0, tier_targets_write("%d", child));
	c.pid = child;
	c.margs = (struct migrate_args){ .start = addr, .end = addr + len,
					 .nid = 0, .max_pages = len / PAGE };
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	EXPECT_LE(0, wait_done(self, r.ret, 30000));
}

/*
 * Free pages, counting those freed into per-CPU lists (the "count:" of
 * each pageset in /proc/zoneinfo), after dropping clean caches.
 */
static unsigned long long free_pages_now(void)
{
	unsigned long long free, n;
	char line[256];
	FILE *f;

	tier_write_file("/proc/sys/vm/drop_caches", "3");
	free = tier_vmstat("nr_free_pages");
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return free;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %llu", &n) == 1)
			free += n;
	fclose(f);
	return free;
}

/*
 * Targets that exit with a migration in flight: no crash, no leak. Free
 * memory is compared between the first and the fourth time: a leak would
 * lose 16384 pages each time.
 */
TEST_F_TIMEOUT(mm, exit_during_migration_frees_memory, 300)
{
	unsigned long long free1, free4;

	exit_during_migration(self, _metadata);
	tier_msleep(1000);
	free1 = free_pages_now();
	for (int i = 0; i < 3; i++)
		exit_during_migration(self, _metadata);
	tier_msleep(1000);
	free4 = free_pages_now();
	TH_LOG("free pages %llu after the first exit, %llu after the fourth; the last migration moved %u pages",
	       free1, free4, TIER_BSS(&self->p, u32, "done_moved"));
	EXPECT_LE(free1, free4 + 4096);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
}

/* mremap moving the area while its migration runs: data intact. */
TEST_F(mm, mremap_during_migration)
{
	const size_t len = 32 * MiB;
	char *p = tier_alloc_on(len, 1), *q;
	struct cmd c = { .op = CMD_MIGRATE, .pid = getpid(),
			 .margs = { .start = (u64)p, .end = (u64)p + len,
				    .nid = 0, .max_pages = len / PAGE } };
	struct result r;

	ASSERT_NE(NULL, p);
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_LE(0, wait_done(self, r.ret, 30000));
	EXPECT_TRUE(tier_pattern_ok(q, len));
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	munmap(q, 2 * len);
}

/* Swap in mm_probe with @params (a rate limit); 0 or -errno. */
static int reload_probe(FIXTURE_DATA(mm) *self, const char *const *params)
{
	struct tier_policy p;
	int ret = tier_test_load(&p, MM_PROBE, params);

	if (ret)
		return ret;
	ret = bpf_link__update_map(self->link, p.ops_map);
	if (ret) {
		tier_policy_close(&p);
		return ret;
	}
	tier_policy_close(&self->p);
	self->p = p;
	self->seq = 0;
	return 0;
}

/* ops.migrate_mbps bounds the pages moved per second (an upper bound). */
TEST_F_TIMEOUT(mm, rate_limit_holds, 300)
{
	const char *const params[] = { "migrate_mbps=8", NULL };
	const size_t len = 48 * MiB;
	const unsigned long rate = 8 * 256;	/* pages per second */
	char *p = tier_alloc_on(len, 1);
	unsigned long long moved;
	double t0, t;
	struct result r;
	u64 last = 0;
	int i;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, reload_probe(self, params));
	t0 = now_s();
	/* six requests of 2048 pages (8 MiB), queued at once */
	for (i = 0; i < 6; i++) {
		struct cmd c = { .op = CMD_MIGRATE, .pid = getpid(),
				 .margs = { .start = (u64)p + i * 8 * MiB,
					    .end = (u64)p + (i + 1) * 8 * MiB,
					    .nid = 0, .max_pages = 2048 } };

		r = run_cmd(self, c);
		ASSERT_LT(0, r.ret);
		last = r.ret;
	}
	ASSERT_LE(0, wait_done(self, last, 60000));
	t = now_s() - t0;
	moved = TIER_BSS(&self->p, u64, "total_moved");
	TH_LOG("%llu pages in %.2f s at a limit of %lu pages/s (%.0f pages/s)",
	       moved, t, rate, moved / t);
	EXPECT_EQ(6 * 2048, moved);
	/* never more than the rate, plus the one-second burst */
	EXPECT_LE(moved, rate * (t + 1));
	munmap(p, len);
}

/*
 * The largest request the kernel accepts (max_pages 2^18, at the highest
 * rate limit) needs 6 MiB for each of its page arrays: more than kmalloc()
 * gives. It moves its pages, and the kernel does not warn (the log check).
 */
TEST_F(mm, largest_request_moves_its_pages)
{
	const char *const params[] = { "migrate_mbps=1048576", NULL };
	size_t len = 16 * MiB;
	char *p = tier_alloc_on(len, 1);
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = 1U << 18 };
	unsigned long long dropped = tier_vmstat("tier_ext_migrate_dropped");
	long n[2];

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, reload_probe(self, params));
	EXPECT_EQ(len / PAGE, migrate(self, a));
	tier_where(p, len, n);
	EXPECT_EQ(len / PAGE, n[0]);
	EXPECT_EQ(dropped, tier_vmstat("tier_ext_migrate_dropped"));
	EXPECT_TRUE(tier_pattern_ok(p, len));
	munmap(p, len);
}

TEST_F(mm, migrate_pages_moves_exactly_the_batch)
{
	const size_t len = 4 * MiB;
	char *p = tier_alloc_on(len, 1);
	struct cmd c = { .op = CMD_MIGRATE_PAGES, .pid = getpid(), .nid = 0,
			 .nr_pages = 8 };
	void *pages[1024];
	int status[1024], on0 = 0;
	struct result r;

	ASSERT_NE(NULL, p);
	/* pages 0, 7, 100, ... 1023: scattered */
	for (int i = 0; i < 8; i++)
		c.pages[i] = (u64)p + (i * 146 + (i ? 1 : 0)) * PAGE;
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	EXPECT_EQ(8, wait_done(self, r.ret, 30000));
	for (int i = 0; i < 1024; i++)
		pages[i] = p + i * PAGE;
	ASSERT_EQ(0, move_pages(0, 1024, pages, NULL, status, 0));
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(0, status[(c.pages[i] - (u64)p) / PAGE]);
	for (int i = 0; i < 1024; i++)
		on0 += status[i] == 0;
	EXPECT_EQ(8, on0);		/* and no other page */
	EXPECT_TRUE(tier_pattern_ok(p, len));

	/* the same batch again: already there, nothing moves */
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	EXPECT_EQ(0, wait_done(self, r.ret, 30000));

	/* bad input: an error, never a crash */
	c.pages[3] |= 0x10;				/* unaligned */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.pages[3] = 1ULL << 63;			/* beyond user space */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.pages[3] = 0x10000;				/* not mapped: skipped */
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	EXPECT_EQ(0, wait_done(self, r.ret, 30000));
	c.pid = 1;					/* not a target */
	EXPECT_EQ(-ESRCH, run_cmd(self, c).ret);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	c.pid = getpid();
	c.nid = 9;					/* no such node: ejected */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	EXPECT_STREQ("mm_probe: policy error detected by the kernel: invalid memory node 9",
		     tier_sysfs("exit_reason"));
	munmap(p, len);
}

TEST_F(mm, node_room_is_free_memory_above_the_watermarks)
{
	struct cmd c = { .op = CMD_ROOM, .nid = 0 };
	long long room = run_cmd(self, c).ret;
	long free_kb = node_free_kb(0);

	TH_LOG("node 0: %lld pages of room, %ld KiB free", room, free_kb);
	EXPECT_LE(0, room);
	EXPECT_GT(free_kb / 4, room);		/* the watermarks are reserved */
	c.nid = 1;
	EXPECT_LE(0, run_cmd(self, c).ret);
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	c.nid = -1;					/* bad node: ejected */
	EXPECT_EQ(0, run_cmd(self, c).ret);
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	EXPECT_STREQ("mm_probe: policy error detected by the kernel: invalid memory node -1",
		     tier_sysfs("exit_reason"));
}

static long shadow_pages(void)
{
	return atol(tier_sysfs("shadow_pages"));
}

/*
 * The administrator's caps bound what a policy asks for: pages isolated
 * by one request, the migration rate (a request gets at most one second's
 * budget: 256 pages at 1 MB/s) and shadow pages.
 */
TEST_F(mm, admin_caps_bound_requests)
{
	static const char *const caps[] = {
		"max_batch_pages", "max_migrate_mbps", "max_shadow_pages" };
	const size_t len = 4 * MiB, npages = len / PAGE;
	char *p = tier_alloc_on(len, 1);
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = npages };
	unsigned long long dropped;
	char saved[3][32], path[96];
	long shadows;
	int i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < 3; i++)
		strcpy(saved[i], tier_sysfs(caps[i]));
	EXPECT_STREQ("262144", saved[0]);	/* the defaults cap nothing */
	EXPECT_STREQ("1048576", saved[1]);
	EXPECT_STREQ("4294967295", saved[2]);
	EXPECT_EQ(-ERANGE, tier_write_file(TIER_SYSFS "/max_batch_pages", "0"));
	EXPECT_EQ(-ERANGE, tier_write_file(TIER_SYSFS "/max_batch_pages", "262145"));
	EXPECT_EQ(-ERANGE, tier_write_file(TIER_SYSFS "/max_migrate_mbps", "0"));
	EXPECT_EQ(-EINVAL, tier_write_file(TIER_SYSFS "/max_shadow_pages", "lots"));
	EXPECT_STREQ("262144", tier_sysfs("max_batch_pages"));

	EXPECT_EQ(0, tier_write_file(TIER_SYSFS "/max_batch_pages", "100"));
	EXPECT_EQ(100, migrate(self, a));
	EXPECT_EQ(100, tier_where_node(p, len, 0));
	EXPECT_EQ(0, tier_write_file(TIER_SYSFS "/max_batch_pages", saved[0]));

	EXPECT_EQ(0, tier_write_file(TIER_SYSFS "/max_migrate_mbps", "1"));
	EXPECT_EQ(256, migrate(self, a));
	EXPECT_EQ(356, tier_where_node(p, len, 0));
	EXPECT_EQ(0, tier_write_file(TIER_SYSFS "/max_migrate_mbps", saved[1]));

	/* at the cap a transactional move goes on without a shadow */
	a.nid = 1;
	a.flags = MIGRATE_TX | MIGRATE_SHADOW;
	shadows = shadow_pages();
	dropped = tier_vmstat("tier_ext_shadow_dropped");
	snprintf(path, sizeof(path), "%ld", shadows);
	EXPECT_EQ(0, tier_write_file(TIER_SYSFS "/max_shadow_pages", path));
	EXPECT_EQ(356, migrate(self, a));
	EXPECT_EQ(npages, tier_where_node(p, len, 1));
	EXPECT_EQ(shadows, shadow_pages());
	EXPECT_EQ(dropped + 356, tier_vmstat("tier_ext_shadow_dropped"));
	EXPECT_TRUE(tier_pattern_ok(p, len));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), TIER_SYSFS "/%s", caps[i]);
		EXPECT_EQ(0, tier_write_file(path, saved[i]));
	}
}

TEST_F(mm, transactional_moves_keep_shadows_for_remaps)
{
	size_t len = 8 * MiB, npages = len / PAGE, i;
	char *p = tier_alloc_on(len, 1);
	unsigned long long committed = tier_vmstat("tier_ext_tx_committed");
	unsigned long long remapped = tier_vmstat("tier_ext_shadow_remapped");
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = npages,
				  .flags = MIGRATE_TX | MIGRATE_SHADOW };
	long n[2], shadows = shadow_pages();

	ASSERT_NE(NULL, p);
	EXPECT_EQ(npages, migrate(self, a));
	tier_where(p, len, n);
	EXPECT_EQ(npages, n[0]);
	EXPECT_EQ(npages, tier_vmstat("tier_ext_tx_committed") - committed);
	EXPECT_EQ(shadows + npages, shadow_pages());
	EXPECT_TRUE(tier_pattern_ok(p, len));

	/* written pages lose their shadow's worth: they are copied back */
	for (i = 0; i < npages / 2; i++)
		p[i * PAGE + 8] = 0x5a;
	a.nid = 1;
	a.flags = 0;
	EXPECT_EQ(npages, migrate(self, a));
	tier_where(p, len, n);
	EXPECT_EQ(npages, n[1]);
	TH_LOG("%zu pages promoted transactionally, %llu remapped back to their shadows",
	       npages, tier_vmstat("tier_ext_shadow_remapped") - remapped);
	EXPECT_EQ(npages / 2, tier_vmstat("tier_ext_shadow_remapped") - remapped);
	EXPECT_EQ(shadows, shadow_pages());
	EXPECT_TRUE(tier_pattern_ok(p, len));
	for (i = 0; i < npages; i++)
		if (p[i * PAGE + 8] != (i < npages / 2 ? 0x5a : 0))
			break;
	EXPECT_EQ(npages, i) TH_LOG("page %zu lost a write", i);
	munmap(p, len);
}

struct hammer {
	unsigned long *mem;	/* one counter per page */
	size_t pages;
	atomic_bool stop;
	atomic_bool corrupt;
	atomic_ulong writes;
};

/* Increment each page's counter and check it holds what was written. */
static void *hammer_pages(void *arg)
{
	struct hammer *h = arg;
	unsigned long v, n = 0;
	size_t i;

	while (!atomic_load(&h->stop)) {
		for (i = 0; i < h->pages; i++) {
			unsigned long *w = h->mem + i * (PAGE / 8);

			v = *w + 1;
			*w = v;
			if (*w != v)
				atomic_store(&h->corrupt, true);
			n++;
		}
	}
	atomic_store(&h->writes, n);
	return NULL;
}

TEST_F_TIMEOUT(mm, writes_during_transactional_copies_are_kept, 300)
{
	size_t len = 8 * MiB, npages = len / PAGE, hot = 16, i;
	char *p = tier_alloc_on(len, 1);
	unsigned long long aborted = tier_vmstat("tier_ext_tx_aborted");
	unsigned long long committed = tier_vmstat("tier_ext_tx_committed");
	unsigned long long remapped = tier_vmstat("tier_ext_shadow_remapped");
	struct writer w = { .mem = (unsigned long *)p, .words = len / 8 };
	struct hammer h = { .mem = (unsigned long *)(p + 8), .pages = hot };
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .max_pages = npages };
	unsigned long sum = 0;
	pthread_t tw, th;
	int round;

	ASSERT_NE(NULL, p);
	/* w writes every 64th word of the range (not word 1 of a page) */
	ASSERT_EQ(0, pthread_create(&tw, NULL, write_and_check, &w));
	ASSERT_EQ(0, pthread_create(&th, NULL, hammer_pages, &h));
	for (round = 0; round < 6; round++) {
		a.nid = 0;
		a.flags = MIGRATE_TX | MIGRATE_SHADOW;
		ASSERT_LE(0, migrate(self, a));
		a.nid = 1;
		a.flags = 0;
		ASSERT_LE(0, migrate(self, a));
	}
	atomic_store(&w.stop, true);
	atomic_store(&h.stop, true);
	pthread_join(tw, NULL);
	pthread_join(th, NULL);
	for (i = 0; i < hot; i++)
		sum += h.mem[i * (PAGE / 8)];
	TH_LOG("6 rounds under writes: %llu moves committed, %llu aborted by a write, %llu remaps; %lu hammer writes, %lu write rounds",
	       tier_vmstat("tier_ext_tx_committed") - committed,
	       tier_vmstat("tier_ext_tx_aborted") - aborted,
	       tier_vmstat("tier_ext_shadow_remapped") - remapped,
	       atomic_load(&h.writes), atomic_load(&w.rounds));
	EXPECT_FALSE(atomic_load(&w.corrupt));
	EXPECT_FALSE(atomic_load(&h.corrupt));
	/* no increment was lost */
	EXPECT_EQ(atomic_load(&h.writes), sum);
	EXPECT_LT(committed, tier_vmstat("tier_ext_tx_committed"));
	EXPECT_LT(aborted, tier_vmstat("tier_ext_tx_aborted"));
	munmap(p, len);
}

TEST_F(mm, shadows_go_when_the_process_exits)
{
	unsigned long long dropped = tier_vmstat("tier_ext_shadow_dropped");
	size_t len = 4 * MiB;
	struct cmd c = { .op = CMD_MIGRATE };
	int sync[2], status, i;
	long shadows = shadow_pages();
	struct result r;
	pid_t child;
	char *p;

	ASSERT_EQ(0, pipe(sync));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		p = tier_alloc_on(len, 1);
		if (write(sync[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_EQ(sizeof(p), read(sync[0], &p, sizeof(p)));
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, tier_targets_write("%d", child));
	c.pid = child;
	c.margs = (struct migrate_args){ .start = (u64)p, .end = (u64)p + len,
		.nid = 0, .max_pages = len / PAGE,
		.flags = MIGRATE_TX | MIGRATE_SHADOW };
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	EXPECT_EQ(len / PAGE, wait_done(self, r.ret, 30000));
	EXPECT_EQ(shadows + len / PAGE, shadow_pages());
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	for (i = 0; i < 50 && shadow_pages() != shadows; i++)
		tier_msleep(100);
	TH_LOG("shadows back to %ld within %d ms of the exit", shadow_pages(), i * 100);
	EXPECT_EQ(shadows, shadow_pages());
	EXPECT_LE(len / PAGE, tier_vmstat("tier_ext_shadow_dropped") - dropped);
	close(sync[0]);
	close(sync[1]);
}

/* Reclaim's way to shrinkers: drop_caches runs every shrinker of every node. */
TEST_F(mm, shadows_are_given_up_to_reclaim)
{
	size_t len = 16 * MiB;
	char *p = tier_alloc_on(len, 1);
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = len / PAGE,
				  .flags = MIGRATE_TX | MIGRATE_SHADOW };
	long shadows, after;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(len / PAGE, migrate(self, a));
	shadows = shadow_pages();
	ASSERT_LE(len / PAGE, shadows);
	ASSERT_EQ(0, tier_write_file("/proc/sys/vm/drop_caches", "2"));
	after = shadow_pages();
	TH_LOG("slab reclaim: %ld shadows -> %ld", shadows, after);
	EXPECT_GT(shadows / 8, after);
	/* the pages themselves stay, on the fast node, intact */
	EXPECT_TRUE(tier_pattern_ok(p, len));
	munmap(p, len);
}

/*
 * Migrations are traced: tier_ext's own events per batch and per request,
 * and upstream's mm_migrate_pages with reason=tier_ext (kernel-patch
 * 0031); promotions count in the fast node's pgpromote_success.
 */
TEST_F(mm, trace_events_report_migrations)
{
	static const char *const events[] = {
		"tier_ext/tier_ext_move", "tier_ext/tier_ext_migrate",
		"tier_ext/tier_ext_tx", "migrate/mm_migrate_pages", NULL
	};
	size_t len = 4 * MiB, npages = len / PAGE, ntx = MiB / PAGE;
	char *p = tier_alloc_on(len, 1);
	struct migrate_args a = { .start = (u64)p, .end = (u64)p + len,
				  .nid = 0, .max_pages = npages };
	unsigned long long pgpromote = tier_node_vmstat(0, "pgpromote_success");
	struct tier_trace t;
	char *text;
	int ret;

	ASSERT_NE(NULL, p);
	ASSERT_NE(~0ULL, pgpromote);
	ret = tier_trace_open(&t, "tier_ext_mm", events);
	ASSERT_EQ(0, ret) TH_LOG("tracefs: %s", strerror(-ret));
	EXPECT_EQ(npages, migrate(self, a));
	a.nid = 1;
	EXPECT_EQ(npages, migrate(self, a));
	/* the first MiB again, by transactional copy */
	a.nid = 0;
	a.end = a.start + MiB;
	a.flags = MIGRATE_TX;
	EXPECT_EQ(ntx, migrate(self, a));
	text = tier_trace_read(&t);
	tier_trace_close(&t);
	ASSERT_NE(NULL, text);

	/* upstream's event names tier_ext as the reason, in both directions */
	EXPECT_EQ(2 * npages, tier_trace_sum(text, "mm_migrate_pages",
					     "reason=tier_ext", "nr_succeeded"));
	EXPECT_EQ(2, tier_trace_sum(text, "mm_migrate_pages", "reason=tier_ext", NULL));
	EXPECT_EQ(0, tier_trace_sum(text, "mm_migrate_pages",
				    "reason=syscall_or_cpuset", NULL));
	/* one batch event per direction and mode */
	EXPECT_EQ(2, tier_trace_sum(text, "tier_ext_move", "dir=promote", NULL));
	EXPECT_EQ(npages + ntx, tier_trace_sum(text, "tier_ext_move", "dir=promote", "moved"));
	EXPECT_EQ(npages, tier_trace_sum(text, "tier_ext_move", "dir=demote", "moved"));
	EXPECT_EQ(ntx, tier_trace_sum(text, "tier_ext_move", "mode=transactional", "moved"));
	EXPECT_EQ(0, tier_trace_sum(text, "tier_ext_move", NULL, "failed"));
	/* one request event per request, with the flags it ran with */
	EXPECT_EQ(3, tier_trace_sum(text, "tier_ext_migrate", NULL, NULL));
	EXPECT_EQ(1, tier_trace_sum(text, "tier_ext_migrate", "flags=TRANSACTIONAL", NULL));
	EXPECT_EQ(npages + ntx, tier_trace_sum(text, "tier_ext_migrate", NULL, "promoted"));
	EXPECT_EQ(npages, tier_trace_sum(text, "tier_ext_migrate", NULL, "demoted"));
	EXPECT_EQ(getpid(), (pid_t)(tier_trace_sum(text, "tier_ext_migrate", NULL, "tgid") / 3));
	EXPECT_EQ(ntx, tier_trace_sum(text, "tier_ext_tx", "commit", NULL));
	EXPECT_EQ(0, tier_trace_sum(text, "tier_ext_tx", "abort", NULL));
	/* as NUMA balancing's promotions count */
	EXPECT_EQ(pgpromote + npages + ntx, tier_node_vmstat(0, "pgpromote_success"));
	TH_LOG("%llu trace lines of tier_ext_move, %llu of mm_migrate_pages",
	       tier_trace_sum(text, "tier_ext_move", NULL, NULL),
	       tier_trace_sum(text, "mm_migrate_pages", NULL, NULL));
	free(text);
	EXPECT_TRUE(tier_pattern_ok(p, len));
	munmap(p, len);
}

TEST_F(mm, transactional_flags_reject_bad_combinations)
{
	char *p = tier_alloc_on(PAGE, 1);
	struct cmd c = { .op = CMD_MIGRATE, .pid = getpid(),
			 .margs = { .start = (u64)p, .end = (u64)p + PAGE } };
	struct result r;

	ASSERT_NE(NULL, p);
	c.margs.flags = MIGRATE_SHADOW;		/* needs MIGRATE_TX */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.margs.flags = 8;			/* unknown */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.op = CMD_MIGRATE_PAGES;
	c.pages[0] = (u64)p;
	c.nr_pages = 1;
	c.nid = 0;
	c.flags = MIGRATE_EXCHANGE;		/* no cold range in a batch */
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.flags = MIGRATE_SHADOW;
	EXPECT_EQ(-EINVAL, run_cmd(self, c).ret);
	c.flags = MIGRATE_TX | MIGRATE_SHADOW;
	r = run_cmd(self, c);
	ASSERT_LT(0, r.ret);
	EXPECT_EQ(1, wait_done(self, r.ret, 30000));
	EXPECT_EQ(1, shadow_pages());
	EXPECT_TRUE(tier_pattern_ok(p, PAGE));
	munmap(p, PAGE);
	/* the shadow of an unmapped page goes at the next reap */
	for (int i = 0; i < 50 && shadow_pages(); i++)
		tier_msleep(100);
	EXPECT_EQ(0, shadow_pages());
}

TEST_HARNESS_MAIN
