// SPDX-License-Identifier: GPL-2.0
/*
 * tierctl: load, swap, unload and inspect tier_ext tiering policies.
 *
 * The attached policy's struct_ops link is pinned in /sys/fs/bpf/tier_ext/
 * together with its "stats" and ".rodata" maps, so tierctl can exit and a
 * later `tierctl swap` replaces the policy atomically through the pinned
 * link (BPF_LINK_UPDATE).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <mntent.h>
#include <numa.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "memtier.h"
#include "policy.h"

#define SYSFS_DIR	"/sys/kernel/mm/tier_ext"
#define BPFFS		"/sys/fs/bpf"
#define PIN_DIR		BPFFS "/tier_ext"
#define PIN_LINK	PIN_DIR "/link"
#define PIN_STATS	PIN_DIR "/stats"
#define PIN_RODATA	PIN_DIR "/rodata"
#define BPF_FS_MAGIC_	0xcafe4a11
#define CGROUP2_SUPER_MAGIC_	0x63677270

#define MAX_PARAMS_ARGS	TIER_MAX_PARAMS

static bool verbose, json, pretty;

static const char usage_text[] =
"Usage: tierctl [OPTIONS] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  load POLICY [--param NAME=VALUE]... [--pid PID]... [--cgroup PATH | --all]\n"
"                                        attach a policy (and add targets)\n"
"  swap POLICY [--param NAME=VALUE]... [--pid PID]... [--cgroup PATH | --all]\n"
"                                        replace the attached policy atomically\n"
"  unload                                detach the policy\n"
"  target add|del PID...                 add or remove target processes\n"
"  target list                           list target processes\n"
"  target rule [none | all | cgroup PATH]\n"
"                                        show or set the rule that adds targets:\n"
"                                        every process, or those of a cgroup v2\n"
"  status                                state, policy, targets, last exit, counters\n"
"  list                                  installed policies and their parameters\n"
"  top [-d SEC] [-n COUNT] [--pid PID]...\n"
"                                        counter rates, memory per node and per\n"
"                                        target, every SEC seconds\n"
"\n"
"POLICY is a name from 'tierctl list' or a path to a .bpf.o file.\n"
"Options (before or after the command):\n"
"  -j, --json      JSON output (status, list, target list, top)\n"
"  -p, --pretty    JSON output, indented\n"
"  -v, --verbose   show libbpf and verifier output\n"
"  -h, --help      show this help; 'tierctl COMMAND --help': that command's\n"
"\n"
"Exit status: 0 success, 1 the operation failed, 2 a usage error.\n"
"Policies are looked up in $TIER_POLICY_DIR, else next to tierctl.\n";

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;	/* for 'tierctl NAME --help' */
};

#define POLICY_OPTS_HELP						\
"Options:\n"								\
"  --param NAME=VALUE  set a parameter of the policy ('tierctl list' shows\n" \
"                      each one's default and range); repeatable\n"	\
"  --pid PID           add a target process; repeatable\n"		\
"  --cgroup PATH       set the target rule: every process of a cgroup v2\n" \
"  --all               set the target rule: every process\n"

static const char help_load[] =
"Usage: tierctl load POLICY [--param NAME=VALUE]... [--pid PID]... [--cgroup PATH | --all]\n"
"\n"
"Attach POLICY (a name from 'tierctl list' or a path to a .bpf.o file),\n"
"pin it under " PIN_DIR " and add the targets; nothing is left\n"
"changed if any step fails. Fails if a policy is attached ('tierctl swap').\n"
"\n" POLICY_OPTS_HELP;

static const char help_swap[] =
"Usage: tierctl swap POLICY [--param NAME=VALUE]... [--pid PID]... [--cgroup PATH | --all]\n"
"\n"
"Replace the attached policy with POLICY in one step (BPF_LINK_UPDATE):\n"
"targets stay, no moment without a policy. Fails if none is attached.\n"
"\n" POLICY_OPTS_HELP;

static const char help_unload[] =
"Usage: tierctl unload\n"
"\n"
"Detach the policy and remove its pins. Targets and the target rule stay.\n";

static const char help_target[] =
"Usage: tierctl target add|del PID...\n"
"       tierctl target list\n"
"       tierctl target rule [none | all | cgroup PATH]\n"
"\n"
"Add or remove target processes (the processes whose memory the policy\n"
"tiers), list them (-j: a JSON array), or show or set the rule that adds\n"
"them: none, every process, or every process of a cgroup v2 directory.\n";

static const char help_status[] =
"Usage: tierctl status\n"
"\n"
"State, attached policy, targets, target rule, the last exit and its\n"
"reason, the kernel's counters (/proc/vmstat tier_ext_*) and, as root, the\n"
"policy's parameters and statistics. -j/-p: one JSON object.\n";

static const char help_list[] =
"Usage: tierctl list\n"
"\n"
"The installed policies with their description and parameters (default,\n"
"range, meaning). -j/-p: a JSON array.\n";

