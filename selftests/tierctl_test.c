// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl end to end: load, status, swap, unload, list, and one clear
 * line with a non-zero exit for each kind of bad input. The tests named
 * usage_* and no_tier_ext_kernel also run on the host, without the VM.
 */
/* tier-test: vm */
/* tier-test: host -t usage_errors -t usage_bad_policy_and_params -t usage_help_and_json -t usage_list_policies -t no_tier_ext_kernel */
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <json-c/json.h>
#include <numa.h>
#include <pthread.h>

#include "kselftest_harness.h"
#include "tier_test.h"

#define OUT_LEN	16384

/* Run tierctl with args (NULL-terminated); stdout+stderr into out. */
static int run_as(uid_t uid, bool hide_tier_ext, char *out, ...)
{
	const char *argv[32] = { tier_test_path("../bin/tierctl") };
	int fds[2], argc = 1, status;
	size_t len = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, out);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		if (hide_tier_ext) {
			/* a private mount namespace where tier_ext's sysfs is gone */
			if (unshare(CLONE_NEWNS) ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			    mount("tmpfs", "/sys/kernel/mm", "tmpfs", 0, NULL))
				_exit(126);
		}
		if (uid && setuid(uid))
			_exit(126);
		setenv("TIER_POLICY_DIR", tier_test_path("../policies"), 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	while (len < OUT_LEN - 1 &&
	       (n = read(fds[0], out + len, OUT_LEN - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define tierctl(out, ...) run_as(0, false, out, __VA_ARGS__, NULL)

/* Exactly one line on stderr, and it says `msg`. */
#define EXPECT_ONE_LINE(out, msg)					\
	do {								\
		EXPECT_NE(NULL, strstr(out, msg)) { TH_LOG("output: %s", out); } \
		EXPECT_EQ(strlen(out) - 1, (size_t)(strchr(out, '\n') - out)) { \
			TH_LOG("not one line: %s", out);		\
		}							\
	} while (0)

TEST(usage_errors)
{
	char out[OUT_LEN];

	EXPECT_EQ(2, tierctl(out, "frobnicate"));
	EXPECT_ONE_LINE(out, "tierctl: unknown command: frobnicate");
	EXPECT_EQ(2, tierctl(out, "--bogus"));
	EXPECT_ONE_LINE(out, "tierctl: unknown option: --bogus");
	EXPECT_EQ(2, tierctl(out, "load"));
	EXPECT_ONE_LINE(out, "tierctl: missing POLICY");
	EXPECT_EQ(2, tierctl(out, "load", "static", "extra"));
	EXPECT_ONE_LINE(out, "tierctl: unexpected argument: extra");
	EXPECT_EQ(2, tierctl(out, "load", "count", "--param"));
	EXPECT_ONE_LINE(out, "tierctl: --param needs NAME=VALUE");
	EXPECT_EQ(2, tierctl(out, "unload", "now"));
	EXPECT_ONE_LINE(out, "tierctl: unexpected argument: now");
	EXPECT_EQ(2, run_as(0, false, out, NULL));
	EXPECT_NE(NULL, strstr(out, "Usage: tierctl"));
	EXPECT_EQ(0, tierctl(out, "--help"));
	EXPECT_NE(NULL, strstr(out, "Usage: tierctl"));
}

TEST(usage_bad_policy_and_params)
{
	char out[OUT_LEN];

	EXPECT_EQ(1, tierctl(out, "load", "nosuch"));
	EXPECT_ONE_LINE(out, "tierctl: unknown policy 'nosuch' (see 'tierctl list')");
	EXPECT_EQ(1, tierctl(out, "load", "../etc"));
	EXPECT_ONE_LINE(out, "tierctl: cannot read policy object ../etc");
	EXPECT_EQ(1, tierctl(out, "load", "Bad!Name"));
	EXPECT_ONE_LINE(out, "tierctl: invalid policy name 'Bad!Name'");
	EXPECT_EQ(1, tierctl(out, "load", "static", "--param", "x=1"));
	EXPECT_ONE_LINE(out, "tierctl: policy 'static' has no parameter 'x'");
	EXPECT_EQ(1, tierctl(out, "load", "count", "--param", "min_weight"));
	EXPECT_ONE_LINE(out, "tierctl: --param needs NAME=VALUE, got 'min_weight'");
	EXPECT_EQ(1, tierctl(out, "load", "count", "--param", "min_weight=abc"));
	EXPECT_ONE_LINE(out, "tierctl: parameter 'min_weight': 'abc' is not an integer");
	EXPECT_EQ(1, tierctl(out, "load", "count", "--param", "min_weight="));
	EXPECT_ONE_LINE(out, "tierctl: parameter 'min_weight': '' is not an integer");
	EXPECT_EQ(1, tierctl(out, "load", "count", "--param", "min_weight=1000001"));
	EXPECT_ONE_LINE(out, "tierctl: parameter 'min_weight' must be in [0, 1000000], got 1000001");
	EXPECT_EQ(1, tierctl(out, "swap", "count", "--param=min_weight=-1"));
	EXPECT_ONE_LINE(out, "tierctl: parameter 'min_weight' must be in [0, 1000000], got -1");
}

/* Per-command help, global options anywhere, as bpftool; JSON from list. */
TEST(usage_help_and_json)
{
	static const char *const cmds[] = { "load", "swap", "unload", "target", "status", "list" };
	struct json_object *arr, *pol, *v, *prm;
	char out[OUT_LEN], want[64];
	size_t i;
	bool found = false;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		EXPECT_EQ(0, tierctl(out, cmds[i], "--help"));
		snprintf(want, sizeof(want), "Usage: tierctl %s", cmds[i]);
		EXPECT_TRUE(strstr(out, want) == out) {
			TH_LOG("%s --help: %s", cmds[i], out);
		}
	}
	EXPECT_EQ(0, tierctl(out, "load", "static", "-h"));
	EXPECT_NE(NULL, strstr(out, "--param NAME=VALUE"));
	/* -p is bpftool's --pretty; a parameter needs --param */
	EXPECT_EQ(2, tierctl(out, "load", "count", "-p", "min_weight=1"));
	EXPECT_ONE_LINE(out, "tierctl: unexpected argument (a parameter is --param NAME=VALUE): "
			"min_weight=1");

	ASSERT_EQ(0, tierctl(out, "list", "-j"));
	arr = json_tokener_parse(out);
	ASSERT_NE(NULL, arr) {
		TH_LOG("not JSON: %s", out);
	}
	ASSERT_TRUE(json_object_is_type(arr, json_type_array));
	for (i = 0; i < json_object_array_length(arr); i++) {
		pol = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(pol, "name", &v) ||
		    strcmp(json_object_get_string(v), "count"))
			continue;
		found = true;
		ASSERT_TRUE(json_object_object_get_ex(pol, "params", &v));
		prm = json_object_array_get_idx(v, 0);
		ASSERT_NE(NULL, prm);
		EXPECT_TRUE(json_object_object_get_ex(prm, "name", &v));
		EXPECT_STREQ("min_weight", json_object_get_string(v));
		EXPECT_TRUE(json_object_object_get_ex(prm, "max", &v));
		EXPECT_EQ(1000000, json_object_get_int64(v));
	}
	EXPECT_TRUE(found);
	json_object_put(arr);
	/* -p before the command: the same, indented */
	ASSERT_EQ(0, tierctl(out, "-p", "list"));
	EXPECT_TRUE(strstr(out, "[\n  {") == out) {
		TH_LOG("%s", out);
	}
}

TEST(usage_list_policies)
{
	char out[OUT_LEN];

	ASSERT_EQ(0, tierctl(out, "list"));
	EXPECT_NE(NULL, strstr(out, "static     first-touch placement")) {
		TH_LOG("%s", out);
	}
	EXPECT_NE(NULL, strstr(out, "  --param min_weight=0"));
	EXPECT_NE(NULL, strstr(out, "[0..1000000] ignore samples whose weight"));
}

TEST(no_tier_ext_kernel)
{
	char out[OUT_LEN];

	if (geteuid())
		SKIP(return, "needs root for a private mount namespace");
	EXPECT_EQ(1, run_as(0, true, out, "status", NULL));
	EXPECT_ONE_LINE(out, "tierctl: this kernel has no tier_ext (CONFIG_TIER_EXT)");
	EXPECT_EQ(1, run_as(0, true, out, "load", "static", NULL));
	EXPECT_ONE_LINE(out, "tierctl: this kernel has no tier_ext (CONFIG_TIER_EXT)");
}

FIXTURE(cli) {
	char out[OUT_LEN];
};

FIXTURE_SETUP(cli)
{
	TIER_FIXTURE_NEEDS_TIER_EXT();
	ASSERT_NE(0, access("/sys/fs/bpf/tier_ext/link", F_OK));
}

FIXTURE_TEARDOWN(cli)
{
	char out[OUT_LEN], pid[16];

	tierctl(out, "unload");
	snprintf(pid, sizeof(pid), "%d", getpid());
	tierctl(out, "target", "del", pid);
	tierctl(out, "target", "rule", "none");
	tier_write_file("/proc/sys/kernel/numa_balancing", "0");
}

TEST_F(cli, load_status_swap_unload)
{
	ASSERT_EQ(0, tierctl(self->out, "load", "static"));
	EXPECT_STREQ("", self->out);
	EXPECT_STREQ("static", tier_sysfs("ops"));
	ASSERT_EQ(0, tier_inject(1, 0x1000, 0, 1));
	ASSERT_EQ(0, tierctl(self->out, "status"));
	EXPECT_NE(NULL, strstr(self->out, "state:      enabled\n"));
	EXPECT_NE(NULL, strstr(self->out, "policy:     static\n"));
	EXPECT_NE(NULL, strstr(self->out, "stats:      samples=1 ticks=")) {
		TH_LOG("%s", self->out);
	}

	ASSERT_EQ(0, tierctl(self->out, "swap", "count", "--param", "min_weight=5"));
	EXPECT_STREQ("count", tier_sysfs("ops"));
	ASSERT_EQ(0, tier_inject(1, 0x1000, 0, 7));
	ASSERT_EQ(0, tier_inject(1, 0x2000, 1, 2));
	ASSERT_EQ(0, tierctl(self->out, "status"));
	EXPECT_NE(NULL, strstr(self->out, "policy:     count\n"));
	EXPECT_NE(NULL, strstr(self->out, "last_exit:  swap - static: replaced by another policy"));
	EXPECT_NE(NULL, strstr(self->out, "params:     min_weight=5\n"));
	EXPECT_NE(NULL, strstr(self->out,
		  "stats:      samples=1 ignored=1 weight=7 fast=1 slow=0 unknown_node=0\n")) {
		TH_LOG("%s", self->out);
	}

	/* the same as one JSON object */
	ASSERT_EQ(0, tierctl(self->out, "status", "--json"));
	do {
		struct json_object *st = json_tokener_parse(self->out), *o, *v;

		ASSERT_NE(NULL, st) {
			TH_LOG("not JSON: %s", self->out);
		}
		EXPECT_TRUE(json_object_object_get_ex(st, "policy", &v));
		EXPECT_STREQ("count", json_object_get_string(v));
		EXPECT_TRUE(json_object_object_get_ex(st, "state", &v));
		EXPECT_STREQ("enabled", json_object_get_string(v));
		EXPECT_TRUE(json_object_object_get_ex(st, "last_exit", &o));
		EXPECT_TRUE(json_object_object_get_ex(o, "kind", &v));
		EXPECT_STREQ("swap", json_object_get_string(v));
		EXPECT_TRUE(json_object_object_get_ex(st, "params", &o));
		EXPECT_TRUE(json_object_object_get_ex(o, "min_weight", &v));
		EXPECT_EQ(5, json_object_get_int64(v));
		EXPECT_TRUE(json_object_object_get_ex(st, "stats", &o));
		EXPECT_TRUE(json_object_object_get_ex(o, "weight", &v));
		EXPECT_EQ(7, json_object_get_int64(v));
		EXPECT_TRUE(json_object_object_get_ex(st, "counters", &o));
		EXPECT_TRUE(json_object_object_get_ex(o, "samples", &v));
		EXPECT_LE(3, json_object_get_int64(v));
		json_object_put(st);
	} while (0);

	ASSERT_EQ(0, tierctl(self->out, "swap", "static"));
	EXPECT_STREQ("static", tier_sysfs("ops"));
	ASSERT_EQ(0, tierctl(self->out, "unload"));
	EXPECT_STREQ("", self->out);
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	EXPECT_NE(0, access("/sys/fs/bpf/tier_ext/link", F_OK));
	ASSERT_EQ(0, tierctl(self->out, "status"));
	EXPECT_NE(NULL, strstr(self->out, "state:      disabled\n"));
	EXPECT_NE(NULL, strstr(self->out, "last_exit:  unreg - static: detached from user space"));
}

TEST_F(cli, swap_repeatedly)
{
	int i;

	ASSERT_EQ(0, tierctl(self->out, "load", "static"));
	for (i = 0; i < 10; i++) {
		const char *next = i % 2 ? "static" : "count";

		ASSERT_EQ(0, tierctl(self->out, "swap", next)) {
			TH_LOG("swap %d: %s", i, self->out);
		}
		EXPECT_STREQ(next, tier_sysfs("ops"));
		EXPECT_STREQ("enabled", tier_sysfs("state"));
	}
}

TEST_F(cli, refuses_what_it_cannot_do)
{
	EXPECT_EQ(1, tierctl(self->out, "swap", "static"));
	EXPECT_ONE_LINE(self->out, "tierctl: no policy is loaded (use 'tierctl load')");
	EXPECT_EQ(1, tierctl(self->out, "unload"));
	EXPECT_ONE_LINE(self->out, "tierctl: no policy is loaded");

	ASSERT_EQ(0, tierctl(self->out, "load", "static"));
	EXPECT_EQ(1, tierctl(self->out, "load", "count"));
	EXPECT_ONE_LINE(self->out, "tierctl: policy 'static' is already loaded "
			"(use 'tierctl swap' or 'tierctl unload')");
	EXPECT_STREQ("static", tier_sysfs("ops"));

	EXPECT_EQ(1, run_as(65534, false, self->out, "unload", NULL));
	EXPECT_ONE_LINE(self->out, "tierctl: must be run as root");
	EXPECT_STREQ("static", tier_sysfs("ops"));
}

TEST_F(cli, verifier_rejection)
{
	const char *bad = tier_test_path("progs/bad_kfunc.bpf.o");

	EXPECT_EQ(1, tierctl(self->out, "load", bad));
	EXPECT_ONE_LINE(self->out, "tierctl: the kernel rejected policy 'bad_kfunc': ");
	EXPECT_NE(NULL, strstr(self->out, " (rerun with -v for the verifier log)\n"));
	EXPECT_EQ(1, tierctl(self->out, "-v", "load", bad));
	/* with -v, the verifier's log */
	EXPECT_NE(NULL, strstr(self->out, "-- BEGIN PROG LOAD LOG --")) {
		TH_LOG("%s", self->out);
	}
	EXPECT_STREQ("disabled", tier_sysfs("state"));
}

TEST_F(cli, init_failure_and_ejection_are_explained)
{
	const char *probe = tier_test_path("progs/probe.bpf.o");

	EXPECT_EQ(1, tierctl(self->out, "load", probe, "--param", "init_ret=-19"));
	EXPECT_ONE_LINE(self->out, "tierctl: policy 'probe' failed to initialise: "
			"probe: policy error detected by the kernel: ops.init() failed (-19)");
	EXPECT_STREQ("disabled", tier_sysfs("state"));

	ASSERT_EQ(0, tierctl(self->out, "load", probe, "--param", "error_vaddr=0x9000"));
	ASSERT_EQ(0, tier_inject(1, 0x9000, 0, 1));
	ASSERT_TRUE(tier_wait_state("disabled", 5000));
	ASSERT_EQ(0, tierctl(self->out, "status"));
	EXPECT_NE(NULL, strstr(self->out, "last_exit:  error_bpf - probe: policy called "
			       "bpf_tier_error(): probe: sample at 0x9000\n")) {
		TH_LOG("%s", self->out);
	}
	/* loading again replaces the ejected policy's leftovers */
	ASSERT_EQ(0, tierctl(self->out, "load", "static"));
	EXPECT_STREQ("static", tier_sysfs("ops"));
}

/*
 * A value the kernel refuses at attach or swap is named with its limit
 * (issue 20): passed with --param through a policy that does not
 * range-check it, or built into the object. Nothing is attached.
 */
TEST_F(cli, ops_limits_are_named)
{
	static const struct {
		const char *param, *msg;
	} over[] = {
		{ "tick_ms=60001", "tick_ms=60001 is above the kernel's limit of 60000" },
		{ "migrate_mbps=1048577",
		  "migrate_mbps=1048577 is above the kernel's limit of 1048576" },
		{ "perf_period=16777217",
		  "perf_period=16777217 is above the kernel's limit of 16777216" },
		{ "numa_scan_ms=60001", "numa_scan_ms=60001 is above the kernel's limit of 60000" },
		{ "numa_scan_mb=65537", "numa_scan_mb=65537 is above the kernel's limit of 65536" },
	};
	char probe[PATH_MAX + 256], msg[256];
	size_t i;

	/* a copy: tier_test_path() reuses its buffers */
	snprintf(probe, sizeof(probe), "%s", tier_test_path("progs/probe.bpf.o"));
	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		snprintf(msg, sizeof(msg), "tierctl: cannot attach 'probe': %s\n", over[i].msg);
		EXPECT_EQ(1, tierctl(self->out, "load", probe, "--param", over[i].param));
		EXPECT_ONE_LINE(self->out, msg);
		EXPECT_STREQ("disabled", tier_sysfs("state"));
	}
	EXPECT_EQ(1, tierctl(self->out, "load", tier_test_path("progs/over_limit.bpf.o")));
	EXPECT_ONE_LINE(self->out, "tierctl: cannot attach 'over_limit': "
			"tick_ms=60001 is above the kernel's limit of 60000\n");
	EXPECT_STREQ("disabled", tier_sysfs("state"));

	/* at the limit: attached; a swap above it keeps the running policy */
	ASSERT_EQ(0, tierctl(self->out, "load", probe, "--param", "tick_ms=60000"));
	EXPECT_STREQ("probe", tier_sysfs("ops"));
	EXPECT_EQ(1, tierctl(self->out, "swap", probe, "--param", "numa_scan_mb=65537"));
	EXPECT_ONE_LINE(self->out, "tierctl: cannot attach 'probe': "
			"numa_scan_mb=65537 is above the kernel's limit of 65536\n");
	EXPECT_STREQ("enabled", tier_sysfs("state"));
	EXPECT_STREQ("probe", tier_sysfs("ops"));
}

TEST_F(cli, targets)
{
	char pid[16], line[64];

	snprintf(pid, sizeof(pid), "%d", getpid());
	EXPECT_EQ(2, tierctl(self->out, "target"));
	EXPECT_ONE_LINE(self->out, "tierctl: target needs add, del, list or rule");
	EXPECT_EQ(2, tierctl(self->out, "target", "add", "abc"));
	EXPECT_ONE_LINE(self->out, "tierctl: invalid PID: abc");
	EXPECT_EQ(2, tierctl(self->out, "target", "add"));
	EXPECT_ONE_LINE(self->out, "tierctl: missing PID");
	EXPECT_EQ(1, tierctl(self->out, "target", "add", "999999"));
	EXPECT_ONE_LINE(self->out, "tierctl: no process 999999");
	EXPECT_EQ(1, tierctl(self->out, "target", "del", pid));
	snprintf(line, sizeof(line), "tierctl: process %s is not a target", pid);
	EXPECT_ONE_LINE(self->out, line);

	/* a failed load adds no target and loads nothing */
	EXPECT_EQ(1, tierctl(self->out, "load", "static", "--pid", pid, "--pid", "999999"));
	EXPECT_ONE_LINE(self->out, "tierctl: no process 999999");
	EXPECT_STREQ("", tier_sysfs("targets"));
	EXPECT_STREQ("disabled", tier_sysfs("state"));

	ASSERT_EQ(0, tierctl(self->out, "load", "static", "--pid", pid));
	EXPECT_STREQ(pid, tier_sysfs("targets"));
	ASSERT_EQ(0, tierctl(self->out, "target", "list"));
	snprintf(line, sizeof(line), "%s\n", pid);
	EXPECT_STREQ(line, self->out);
	ASSERT_EQ(0, tierctl(self->out, "status"));
	snprintf(line, sizeof(line), "targets:    %s\n", pid);
	EXPECT_NE(NULL, strstr(self->out, line));
	EXPECT_EQ(1, tierctl(self->out, "target", "add", pid));
	snprintf(line, sizeof(line), "tierctl: process %s is a target already", pid);
	EXPECT_ONE_LINE(self->out, line);
	ASSERT_EQ(0, tierctl(self->out, "target", "del", pid));
	EXPECT_STREQ("", tier_sysfs("targets"));
}

TEST_F(cli, target_rules)
{
	char pid[16], line[64];

	snprintf(pid, sizeof(pid), "%d", getpid());
	EXPECT_EQ(2, tierctl(self->out, "target", "rule", "bogus"));
	EXPECT_ONE_LINE(self->out, "tierctl: unknown rule (none, all or cgroup PATH): bogus");
	EXPECT_EQ(2, tierctl(self->out, "target", "rule", "cgroup"));
	EXPECT_ONE_LINE(self->out, "tierctl: cgroup needs a PATH");
	EXPECT_EQ(2, tierctl(self->out, "target", "rule", "all", "extra"));
	EXPECT_ONE_LINE(self->out, "tierctl: unexpected argument: extra");
	EXPECT_EQ(1, tierctl(self->out, "target", "rule", "cgroup", "/proc"));
	EXPECT_ONE_LINE(self->out, "tierctl: /proc is not a cgroup v2 directory");
	EXPECT_EQ(1, tierctl(self->out, "target", "rule", "cgroup", "/no/such/dir"));
	EXPECT_ONE_LINE(self->out, "tierctl: cannot use cgroup /no/such/dir: No such file or directory");
	EXPECT_EQ(2, tierctl(self->out, "load", "static", "--all", "--cgroup", "/proc"));
	EXPECT_ONE_LINE(self->out, "tierctl: only one of --all and --cgroup: --cgroup");
	EXPECT_STREQ("none", tier_sysfs("target_rule"));

	/* --all: every process, this one included, at once */
	ASSERT_EQ(0, tierctl(self->out, "load", "static", "--all"));
	EXPECT_STREQ("all", tier_sysfs("target_rule"));
	snprintf(line, sizeof(line), "\n%s\n", pid);
	{
		char list[8192] = "\n";

		strncat(list, tier_sysfs("targets"), sizeof(list) - 3);
		strcat(list, "\n");
		EXPECT_NE(NULL, strstr(list, line)) TH_LOG("targets: %s", list);
	}
	ASSERT_EQ(0, tierctl(self->out, "status"));
	EXPECT_NE(NULL, strstr(self->out, "rule:       all\n"));
	ASSERT_EQ(0, tierctl(self->out, "target", "rule"));
	EXPECT_STREQ("all\n", self->out);
	ASSERT_EQ(0, tierctl(self->out, "target", "rule", "none"));
	EXPECT_STREQ("", tier_sysfs("targets"));
	ASSERT_EQ(0, tierctl(self->out, "unload"));

	/* a cgroup rule reads back as its directory, not the kernel's id */
	do {
		const char *root = "/sys/fs/cgroup";
		char dir[128], want[200];

		if (access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
			root = "/tmp/tierctl_cgroup2";
			mkdir(root, 0755);
			if (mount("none", root, "cgroup2", 0, NULL))
				break;	/* no cgroup2 here: the rest was checked */
		}
		snprintf(dir, sizeof(dir), "%s/tierctl_test", root);
		ASSERT_EQ(0, mkdir(dir, 0755) && errno != EEXIST ? -1 : 0);
		ASSERT_EQ(0, tierctl(self->out, "target", "rule", "cgroup", dir));
		ASSERT_EQ(0, tierctl(self->out, "target", "rule"));
		snprintf(want, sizeof(want), "cgroup %s\n", dir);
		EXPECT_STREQ(want, self->out);
		ASSERT_EQ(0, tierctl(self->out, "status"));
		snprintf(want, sizeof(want), "rule:       cgroup %s\n", dir);
		EXPECT_NE(NULL, strstr(self->out, want)) {
			TH_LOG("%s", self->out);
		}
		ASSERT_EQ(0, tierctl(self->out, "target", "rule", "none"));
		rmdir(dir);
	} while (0);
}

TEST_F(cli, refuses_numa_balancing_tiering_mode)
{
	if (access("/proc/sys/kernel/numa_balancing", F_OK))
		SKIP(return, "kernel without NUMA balancing");
	ASSERT_EQ(0, tier_write_file("/proc/sys/kernel/numa_balancing", "2"));
	EXPECT_EQ(1, tierctl(self->out, "load", "static"));
	EXPECT_ONE_LINE(self->out, "tierctl: NUMA balancing is in memory tiering mode "
			"(kernel.numa_balancing=2) and would fight the policy; "
			"turn it off first: sysctl kernel.numa_balancing=0");
	EXPECT_STREQ("disabled", tier_sysfs("state"));
	ASSERT_EQ(0, tier_write_file("/proc/sys/kernel/numa_balancing", "0"));
	EXPECT_EQ(0, tierctl(self->out, "load", "static"));
}

/*
 * Injects samples until told to stop, so that they cover tierctl top's
 * whole measurement however late it starts (a loaded TCG guest can take
 * longer than a fixed burst to start it).
 */
static atomic_bool inject_stop;

static void *inject_samples(void *addr)
{
	while (!atomic_load(&inject_stop)) {
		tier_inject(getpid(), (unsigned long)addr, 1, 1);
		usleep(10000);
	}
	return NULL;
}

TEST_F(cli, top_reports_rates_nodes_and_targets)
{
	size_t len = 8 << 20;
	char *buf = numa_alloc_onnode(len, 1), pid[16], *save = NULL, *line, head[64];
	struct json_object *r[2] = { }, *nodes, *t, *n0, *n1;
	int k = 0, tier0 = -1, tier1 = -1;
	double samples = 0;
	pthread_t th;

	ASSERT_NE(NULL, buf);
	memset(buf, 1, len);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, tierctl(self->out, "load", "static", "--pid", pid));
	atomic_store(&inject_stop, false);
	ASSERT_EQ(0, pthread_create(&th, NULL, inject_samples, buf));
	k = tierctl(self->out, "top", "-j", "-n", "2", "-d", "0.3");
	atomic_store(&inject_stop, true);
	pthread_join(th, NULL);
	ASSERT_EQ(0, k);
	k = 0;
	for (line = strtok_r(self->out, "\n", &save); line && k < 2; line = strtok_r(NULL, "\n", &save))
		r[k++] = json_tokener_parse(line);
	ASSERT_NE(NULL, r[0]);
	ASSERT_NE(NULL, r[1]);
	for (k = 0; k < 2; k++) {
		struct json_object *v;

		EXPECT_STREQ("static", json_object_get_string(json_object_object_get(r[k], "policy")));
		v = json_object_object_get(json_object_object_get(r[k], "rates"), "samples");
		ASSERT_NE(NULL, v);
		samples += json_object_get_double(v);
	}
	/* the injected samples show as a rate */
	EXPECT_LT(10, samples);
	/* node 1 is a lower memory tier than node 0 (HMAT) */
	nodes = json_object_object_get(r[1], "nodes");
	for (k = 0; k < (int)json_object_array_length(nodes); k++) {
		struct json_object *n = json_object_array_get_idx(nodes, k);
		int id = json_object_get_int(json_object_object_get(n, "node"));
		int tier = json_object_get_int(json_object_object_get(n, "tier"));

		EXPECT_LT(0, json_object_get_int64(json_object_object_get(n, "bytes")));
		if (id == 0)
			tier0 = tier;
		else if (id == 1)
			tier1 = tier;
	}
	EXPECT_EQ(0, tier0);
	EXPECT_EQ(1, tier1);
	/* our 8 MiB on node 1, counted from numa_maps */
	t = json_object_array_get_idx(json_object_object_get(r[1], "targets"), 0);
	EXPECT_EQ(getpid(), json_object_get_int(json_object_object_get(t, "pid")));
	n0 = json_object_object_get(json_object_object_get(t, "bytes"), "0");
	n1 = json_object_object_get(json_object_object_get(t, "bytes"), "1");
	ASSERT_NE(NULL, n0);
	ASSERT_NE(NULL, n1);
	EXPECT_LE(len, json_object_get_uint64(n1));
	json_object_put(r[0]);
	json_object_put(r[1]);

	/* text: a column per target, a row per node with its tier */
	ASSERT_EQ(0, tierctl(self->out, "top", "-n", "1", "-d", "0.1"));
	snprintf(head, sizeof(head), "pid %s", pid);
	EXPECT_NE(NULL, strstr(self->out, head)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\n   1    1 ")) TH_LOG("%s", self->out);
	EXPECT_EQ(2, tierctl(self->out, "top", "-d", "0"));
	EXPECT_ONE_LINE(self->out, "tierctl: --delay needs seconds, 0.1 to 3600: 0");
	numa_free(buf, len);
}

TEST_HARNESS_MAIN
