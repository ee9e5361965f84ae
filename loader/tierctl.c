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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

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

static bool verbose;

static const char usage_text[] =
"Usage: tierctl [-v] COMMAND [ARGS]\n"
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
"\n"
"POLICY is a name from 'tierctl list' or a path to a .bpf.o file.\n"
"Options:\n"
"  -v, --verbose   show libbpf and verifier output\n"
"  -h, --help      show this help\n"
"\n"
"Policies are looked up in $TIER_POLICY_DIR, else next to tierctl.\n";

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
	int i;

	*name = NULL;
	*nr_params = 0;
	*nr_pids = 0;
	*rule = '\0';
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--all") || !strcmp(a, "--cgroup")) {
			if (*rule)
				return usage_error("only one of --all and --cgroup", a);
			if (!strcmp(a, "--all")) {
				snprintf(rule, rule_len, "all");
				continue;
			}
			if (++i == argc)
				return usage_error("--cgroup needs a PATH", NULL);
			int err = rule_line("cgroup", argv[i], rule, rule_len);

			if (err)
				return err;
			continue;
		}
		if (!strcmp(a, "--pid")) {
			if (++i == argc)
				return usage_error("--pid needs a PID", NULL);
			if (parse_pid(argv[i], &pids[*nr_pids]))
				return usage_error("invalid PID", argv[i]);
			if (++*nr_pids == MAX_PARAMS_ARGS)
				return usage_error("too many --pid options", NULL);
			continue;
		}
		if (!strcmp(a, "--param") || !strcmp(a, "-p")) {
			if (++i == argc)
				return usage_error("--param needs NAME=VALUE", NULL);
			a = argv[i];
		} else if (!strncmp(a, "--param=", 8)) {
			a += 8;
		} else if (a[0] == '-') {
			return usage_error("unknown option", a);
		} else if (!*name) {
			*name = a;
			continue;
		} else {
			return usage_error("unexpected argument", a);
		}
		if (*nr_params == MAX_PARAMS_ARGS)
			return usage_error("too many --param options", NULL);
		params[(*nr_params)++] = a;
	}
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
			read_sysfs("target_rule", buf, sizeof(buf));
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

static void print_vmstat(void)
{
	char line[256];
	FILE *f = fopen("/proc/vmstat", "r");
	int n = 0;

	if (!f)
		return;
	printf("counters:   ");
	while (fgets(line, sizeof(line), f)) {
		char name[128];
		unsigned long long v;

		if (strncmp(line, "tier_ext_", 9) ||
		    sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		printf("%s%s=%llu", n++ ? " " : "", name + 9, v);
	}
	printf("\n");
	fclose(f);
}

static void print_pinned(const char *label, const char *pin,
			 int (*print)(int fd, FILE *f))
{
	int fd = bpf_obj_get(pin);

	if (fd < 0)
		return;
	printf("%-12s", label);
	if (print(fd, stdout))
		printf("(unreadable)");
	printf("\n");
	close(fd);
}

static int cmd_status(int argc, char **argv)
{
	char buf[1200];

	if (argc > 1)
		return usage_error("unexpected argument", argv[1]);
	if (access(SYSFS_DIR, F_OK))
		return error("this kernel has no tier_ext (CONFIG_TIER_EXT): "
			     SYSFS_DIR " is missing");
	read_sysfs("state", buf, sizeof(buf));
	printf("state:      %s\n", buf);
	read_sysfs("ops", buf, sizeof(buf));
	printf("policy:     %s\n", *buf ? buf : "-");
	read_sysfs("enable_seq", buf, sizeof(buf));
	printf("enable_seq: %s\n", buf);
	read_sysfs("targets", buf, sizeof(buf));
	for (char *c = buf; *c; c++)
		if (*c == '\n')
			*c = ' ';
	printf("targets:    %s\n", *buf ? buf : "-");
	read_sysfs("target_rule", buf, sizeof(buf));
	printf("rule:       %s\n", *buf ? buf : "-");
	read_sysfs("exit_kind", buf, sizeof(buf));
	printf("last_exit:  %s", buf);
	read_sysfs("exit_reason", buf, sizeof(buf));
	printf("%s%s\n", *buf ? " - " : "", buf);
	print_vmstat();
	if (geteuid() == 0) {
		print_pinned("params:", PIN_RODATA, tier_params_print);
		print_pinned("stats:", PIN_STATS, tier_stats_print);
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
	struct tier_policy p;
	int n, i, j, ret = 0;

	if (argc > 1)
		return usage_error("unexpected argument", argv[1]);
	n = scandir(dir, &ents, filter_policy, alphasort);
	if (n < 0)
		return error("cannot read policy directory %s: %s", dir,
			     strerror(errno));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (tier_policy_open(&p, path, err)) {
			ret = error("%s", err);
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
	return ret;
}

int main(int argc, char **argv)
{
	const char *cmd;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose")) {
			verbose = true;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			fputs(usage_text, stdout);
			return 0;
		} else {
			return usage_error("unknown option", argv[1]);
		}
		argc--;
		argv++;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	cmd = argv[1];
	argc--;
	argv++;
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv, false);
	if (!strcmp(cmd, "swap"))
		return cmd_load(argc, argv, true);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(argc, argv);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc, argv);
	if (!strcmp(cmd, "target"))
		return cmd_target(argc, argv);
	if (!strcmp(cmd, "list"))
		return cmd_list(argc, argv);
	if (!strcmp(cmd, "help"))
		return fputs(usage_text, stdout), 0;
	return usage_error("unknown command", cmd);
}