static const char help_top[] =
"Usage: tierctl top [-d SEC] [-n COUNT] [--pid PID]...\n"
"\n"
"Every SEC seconds (-d, --delay; 1), COUNT times (-n, --count; until\n"
"interrupted): the tier_ext counters that changed, per second\n"
"(/proc/vmstat tier_ext_*); per NUMA node its memory tier (0 the fastest,\n"
"from " "/sys/devices/virtual/memory_tiering), size and free memory; and the\n"
"memory of each target and each --pid on each node (the first 16; from\n"
"/proc/PID/numa_maps, as numastat -p). Text in MiB, redrawn on a terminal;\n"
"-j/-p: one JSON object per report, sizes in bytes, every counter's rate.\n";

static __attribute__((format(printf, 1, 2)))
int error(const char *fmt, ...)
{
	va_list ap;

	fputs("tierctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "tierctl: %s%s%s (see 'tierctl --help')\n", msg,
		arg ? ": " : "", arg ? arg : "");
	return 2;
}

/* Print @obj (consumed) as JSON, indented with -p. */
static int json_print(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED :
			  JSON_C_TO_STRING_PLAIN;
	puts(json_object_to_json_string_ext(obj, flags));
	json_object_put(obj);
	return 0;
}

/* The sysfs "targets" file (one PID per line) as a JSON array. */
static struct json_object *targets_json(const char *buf)
{
	struct json_object *arr = json_object_new_array();
	const char *c = buf;
	char *end;

	while (*c) {
		long pid = strtol(c, &end, 10);

		if (end == c)
			break;
		json_object_array_add(arr, json_object_new_int64(pid));
		c = end;
		while (*c == '\n' || *c == ' ')
			c++;
	}
	return arr;
}

static int libbpf_print(enum libbpf_print_level level __attribute__((unused)),
			const char *fmt, va_list args)
{
	if (!verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int read_sysfs(const char *name, char *buf, size_t len)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_DIR "/%s", name);
	f = fopen(path, "r");
	if (!f) {
		buf[0] = '\0';
		return -errno;
	}
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

static int check_kernel(void)
{
	struct statfs st;

	if (access(SYSFS_DIR, F_OK))
		return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
			     SYSFS_DIR " is missing");
	if (statfs(BPFFS, &st) || st.f_type != BPF_FS_MAGIC_)
		return error(BPFFS " is not a BPF file system "
			     "(mount -t bpf bpf " BPFFS ")");
	return 0;
}

/* The kernel refuses too; this says what to do about it. */
static int check_numa_balancing(void)
{
	FILE *f = fopen("/proc/sys/kernel/numa_balancing", "r");
	int mode = 0;

	if (f) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = 0;
		fclose(f);
	}
	if (mode & 2)
		return error("NUMA balancing is in memory tiering mode "
			     "(kernel.numa_balancing=%d) and would fight the policy; "
			     "turn it off first: sysctl kernel.numa_balancing=0", mode);
	return 0;
}

/*
 * The target_rule line for "none", "all" or "cgroup PATH": a cgroup is
 * named by its id, the inode number of its cgroup2 directory.
 */
static int rule_line(const char *kind, const char *path, char *buf, size_t len)
{
	struct statfs sfs;
	struct stat st;

	if (!strcmp(kind, "none") || !strcmp(kind, "all")) {
		if (path)
			return usage_error("unexpected argument", path);
		snprintf(buf, len, "%s", kind);
		return 0;
	}
	if (strcmp(kind, "cgroup"))
		return usage_error("unknown rule (none, all or cgroup PATH)", kind);
	if (!path)
		return usage_error("cgroup needs a PATH", NULL);
	if (stat(path, &st) || statfs(path, &sfs))
		return error("cannot use cgroup %s: %s", path, strerror(errno));
	if (sfs.f_type != CGROUP2_SUPER_MAGIC_ || !S_ISDIR(st.st_mode))
		return error("%s is not a cgroup v2 directory", path);
	snprintf(buf, len, "cgroup %llu", (unsigned long long)st.st_ino);
	return 0;
}

/* nftw() has no context argument: the cgroup searched for, and its path. */
static unsigned long long cg_want;
static char cg_path[PATH_MAX];

static int cg_visit(const char *path, const struct stat *st, int type,
		    struct FTW *ftw __attribute__((unused)))
{
	if (type != FTW_D || st->st_ino != cg_want)
		return 0;
	snprintf(cg_path, sizeof(cg_path), "%s", path);
	return 1;
}

/*
 * The target rule as a user reads it: the kernel names a cgroup by its id
 * (the inode number of its cgroup2 directory); show the directory in the
 * mounted cgroup2 hierarchies, or the id if none has it.
 */
static void rule_show(const char *rule, char *out, size_t len)
{
	struct mntent *m;
	FILE *f;

	if (sscanf(rule, "cgroup %llu", &cg_want) != 1) {
		snprintf(out, len, "%s", rule);
		return;
	}
	cg_path[0] = '\0';
	f = setmntent("/proc/self/mounts", "r");
	while (f && !*cg_path && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2"))
			nftw(m->mnt_dir, cg_visit, 16, FTW_PHYS | FTW_MOUNT);
	if (f)
		endmntent(f);
	if (*cg_path)
		snprintf(out, len, "cgroup %s", cg_path);
	else
		snprintf(out, len, "cgroup id %llu (not in a mounted cgroup2 hierarchy)",
			 cg_want);
}

static int write_rule(const char *line)
{
	int fd = open(SYSFS_DIR "/target_rule", O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return error("cannot open " SYSFS_DIR "/target_rule: %s",
			     strerror(errno));
	if (write(fd, line, strlen(line)) < 0)
		ret = error("cannot set the target rule '%s': %s", line,
			    strerror(errno));
	close(fd);
	return ret;
}

static int check_root(void)
{
	if (geteuid() != 0)
		return error("must be run as root");
	return 0;
}

/* Serialise tierctl instances; the lock goes with the process. */
static int lock_pins(void)
{
	int fd;

	if (mkdir(PIN_DIR, 0700) && errno != EEXIST)
		return -error("cannot create " PIN_DIR ": %s", strerror(errno));
	fd = open(PIN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX))
		return -error("cannot lock " PIN_DIR ": %s", strerror(errno));
	return fd;
}

static void unpin_all(void)
{
	unlink(PIN_LINK);
	unlink(PIN_STATS);
	unlink(PIN_RODATA);
}

static int pin_maps(struct tier_policy *p)
{
	unlink(PIN_STATS);
	unlink(PIN_RODATA);
	if (p->stats_map && bpf_map__pin(p->stats_map, PIN_STATS))
		return -errno;
	if (p->rodata_map && bpf_map__pin(p->rodata_map, PIN_RODATA))
		return -errno;
	return 0;
}

static bool link_pinned(void)
{
	return access(PIN_LINK, F_OK) == 0;
}

/* Explain a failed attach or update, using the kernel's exit record. */
static int attach_error(const char *policy, int err, const char *exit_before)
{
	char reason[1200], ops[160];

	if (err == -EBUSY) {
		read_sysfs("ops", ops, sizeof(ops));
		return error("cannot attach '%s': policy '%s' is attached "
			     "(use 'tierctl swap' or 'tierctl unload')", policy, ops);
	}
	read_sysfs("exit_reason", reason, sizeof(reason));
	if (*reason && strcmp(reason, exit_before))
		return error("policy '%s' failed to initialise: %s", policy, reason);
	/* tier_policy_check_ops() names the value; a kernel without BTF lands here */
	if (err == -E2BIG)
		return error("cannot attach '%s': a member of its struct tier_ext_ops "
			     "is above the kernel's limit (tick_ms, migrate_mbps, "
			     "perf_period, numa_scan_ms or numa_scan_mb)", policy);
	return error("cannot attach '%s': %s", policy, strerror(-err));
}

/* A target's pid: a positive decimal number. */
static int parse_pid(const char *s, int *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > 0x3fffffff)
		return -1;
	*pid = v;
	return 0;
}

static int parse_policy_args(int argc, char **argv, const char **name,
			     const char **params, int *nr_params,
			     int *pids, int *nr_pids, char *rule, size_t rule_len)
{
	static const struct option opts[] = {
		{ "param", required_argument, NULL, 'P' },
		{ "pid", required_argument, NULL, 'i' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "all", no_argument, NULL, 'a' },
		{ 0 }
	};
	int c, err;

	*name = NULL;
	*nr_params = 0;
	*nr_pids = 0;
	*rule = '\0';
	opterr = 0;
	optind = 0;	/* glibc: restart, permuting: POLICY may come anywhere */
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (*nr_params == MAX_PARAMS_ARGS)
				return usage_error("too many --param options", NULL);
			params[(*nr_params)++] = optarg;
			break;
		case 'i':
			if (parse_pid(optarg, &pids[*nr_pids]))
				return usage_error("invalid PID", optarg);
			if (++*nr_pids == MAX_PARAMS_ARGS)
				return usage_error("too many --pid options", NULL);
			break;
		case 'a':
		case 'c':
			if (*rule)
				return usage_error("only one of --all and --cgroup",
						   c == 'a' ? "--all" : "--cgroup");
			if (c == 'a') {
				snprintf(rule, rule_len, "all");
				break;
			}
			err = rule_line("cgroup", optarg, rule, rule_len);
			if (err)
				return err;
			break;
		case ':':
			if (optopt == 'P')
				return usage_error("--param needs NAME=VALUE", NULL);
			if (optopt == 'i')
				return usage_error("--pid needs a PID", NULL);
			return usage_error("--cgroup needs a PATH", NULL);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		*name = argv[optind++];
	if (optind < argc && strchr(argv[optind], '=') && argv[optind][0] != '/')
		return usage_error("unexpected argument (a parameter is --param NAME=VALUE)",
				   argv[optind]);
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!*name)
		return usage_error("missing POLICY", NULL);
	return 0;
}

/* Write "+PID" or "-PID" to the kernel's target set; 0 or -errno. */
static int target_write(char op, int pid)
{
	char buf[32];
	int fd, ret = 0;

	fd = open(SYSFS_DIR "/targets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%c%d", op, pid);
	if (write(fd, buf, strlen(buf)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int target_error(char op, int pid, int err)
{
	if (op == '+' && err == -ESRCH)
		return error("no process %d", pid);
	if (op == '+' && err == -EEXIST)
		return error("process %d is a target already", pid);
	if (op == '+' && err == -ENOSPC)
		return error("cannot add process %d: too many targets", pid);
	if (op == '-' && err == -ENOENT)
		return error("process %d is not a target", pid);
	return error("cannot %s target %d: %s", op == '+' ? "add" : "remove",
		     pid, strerror(-err));
}

/* Undo add_targets(): remove the targets it added. */
static void remove_added(const int *pids, const bool *added, int nr)
{
	while (nr--)
		if (added[nr])
			target_write('-', pids[nr]);
}

/* Add targets (existing ones are fine); on failure, undo. */
static int add_targets(const int *pids, bool *added, int nr)
{
	int i, err;

	for (i = 0; i < nr; i++) {
		err = target_write('+', pids[i]);
		added[i] = !err;
		if (err && err != -EEXIST) {
			target_error('+', pids[i], err);
			remove_added(pids, added, i);
			return 1;
		}
	}
	return 0;
}

/* Undo what cmd_load() did to the targets before a failed attach. */
static void undo_targets(const int *pids, const bool *added, int nr,
			 const char *rule, const char *old_rule)
{
	remove_added(pids, added, nr);
	if (*rule && *old_rule)
		write_rule(old_rule);
}

static int cmd_load(int argc, char **argv, bool swap)
{
	const char *params[MAX_PARAMS_ARGS], *name;
	int pids[MAX_PARAMS_ARGS], nr_pids;
	bool added[MAX_PARAMS_ARGS] = { false };
	char path[4096], err[TIER_ERR_LEN], state[64], ops[160];
	char exit_before[1200], rule[64], old_rule[64];
	struct bpf_link *link = NULL;
	struct tier_policy p;
	int nr_params, i, ret, lock;

	ret = parse_policy_args(argc, argv, &name, params, &nr_params, pids,
				&nr_pids, rule, sizeof(rule));
	if (ret)
		return ret;
	if (tier_policy_resolve(name, path, sizeof(path), err))
		return error("%s", err);
	if (tier_policy_open(&p, path, err))
		return error("%s", err);
	for (i = 0; i < nr_params; i++) {
		if (tier_policy_set_param(&p, params[i], err)) {
			tier_policy_close(&p);
			return error("%s", err);
		}
	}
	if (check_root() || check_kernel() || check_numa_balancing()) {
		tier_policy_close(&p);
		return 1;
	}
	if (tier_policy_check_ops(&p, err)) {
		tier_policy_close(&p);
		return error("cannot attach '%s': %s", p.name, err);
	}
	lock = lock_pins();
	if (lock < 0) {
		tier_policy_close(&p);
		return 1;
	}

	ret = 1;
	read_sysfs("state", state, sizeof(state));
	read_sysfs("ops", ops, sizeof(ops));
	if (!swap && link_pinned()) {
		if (strcmp(state, "disabled")) {
			error("policy '%s' is already loaded (use 'tierctl swap' or "
			      "'tierctl unload')", ops);
			goto out;
		}
		/* The pinned policy was ejected; its exit record stays in sysfs. */
		unpin_all();
	} else if (!swap && strcmp(state, "disabled")) {
		error("policy '%s' is attached by another program", ops);
		goto out;
	} else if (swap && !link_pinned()) {
		error("no policy is loaded (use 'tierctl load')");
		goto out;
	}

	if (bpf_object__load(p.obj)) {
		error("the kernel rejected policy '%s': %s%s", p.name,
		      strerror(errno), verbose ? "" :
		      " (rerun with -v for the verifier log)");
		goto out;
	}
	read_sysfs("exit_reason", exit_before, sizeof(exit_before));
	read_sysfs("target_rule", old_rule, sizeof(old_rule));
	if (add_targets(pids, added, nr_pids))
		goto out;
	if (*rule && write_rule(rule)) {
		remove_added(pids, added, nr_pids);
		goto out;
	}

	if (!swap) {
		link = bpf_map__attach_struct_ops(p.ops_map);
		if (!link) {
			attach_error(p.name, -errno, exit_before);
			undo_targets(pids, added, nr_pids, rule, old_rule);
			goto out;
		}
		if (bpf_link__pin(link, PIN_LINK) || pin_maps(&p)) {
			error("cannot pin policy '%s' in " PIN_DIR ": %s", p.name,
			      strerror(errno));
			bpf_link__detach(link);
			unpin_all();
			undo_targets(pids, added, nr_pids, rule, old_rule);
			goto out;
		}
	} else {
		link = bpf_link__open(PIN_LINK);
		if (!link) {
			error("cannot open " PIN_LINK ": %s", strerror(errno));
			goto out;
		}
		if (bpf_link__update_map(link, p.ops_map)) {
			attach_error(p.name, -errno, exit_before);
			undo_targets(pids, added, nr_pids, rule, old_rule);
			goto out;
		}
		/* The link holds the new policy whatever happens to the pins. */
		if (pin_maps(&p))
			fprintf(stderr, "tierctl: warning: cannot pin the maps of '%s': %s\n",
				p.name, strerror(errno));
	}
	ret = 0;
out:
	bpf_link__destroy(link);
	tier_policy_close(&p);
	close(lock);
	return ret;
}

static int cmd_unload(int argc, char **argv)
{
	struct bpf_link *link;
	int lock, ret = 1;

	if (argc > 1)
		return usage_error("unexpected argument", argv[1]);
	if (check_root() || check_kernel())
		return 1;
	lock = lock_pins();
	if (lock < 0)
		return 1;
	link = bpf_link__open(PIN_LINK);
	if (!link) {
		if (errno == ENOENT)
			error("no policy is loaded");
		else
			error("cannot open " PIN_LINK ": %s", strerror(errno));
		goto out;
	}
	if (bpf_link__detach(link)) {
		error("cannot detach the policy: %s", strerror(errno));
		bpf_link__destroy(link);
		goto out;
	}
	bpf_link__destroy(link);
	unpin_all();
	ret = 0;
out:
	close(lock);
	return ret;
}

static int cmd_target(int argc, char **argv)
{
	char buf[4096];
	int i, pid, err;
	char op;

	if (argc < 2)
		return usage_error("target needs add, del, list or rule", NULL);
	if (!strcmp(argv[1], "rule")) {
		if (access(SYSFS_DIR, F_OK))
			return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
				     SYSFS_DIR " is missing");
		if (argc == 2) {
			char rule[64];

			read_sysfs("target_rule", rule, sizeof(rule));
			rule_show(rule, buf, sizeof(buf));
			printf("%s\n", buf);
			return 0;
		}
		if (argc > 4)
			return usage_error("unexpected argument", argv[4]);
		err = rule_line(argv[2], argc > 3 ? argv[3] : NULL, buf, sizeof(buf));
		if (err)
			return err;
		if (check_root())
			return 1;
		return write_rule(buf);
	}
	if (!strcmp(argv[1], "list")) {
		if (argc > 2)
			return usage_error("unexpected argument", argv[2]);
		if (access(SYSFS_DIR, F_OK))
			return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
				     SYSFS_DIR " is missing");
		read_sysfs("targets", buf, sizeof(buf));
		if (json)
			return json_print(targets_json(buf));
		if (*buf)
			printf("%s\n", buf);
		return 0;
	}
	if (!strcmp(argv[1], "add"))
		op = '+';
	else if (!strcmp(argv[1], "del"))
		op = '-';
	else
		return usage_error("unknown target command", argv[1]);
	if (argc < 3)
		return usage_error("missing PID", NULL);
	for (i = 2; i < argc; i++)
		if (parse_pid(argv[i], &pid))
			return usage_error("invalid PID", argv[i]);
	if (check_root() || check_kernel())
		return 1;
	for (i = 2; i < argc; i++) {
		parse_pid(argv[i], &pid);
		err = target_write(op, pid);
		if (err)
			return target_error(op, pid, err);
	}
	return 0;
}

/* Call fn for every tier_ext_* counter of /proc/vmstat, without the prefix. */
static void vmstat_visit(tier_stat_fn fn, void *ctx)
{
	char line[256];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long v;

		if (strncmp(line, "tier_ext_", 9) ||
		    sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		fn(ctx, name + 9, v);
	}
	fclose(f);
}

/* Text: " name=value" after the first; JSON: a member of the object. */
struct kv_out {
	struct json_object *obj;
	int n;
};

static void kv_stat(void *ctx, const char *name, unsigned long long v)
{
	struct kv_out *o = ctx;

	if (o->obj)
		json_object_object_add(o->obj, name, json_object_new_uint64(v));
	else
		printf("%s%s=%llu", o->n++ ? " " : "", name, v);
}

static void kv_param(void *ctx, const char *name, long long v)
{
	struct kv_out *o = ctx;

	if (o->obj)
		json_object_object_add(o->obj, name, json_object_new_int64(v));
	else
		printf("%s%s=%lld", o->n++ ? " " : "", name, v);
}

/* A pinned map of the policy: its parameters (.rodata) or its stats. */
enum pinned { PINNED_PARAMS, PINNED_STATS };

/* As a text line after @label, or as member @label of @root. */
static void print_pinned(struct json_object *root, const char *label,
			 enum pinned which)
{
	struct kv_out o = { 0 };
	int fd = bpf_obj_get(which == PINNED_STATS ? PIN_STATS : PIN_RODATA);
	int err;

	if (fd < 0)
		return;
	if (root)
		o.obj = json_object_new_object();
	else
		printf("%-12s", label);
	err = which == PINNED_STATS ? tier_stats_visit(fd, kv_stat, &o) :
				      tier_params_visit(fd, kv_param, &o);
	if (root) {
		if (err) {
			json_object_put(o.obj);
			o.obj = NULL;
		}
		json_object_object_add(root, label, o.obj);
	} else {
		printf("%s\n", err ? "(unreadable)" : "");
	}
	close(fd);
}

static int cmd_status(int argc, char **argv)
{
	char state[64], ops[160], seq[32], targets[1200], raw_rule[64];
	char rule[PATH_MAX + 64], kind[64], reason[1200];
	struct json_object *root, *o;
	struct kv_out counters = { 0 };

	if (argc > 1)
		return usage_error("unexpected argument", argv[1]);
	if (access(SYSFS_DIR, F_OK))
		return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
			     SYSFS_DIR " is missing");
	read_sysfs("state", state, sizeof(state));
	read_sysfs("ops", ops, sizeof(ops));
	read_sysfs("enable_seq", seq, sizeof(seq));
	read_sysfs("targets", targets, sizeof(targets));
	read_sysfs("target_rule", raw_rule, sizeof(raw_rule));
	rule_show(raw_rule, rule, sizeof(rule));
	read_sysfs("exit_kind", kind, sizeof(kind));
	read_sysfs("exit_reason", reason, sizeof(reason));

	if (json) {
		root = json_object_new_object();
		json_object_object_add(root, "state", json_object_new_string(state));
		json_object_object_add(root, "policy", *ops ? json_object_new_string(ops) : NULL);
		json_object_object_add(root, "enable_seq", json_object_new_int64(atoll(seq)));
		json_object_object_add(root, "targets", targets_json(targets));
		json_object_object_add(root, "rule", json_object_new_string(rule));
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(kind));
		json_object_object_add(o, "reason", json_object_new_string(reason));
		json_object_object_add(root, "last_exit", o);
		counters.obj = json_object_new_object();
		vmstat_visit(kv_stat, &counters);
		json_object_object_add(root, "counters", counters.obj);
		if (geteuid() == 0) {
			print_pinned(root, "params", PINNED_PARAMS);
			print_pinned(root, "stats", PINNED_STATS);
		}
		return json_print(root);
	}
	for (char *c = targets; *c; c++)
		if (*c == '\n')
			*c = ' ';
	printf("state:      %s\n", state);
	printf("policy:     %s\n", *ops ? ops : "-");
	printf("enable_seq: %s\n", seq);
	printf("targets:    %s\n", *targets ? targets : "-");
	printf("rule:       %s\n", *rule ? rule : "-");
	printf("last_exit:  %s%s%s\n", kind, *reason ? " - " : "", reason);
	printf("counters:   ");
	vmstat_visit(kv_stat, &counters);
	printf("\n");
	if (geteuid() == 0) {
		print_pinned(NULL, "params:", PINNED_PARAMS);
		print_pinned(NULL, "stats:", PINNED_STATS);
	}
	return 0;
}

static int filter_policy(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 6 && !strcmp(d->d_name + n - 6, ".bpf.o");
}

static int cmd_list(int argc, char **argv)
{
	const char *dir = tier_policy_dir();
	char path[4096], err[TIER_ERR_LEN];
	struct dirent **ents;
	struct json_object *arr = NULL;
	struct tier_policy p;
	int n, i, j, ret = 0;

	if (argc > 1)
		return usage_error("unexpected argument", argv[1]);
	n = scandir(dir, &ents, filter_policy, alphasort);
	if (n < 0)
		return error("cannot read policy directory %s: %s", dir,
			     strerror(errno));
	if (json && n)
		arr = json_object_new_array();
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (tier_policy_open(&p, path, err)) {
			ret = error("%s", err);
			continue;
		}
		if (arr) {
			struct json_object *o = json_object_new_object(), *prms;
			char *real = realpath(path, NULL);

			json_object_object_add(o, "name", json_object_new_string(p.name));
			json_object_object_add(o, "description",
					       json_object_new_string(p.desc ? p.desc : ""));
			json_object_object_add(o, "path", json_object_new_string(real ? real : path));
			free(real);
			prms = json_object_new_array();
			for (j = 0; j < p.nr_params; j++) {
				const struct tier_param *prm = &p.params[j];
				struct json_object *po = json_object_new_object();

				json_object_object_add(po, "name",
						       json_object_new_string(prm->desc->name));
				json_object_object_add(po, "default",
						       json_object_new_int64(tier_param_value(prm)));
				json_object_object_add(po, "min", json_object_new_int64(prm->desc->min));
				json_object_object_add(po, "max", json_object_new_int64(prm->desc->max));
				json_object_object_add(po, "description",
						       json_object_new_string(prm->desc->desc));
				json_object_array_add(prms, po);
			}
			json_object_object_add(o, "params", prms);
			json_object_array_add(arr, o);
			tier_policy_close(&p);
			continue;
		}
		printf("%-10s %s\n", p.name, p.desc ? p.desc : "");
		for (j = 0; j < p.nr_params; j++) {
			const struct tier_param *prm = &p.params[j];
			char def[96];

			snprintf(def, sizeof(def), "%s=%lld", prm->desc->name,
				 tier_param_value(prm));
			printf("  --param %-24s [%lld..%lld] %s\n", def,
			       prm->desc->min, prm->desc->max, prm->desc->desc);
		}
		tier_policy_close(&p);
	}
	free(ents);
	if (!n)
		return error("no policies in %s", dir);
	if (arr)
		json_print(arr);
	return ret;
}

/*
 * tierctl top: what the policy does, every interval. Rates are the
 * tier_ext_* counters of /proc/vmstat per second; per node its memory
 * tier (rank in /sys/devices/virtual/memory_tiering, 0 the fastest), size
 * and free memory (libnuma); per target (and --pid) its memory on each
 * node, summed from /proc/PID/numa_maps as numastat -p does.
 */
#define TOP_MAX_COUNTERS	64
#define TOP_MAX_PIDS		16
#define TOP_MAX_NODES		64

struct counters {
	int n;
	char name[TOP_MAX_COUNTERS][48];
	unsigned long long v[TOP_MAX_COUNTERS];
};

static void counter_add(void *ctx, const char *name, unsigned long long v)
{
	struct counters *c = ctx;

	if (c->n == TOP_MAX_COUNTERS)
		return;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
	c->v[c->n++] = v;
}

/* Bytes of process @pid on each node, from numa_maps; -1 if it is gone. */
static int pid_node_bytes(int pid, unsigned long long *bytes, int max_node)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(bytes, 0, sizeof(*bytes) * (max_node + 1));
	while (getline(&line, &cap, f) > 0) {
		unsigned long long kb = 4, pages[TOP_MAX_NODES] = { 0 };
		char *save, *tok;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
			unsigned int node;
			unsigned long long v;

			if (sscanf(tok, "N%u=%llu", &node, &v) == 2 && node <= (unsigned int)max_node)
				pages[node] = v;
			else
				sscanf(tok, "kernelpagesize_kB=%llu", &kb);
		}
		for (int k = 0; k <= max_node; k++)
			bytes[k] += pages[k] * kb * 1024;
	}
	free(line);
	fclose(f);
	return 0;
}

static volatile sig_atomic_t top_stop;

static void top_signal(int sig __attribute__((unused)))
{
	top_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One report: the rates since @prev (taken @dt seconds ago). */
static void top_report(const struct counters *prev, const struct counters *cur, double dt,
		       double interval, const int *pids, int nr_pids, int nr_targets)
{
	int max_node = numa_max_node(), rank[TOP_MAX_NODES], shown = 0;
	unsigned long long bytes[TOP_MAX_PIDS][TOP_MAX_NODES];
	bool alive[TOP_MAX_PIDS], has_mem[TOP_MAX_NODES];
	char state[64], ops[160], tier[16];
	struct json_object *root = NULL, *rates = NULL, *nodes = NULL, *tgts = NULL;

	if (max_node >= TOP_MAX_NODES)
		max_node = TOP_MAX_NODES - 1;
	memtier_ranks(rank, max_node + 1);
	for (int p = 0; p < nr_pids; p++)
		alive[p] = !pid_node_bytes(pids[p], bytes[p], max_node);
	read_sysfs("state", state, sizeof(state));
	read_sysfs("ops", ops, sizeof(ops));
	if (json) {
		root = json_object_new_object();
		rates = json_object_new_object();
		nodes = json_object_new_array();
		tgts = json_object_new_array();
		json_object_object_add(root, "interval_s", json_object_new_double(dt));
		json_object_object_add(root, "state", json_object_new_string(state));
		json_object_object_add(root, "policy", *ops ? json_object_new_string(ops) : NULL);
	} else {
		if (isatty(STDOUT_FILENO))
			fputs("\033[H\033[2J", stdout);	/* redraw, as top does */
		printf("tier_ext: %s, policy %s, %d target%s; every %.1f s\n", state,
		       *ops ? ops : "-", nr_targets, nr_targets == 1 ? "" : "s", interval);
		printf("per second:");
	}
	for (int i = 0; i < cur->n; i++) {
		unsigned long long before = 0;
		double rate;

		for (int k = 0; k < prev->n; k++)
			if (!strcmp(prev->name[k], cur->name[i]))
				before = prev->v[k];
		rate = (cur->v[i] - before) / dt;
		if (json) {
			json_object_object_add(rates, cur->name[i], json_object_new_double(rate));
		} else if (cur->v[i] != before) {
			printf(" %s=%.1f", cur->name[i], rate);
			shown++;
		}
	}
	if (!json) {
		printf("%s\n%4s %4s %9s %9s", shown ? "" : " -", "node", "tier", "MiB", "free");
		for (int p = 0; p < nr_pids; p++) {
			char col[24];

			snprintf(col, sizeof(col), "pid %d", pids[p]);
			printf(" %15s", col);
		}
		printf("\n");
	}
	for (int k = 0; k <= max_node; k++) {
		long long free_b, size = numa_node_size64(k, &free_b);

		has_mem[k] = size > 0;
		if (!has_mem[k])
			continue;
		if (json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "node", json_object_new_int(k));
			json_object_object_add(o, "tier", rank[k] >= 0 ? json_object_new_int(rank[k]) : NULL);
			json_object_object_add(o, "bytes", json_object_new_int64(size));
			json_object_object_add(o, "free", json_object_new_int64(free_b));
			json_object_array_add(nodes, o);
			continue;
		}
		snprintf(tier, sizeof(tier), "%d", rank[k]);
		printf("%4d %4s %9.1f %9.1f", k, rank[k] >= 0 ? tier : "-",
		       size / 1048576.0, free_b / 1048576.0);
		for (int p = 0; p < nr_pids; p++)
			if (alive[p])
				printf(" %15.1f", bytes[p][k] / 1048576.0);
			else
				printf(" %15s", "(gone)");
		printf("\n");
	}
	if (!json) {
		printf("(memory in MiB; tier 0 is the fastest memory tier)\n");
		fflush(stdout);
		return;
	}
	for (int p = 0; p < nr_pids; p++) {
		struct json_object *o = json_object_new_object(), *per = json_object_new_object();

		json_object_object_add(o, "pid", json_object_new_int(pids[p]));
		for (int k = 0; alive[p] && k <= max_node; k++) {
			char key[16];

			if (!has_mem[k])
				continue;
			snprintf(key, sizeof(key), "%d", k);
			json_object_object_add(per, key, json_object_new_uint64(bytes[p][k]));
		}
		json_object_object_add(o, "bytes", alive[p] ? per : NULL);
		if (!alive[p])
			json_object_put(per);
		json_object_array_add(tgts, o);
	}
	json_object_object_add(root, "rates", rates);
	json_object_object_add(root, "nodes", nodes);
	json_object_object_add(root, "targets", tgts);
	json_print(root);
	fflush(stdout);
}

static int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'i' },
		{ 0 }
	};
	int pids[TOP_MAX_PIDS], nr_pids = 0, nr_given = 0, nr_targets, c;
	struct counters prev = { 0 }, cur = { 0 };
	double delay = 1.0, t0;
	long count = -1;
	char targets[1200], *end;

	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":d:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delay = strtod(optarg, &end);
			if (end == optarg || *end || !(delay >= 0.1 && delay <= 3600))
				return usage_error("--delay needs seconds, 0.1 to 3600", optarg);
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || count <= 0)
				return usage_error("--count needs a positive number", optarg);
			break;
		case 'i':
			if (nr_pids == TOP_MAX_PIDS)
				return usage_error("too many --pid options", NULL);
			if (parse_pid(optarg, &pids[nr_pids]))
				return usage_error("invalid PID", optarg);
			nr_pids++;
			break;
		case ':':
			return usage_error("option needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (access(SYSFS_DIR, F_OK))
		return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
			     SYSFS_DIR " is missing");
	if (numa_available() < 0)
		return error("this kernel has no NUMA support");
	nr_given = nr_pids;
	signal(SIGINT, top_signal);
	signal(SIGTERM, top_signal);
	vmstat_visit(counter_add, &prev);
	t0 = now_s();
	while (!top_stop && count) {
		struct timespec ts = { (time_t)delay, (long)((delay - (time_t)delay) * 1e9) };
		double t;

		nanosleep(&ts, NULL);
		if (top_stop)
			break;
		cur.n = 0;
		vmstat_visit(counter_add, &cur);
		t = now_s();
		/* the targets as they are now, after the ones given */
		nr_pids = nr_given;
		nr_targets = 0;
		read_sysfs("targets", targets, sizeof(targets));
		for (char *s = strtok(targets, " \n"); s; s = strtok(NULL, " \n")) {
			int pid, dup = 0;

			if (parse_pid(s, &pid))
				continue;
			nr_targets++;
			if (nr_pids == TOP_MAX_PIDS)
				continue;
			for (int p = 0; p < nr_pids; p++)
				dup |= pids[p] == pid;
			if (!dup)
				pids[nr_pids++] = pid;
		}
		top_report(&prev, &cur, t - t0, delay, pids, nr_pids, nr_targets);
		prev = cur;
		t0 = t;
		if (count > 0)
			count--;
	}
	return 0;
}

static int cmd_load_new(int argc, char **argv)
{
	return cmd_load(argc, argv, false);
}

static int cmd_swap(int argc, char **argv)
{
	return cmd_load(argc, argv, true);
}

static const struct command commands[] = {
	{ "load", cmd_load_new, help_load },
	{ "swap", cmd_swap, help_swap },
	{ "unload", cmd_unload, help_unload },
	{ "target", cmd_target, help_target },
	{ "status", cmd_status, help_status },
	{ "list", cmd_list, help_list },
	{ "top", cmd_top, help_top },
};

/* -j, -p or -v (bpftool's), before or after the command: set it. */
static bool global_option(const char *a)
{
	if (!strcmp(a, "-j") || !strcmp(a, "--json"))
		json = true;
	else if (!strcmp(a, "-p") || !strcmp(a, "--pretty"))
		json = pretty = true;
	else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
		verbose = true;
	else
		return false;
	return true;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

int main(int argc, char **argv)
{
	const struct command *c;
	size_t i;
	int j, n;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (is_help(argv[1])) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!global_option(argv[1]))
			return usage_error("unknown option", argv[1]);
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	if (!strcmp(argv[1], "help"))
		return fputs(usage_text, stdout), 0;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		c = &commands[i];
		if (strcmp(argv[1], c->name))
			continue;
		/* the command's own arguments, without the global options */
		for (j = n = 2; j < argc; j++) {
			if (!strcmp(argv[j], "--")) {
				while (j < argc)
					argv[n++] = argv[j++];
				break;
			}
			if (is_help(argv[j])) {
				fputs(c->help, stdout);
				return 0;
			}
			if (!global_option(argv[j]))
				argv[n++] = argv[j];
		}
		argv[n] = NULL;
		return c->fn(n - 1, argv + 1);
	}
	return usage_error("unknown command", argv[1]);
}
