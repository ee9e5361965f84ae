// SPDX-License-Identifier: GPL-2.0
/*
 * tierhost: resize the memory tiers of tiered VMs from the host, over QMP
 * (virtio-balloon with x-node-targets=on, vmm-patch/).
 *
 * Commands and options: cmd_docs[] and opt_docs[] below (tierhost --help,
 * tierhost COMMAND --help). Each command checks that it takes every option
 * given.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "plan.h"
#include "qmp.h"

#define MAX_VMS 16
#define MAX_NODES 16
#define QMP_TIMEOUT_MS 10000

struct vm {
	const char *name;
	bool named;		/* NAME= given; else errors name the address */
	const char *sock;
	struct qmp *q;
};

static struct vm vms[MAX_VMS];
static int nr_vms;

/* Options, and the commands that take each (bits of 1 << enum cmd). */
enum cmd { SHOW, SET, WAIT, WATCH, QMP, DAEMON, TOPOLOGY, NR_CMDS };
#define ANY_VM	((1 << SHOW) | (1 << SET) | (1 << WAIT) | (1 << WATCH) | (1 << QMP) | (1 << DAEMON))
#define JSON_OUT ((1 << SHOW) | (1 << WATCH) | (1 << QMP) | (1 << DAEMON))

enum {
	OPT_FAST = 1000, OPT_SLOW, OPT_NODE, OPT_BUDGET, OPT_MIN, OPT_INTERVAL, OPT_RATE,
	OPT_HEADROOM, OPT_STEP_MIN, OPT_DRY_RUN, OPT_CPUS, OPT_FAST_HOST, OPT_SLOW_HOST,
	OPT_FAST_LAT, OPT_SLOW_LAT, OPT_FAST_BW, OPT_SLOW_BW,
};

static const struct option opts[] = {
	{ "vm", required_argument, NULL, 'S' },
	{ "socket", required_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	{ "count", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "fast", required_argument, NULL, OPT_FAST },
	{ "slow", required_argument, NULL, OPT_SLOW },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "min", required_argument, NULL, OPT_MIN },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "headroom", required_argument, NULL, OPT_HEADROOM },
	{ "step-min", required_argument, NULL, OPT_STEP_MIN },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "fast-host", required_argument, NULL, OPT_FAST_HOST },
	{ "slow-host", required_argument, NULL, OPT_SLOW_HOST },
	{ "fast-latency", required_argument, NULL, OPT_FAST_LAT },
	{ "slow-latency", required_argument, NULL, OPT_SLOW_LAT },
	{ "fast-bandwidth", required_argument, NULL, OPT_FAST_BW },
	{ "slow-bandwidth", required_argument, NULL, OPT_SLOW_BW },
	{ }
};

/* An option's help line, and the commands that take it. */
static const struct opt_doc {
	int val;
	unsigned int cmds;
	const char *text;
} opt_docs[] = {
	{ 'S', ANY_VM, "-S, --vm [NAME=]ADDR   a VM's QMP socket (PATH, unix:PATH, tcp:HOST:PORT) or\n"
		       "                         libvirt:DOMAIN (through virsh; $LIBVIRT_DEFAULT_URI)\n"
		       "                         (repeatable for show, wait and daemon); NAME\n"
		       "                         labels it [the socket's file name]" },
	{ 's', ANY_VM, "-s, --socket ADDR      the same as --vm (QEMU's qom tools' name); without\n"
		       "                         either, $QMP_SOCKET" },
	{ OPT_FAST, (1 << SET) | (1 << TOPOLOGY),
		       "    --fast SIZE        memory on the fast node (the one with the CPUs)" },
	{ OPT_SLOW, (1 << SET) | (1 << TOPOLOGY),
		       "    --slow SIZE        memory on the slow node (the one without CPUs)" },
	{ OPT_NODE, 1 << SET, "    --node N=SIZE      memory on NUMA node N (repeatable)" },
	{ 't', (1 << WAIT) | (1 << WATCH),
		       "-t, --timeout SEC      give up after SEC seconds [wait: 300, watch: none]" },
	{ 'n', (1 << WATCH) | (1 << DAEMON),
		       "-n, --count N          stop after N events (watch) or N rounds (daemon)" },
	{ OPT_BUDGET, 1 << DAEMON, "    --budget SIZE      fast memory for all VMs together (required)" },
	{ OPT_MIN, 1 << DAEMON, "    --min SIZE         fast memory each VM keeps at least [256M]" },
	{ OPT_INTERVAL, 1 << DAEMON, "    --interval MS      time between rounds [2000]" },
	{ OPT_RATE, 1 << DAEMON, "    --rate MIBPS       a VM's fast tier moves at most this fast [128]" },
	{ OPT_HEADROOM, 1 << DAEMON, "    --headroom PCT     wanted fast memory = demand + PCT% [10]" },
	{ OPT_STEP_MIN, 1 << DAEMON, "    --step-min SIZE    skip smaller changes [32M]" },
	{ OPT_DRY_RUN, 1 << DAEMON, "    --dry-run          print the plan, change nothing" },
	{ OPT_CPUS, 1 << TOPOLOGY, "    --cpus N           vCPUs, all on the fast node [2]" },
	{ OPT_FAST_HOST, 1 << TOPOLOGY, "    --fast-host N      bind the fast tier's memory to host node N" },
	{ OPT_SLOW_HOST, 1 << TOPOLOGY, "    --slow-host N      bind the slow tier's memory to host node N" },
	{ OPT_FAST_LAT, 1 << TOPOLOGY, "    --fast-latency NS  HMAT access latency of the fast node [80]" },
	{ OPT_SLOW_LAT, 1 << TOPOLOGY, "    --slow-latency NS  HMAT access latency of the slow node [300]" },
	{ OPT_FAST_BW, 1 << TOPOLOGY, "    --fast-bandwidth SIZE  HMAT bandwidth per second of the fast node [20G]" },
	{ OPT_SLOW_BW, 1 << TOPOLOGY, "    --slow-bandwidth SIZE  HMAT bandwidth per second of the slow node [5G]" },
	{ 'j', JSON_OUT, "-j, --json             JSON lines: QMP's message with a \"vm\" member (show:\n"
			 "                         the x-query-balloon-nodes reply; watch: each event;\n"
			 "                         daemon: each VM's plan per round, bytes)" },
	{ 'p', JSON_OUT, "-p, --pretty           indented JSON (implies --json)" },
	{ 'h', ~0u, "-h, --help             this text" },
};

static const struct cmd_doc {
	const char *name, *synopsis, *text;
} cmd_docs[NR_CMDS] = {
	[SHOW] = { "show", "show [-S [NAME=]ADDR]... [-j]",
		   "Per VM and node: tier, size, target, actual, host-discarded and\n"
		   "host-resident memory (MiB), guest support, stalled, and the fast memory\n"
		   "the guest's policy asks for (demand, MiB, from balloon statistics; -\n"
		   "if none)." },
	[SET] = { "set", "set -S ADDR [--fast SIZE] [--slow SIZE] [--node N=SIZE]...",
		  "Set the memory the guest keeps on each tier (one atomic request)." },
	[WAIT] = { "wait", "wait [-S ADDR]... [-t SEC]",
		   "Wait until every node reached its target or stalled; exit status 3\n"
		   "if it did not within the timeout." },
	[WATCH] = { "watch", "watch -S ADDR [-n N] [-t SEC] [-j]",
		    "Print the VM's BALLOON_NODE_CHANGE events as they come." },
	[QMP] = { "qmp", "qmp -S ADDR COMMAND ['{ARGUMENTS}'] [-p]",
		  "Run one QMP command and print its return value as JSON." },
	[DAEMON] = { "daemon", "daemon -S [NAME=]ADDR... --budget SIZE [OPTIONS]",
		     "Share a fast-memory budget among VMs by their demand (host/plan.h):\n"
		     "each gets --min, the rest goes by demand (the fast memory the guest's\n"
		     "tiering policy asks for, else the guest's memory in use, from balloon\n"
		     "statistics; plus --headroom), rate-limited. One line per VM and round:\n"
		     "time vm demand want ideal target actual next (MiB) source." },
	[TOPOLOGY] = { "topology", "topology --fast SIZE --slow SIZE [OPTIONS] > vm.cfg",
		       "Print a QEMU -readconfig file for a tiered VM: the fast node with the\n"
		       "CPUs, a CPU-less slow node, HMAT latencies and bandwidths, each tier's\n"
		       "backend optionally bound to a host node, the per-node balloon." },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tierhost COMMAND [OPTIONS]\n"
"Resize the memory tiers of tiered VMs over QMP (virtio-balloon x-node-targets=on).\n"
"\n"
"Commands:\n");
	for (int i = 0; i < NR_CMDS; i++)
		fprintf(f, "  %s\n", cmd_docs[i].synopsis);
	fprintf(f,
"\n"
"'tierhost COMMAND --help' describes a command and its options.\n"
"ADDR is a QMP socket: PATH or unix:PATH, or tcp:HOST:PORT (QEMU's -qmp syntax),\n"
"or libvirt:DOMAIN, a libvirt-managed VM, through virsh's QEMU monitor\n"
"pass-through (qemu-monitor-command, qemu-monitor-event).\n"
"SIZE is in bytes unless suffixed with K, M, G or T (powers of 1024).\n"
"QEMU serves one client per QMP socket: give watch and daemon their own socket.\n"
"Exit status: 0 ok, 1 error, 2 usage, 3 wait timed out.\n");
}

static void cmd_usage(enum cmd c)
{
	printf("Usage: tierhost %s\n%s\n\nOptions:\n", cmd_docs[c].synopsis, cmd_docs[c].text);
	for (size_t i = 0; i < sizeof(opt_docs) / sizeof(opt_docs[0]); i++)
		if (opt_docs[i].cmds & (1u << c))
			printf("  %s\n", opt_docs[i].text);
	if (c == SET || c == DAEMON || c == TOPOLOGY)
		printf("SIZE is in bytes unless suffixed with K, M, G or T (powers of 1024).\n");
}

static void die_usage(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	fprintf(stderr, "tierhost: %s (see --help)\n", msg);
	exit(2);
}

static void add_vm(const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct vm *vm = &vms[nr_vms];
	char *name;

	if (nr_vms == MAX_VMS)
		die_usage("at most 16 VMs%s", "");
	if (eq) {
		name = strndup(arg, eq - arg);
		vm->sock = eq + 1;
		vm->named = true;
	} else if (!strncmp(arg, "tcp:", 4) || !strncmp(arg, "libvirt:", 8)) {
		name = strdup(strchr(arg, ':') + 1);
		vm->sock = arg;
	} else {
		const char *base = strrchr(arg, '/');

		name = strdup(base ? base + 1 : strncmp(arg, "unix:", 5) ? arg : arg + 5);
		vm->sock = arg;
	}
	if (!name || !*name || !*vm->sock)
		die_usage("bad VM '%s', expected [NAME=]ADDR", arg);
	if (!strncmp(vm->sock, "tcp:", 4) && !strchr(vm->sock + 4, ':'))
		die_usage("bad address '%s', expected tcp:HOST:PORT", vm->sock);
	vm->name = name;
	nr_vms++;
}

static void connect_vms(void)
{
	char err[256];

	for (int i = 0; i < nr_vms; i++) {
		vms[i].q = qmp_open(vms[i].sock, QMP_TIMEOUT_MS, err, sizeof(err));
		if (!vms[i].q) {
			/* qmp_open()'s errors name the address */
			if (vms[i].named)
				fprintf(stderr, "tierhost: %s: %s\n", vms[i].name, err);
			else
				fprintf(stderr, "tierhost: %s\n", err);
			exit(1);
		}
	}
}

static int json_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

/* Prints @j as one line (or indented), and drops it. */
static void print_json(struct json_object *j)
{
	puts(json_object_to_json_string_ext(j, json_flags));
	json_object_put(j);
}

/* {"vm": NAME} followed by @key: @val (taken over), or by @msg's members. */
static struct json_object *vm_json(const struct vm *vm, const char *key,
				   struct json_object *val)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "vm", json_object_new_string(vm->name));
	if (key) {
		json_object_object_add(j, key, val);
	} else {
		json_object_object_foreach(val, k, v)
			json_object_object_add(j, k, json_object_get(v));
		json_object_put(val);
	}
	return j;
}

/* Per-node state of one VM; returns the number of nodes, -1 on error. */
static int query_nodes(struct vm *vm, struct node *nodes, struct json_object **raw)
{
	char err[256];
	struct json_object *r = qmp_call(vm->q, "x-query-balloon-nodes", NULL,
					 QMP_TIMEOUT_MS, err, sizeof(err));
	int n;

	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vm->name, err);
		return -1;
	}
	n = parse_balloon_nodes(r, nodes, MAX_NODES);
	if (n < 0) {
		fprintf(stderr, "tierhost: %s: unexpected x-query-balloon-nodes reply\n",
			vm->name);
		json_object_put(r);
		return -1;
	}
	if (raw)
		*raw = r;
	else
		json_object_put(r);
	return n;
}

static const char *tier_name(const struct node *nd)
{
	return nd->has_cpus ? "fast" : "slow";
}

static int cmd_show(bool as_json)
{
	bool header = false;
	int rc = 0;

	for (int i = 0; i < nr_vms; i++) {
		struct node nodes[MAX_NODES];
		struct json_object *raw = NULL;
		int n = query_nodes(&vms[i], nodes, as_json ? &raw : NULL);

		if (n < 0) {
			rc = 1;
			continue;
		}
		if (as_json) {
			/* QMP's reply as it came, checked by query_nodes() */
			print_json(vm_json(&vms[i], "return", raw));
			continue;
		}
		if (!header) {
			printf("%-12s %4s %4s %-10s %8s %8s %8s %9s %8s %9s %7s %6s\n", "vm",
			       "node", "tier", "memdev", "size", "target", "actual",
			       "discarded", "resident", "supported", "stalled", "demand");
			header = true;
		}
		for (int k = 0; k < n; k++) {
			struct node *nd = &nodes[k];
			char demand[24] = "-";

			if (nd->guest_demand >= 0)
				snprintf(demand, sizeof(demand), "%" PRId64, nd->guest_demand >> 20);
			printf("%-12s %4u %4s %-10s %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			       " %9" PRIu64 " %8" PRIu64 " %9s %7s %6s\n", vms[i].name, nd->id,
			       tier_name(nd), nd->memdev, nd->size >> 20, nd->target >> 20,
			       nd->actual >> 20, nd->discarded >> 20, nd->resident >> 20,
			       nd->supported ? "yes" : "no", nd->stalled ? "yes" : "no", demand);
		}
	}
	return rc;
}

struct target {
	int node;		/* -1: by tier */
	int tier;		/* 0 fast, 1 slow */
	uint64_t size;
};

/* x-balloon-nodes {"targets": [{"node": N, "size": BYTES}...]}; 0 or -1 */
static int set_targets(struct vm *vm, const int *node, const uint64_t *size, int nr)
{
	struct json_object *args = json_object_new_object(), *t = json_object_new_array(), *r;
	char err[256];

	for (int i = 0; i < nr; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "node", json_object_new_int(node[i]));
		json_object_object_add(e, "size", json_object_new_uint64(size[i]));
		json_object_array_add(t, e);
	}
	json_object_object_add(args, "targets", t);
	r = qmp_call(vm->q, "x-balloon-nodes", args, QMP_TIMEOUT_MS, err, sizeof(err));
	json_object_put(args);
	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vm->name, err);
		return -1;
	}
	json_object_put(r);
	return 0;
}

static int cmd_set(struct target *t, int nr)
{
	struct node nodes[MAX_NODES];
	int n, node[MAX_NODES + 2];
	uint64_t size[MAX_NODES + 2];

	n = query_nodes(&vms[0], nodes, NULL);
	if (n < 0)
		return 1;
	for (int i = 0; i < nr; i++) {
		int found = 0;

		node[i] = t[i].node;
		size[i] = t[i].size;
		if (node[i] >= 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (nodes[k].has_cpus == (t[i].tier == 0)) {
				node[i] = nodes[k].id;
				found++;
			}
		}
		if (found != 1) {
			fprintf(stderr, "tierhost: %s: %d %s nodes; name one with --node\n",
				vms[0].name, found, t[i].tier ? "slow" : "fast");
			return 1;
		}
	}
	return set_targets(&vms[0], node, size, nr) ? 1 : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_wait(double timeout)
{
	double start = now_s();

	for (;;) {
		bool done = true;

		for (int i = 0; i < nr_vms; i++) {
			struct node nodes[MAX_NODES];
			int n = query_nodes(&vms[i], nodes, NULL);

			if (n < 0)
				return 1;
			for (int k = 0; k < n; k++) {
				if (!nodes[k].supported) {
					fprintf(stderr, "tierhost: %s: the guest driver does not "
						"support per-node ballooning\n", vms[i].name);
					return 1;
				}
				if (nodes[k].actual != nodes[k].target && !nodes[k].stalled)
					done = false;
			}
		}
		if (done)
			return 0;
		if (now_s() - start > timeout) {
			fprintf(stderr, "tierhost: targets not reached after %.0f s\n", timeout);
			return 3;
		}
		usleep(200 * 1000);
	}
}

static int cmd_watch(long count, double timeout, bool as_json)
{
	double start = now_s();
	char err[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	while (count) {
		double left = timeout > 0 ? timeout - (now_s() - start) : 1.0;
		struct json_object *ev;
		uint64_t node, target, actual;

		if (left <= 0)
			return 0;
		ev = qmp_event(vms[0].q, left * 1000 > 1000 ? 1000 : left * 1000 + 1,
			       err, sizeof(err));
		if (!ev) {
			if (err[0]) {
				fprintf(stderr, "tierhost: %s: %s\n", vms[0].name, err);
				return 1;
			}
			continue;
		}
		if (!parse_node_change(ev, &node, &target, &actual)) {
			json_object_put(ev);
			continue;
		}
		if (as_json) {
			print_json(vm_json(&vms[0], NULL, ev));
		} else {
			printf("%.3f node %" PRIu64 " target %" PRIu64 " actual %" PRIu64
			       " MiB\n", now_s() - start, node, target >> 20, actual >> 20);
			json_object_put(ev);
		}
		if (count > 0)
			count--;
	}
	return 0;
}

struct daemon_cfg {
	struct plan_cfg plan;
	unsigned int interval_ms;
	uint64_t min;
	long rounds;
	bool dry_run, as_json;
};

/* Guest memory in use, bytes, from the balloon's statistics; 0 if none. */
static uint64_t guest_demand(struct vm *vm)
{
	struct json_object *args = json_object_new_object(), *r;
	uint64_t used;
	char err[256];

	json_object_object_add(args, "path", json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(args, "property", json_object_new_string("guest-stats"));
	r = qmp_call(vm->q, "qom-get", args, QMP_TIMEOUT_MS, err, sizeof(err));
	json_object_put(args);
	used = parse_guest_used(r);
	json_object_put(r);
	return used;
}

/* Turns on the guest's balloon statistics, every second. */
static int stats_on(struct vm *vm)
{
	struct json_object *args = json_object_new_object(), *r;
	char err[256];

	json_object_object_add(args, "path", json_object_new_string("/machine/peripheral/balloon0"));
	json_object_object_add(args, "property",
			       json_object_new_string("guest-stats-polling-interval"));
	json_object_object_add(args, "value", json_object_new_int(1));
	r = qmp_call(vm->q, "qom-set", args, QMP_TIMEOUT_MS, err, sizeof(err));
	json_object_put(args);
	if (!r) {
		fprintf(stderr, "tierhost: %s: cannot turn on balloon statistics: %s\n",
			vm->name, err);
		return -1;
	}
	json_object_put(r);
	return 0;
}

static void json_add_u64(struct json_object *j, const char *key, uint64_t v)
{
	json_object_object_add(j, key, json_object_new_uint64(v));
}

static void daemon_print(const struct daemon_cfg *dc, double t, const struct vm *vm,
			 const struct plan_vm *pv, const char *src)
{
	struct json_object *j;

	if (!dc->as_json) {
		printf("%.1f %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 " %s\n", t, vm->name, pv->demand >> 20, pv->want >> 20,
		       pv->ideal >> 20, pv->target >> 20, pv->actual >> 20, pv->next >> 20, src);
		return;
	}
	j = vm_json(vm, "time", json_object_new_double(t));
	json_add_u64(j, "demand", pv->demand);
	json_add_u64(j, "want", pv->want);
	json_add_u64(j, "ideal", pv->ideal);
	json_add_u64(j, "target", pv->target);
	json_add_u64(j, "actual", pv->actual);
	json_add_u64(j, "next", pv->next);
	json_object_object_add(j, "source", json_object_new_string(src));
	print_json(j);
}

static int cmd_daemon(struct daemon_cfg *dc)
{
	struct plan_vm pv[MAX_VMS];
	int fast_node[MAX_VMS];
	const char *src[MAX_VMS];
	double start = now_s();
	long round = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < nr_vms; i++)
		if (stats_on(&vms[i]))
			return 1;
	if (dc->as_json) {
		struct json_object *j = json_object_new_object();

		json_add_u64(j, "budget", dc->plan.budget);
		json_add_u64(j, "min", dc->min);
		json_add_u64(j, "headroom-pct", dc->plan.headroom);
		json_add_u64(j, "step-min", dc->plan.min_step);
		json_add_u64(j, "step-max", dc->plan.max_step);
		json_add_u64(j, "interval-ms", dc->interval_ms);
		print_json(j);
	} else {
		printf("# budget %" PRIu64 " MiB, min %" PRIu64 " MiB, headroom %u%%, step %"
		       PRIu64 "-%" PRIu64 " MiB per %u ms\n", dc->plan.budget >> 20,
		       dc->min >> 20, dc->plan.headroom, dc->plan.min_step >> 20,
		       dc->plan.max_step >> 20, dc->interval_ms);
		printf("# time vm demand want ideal target actual next (MiB) source\n");
	}
	for (;;) {
		uint64_t sum = 0;

		for (int i = 0; i < nr_vms; i++) {
			struct node nodes[MAX_NODES], *fast;
			int n = query_nodes(&vms[i], nodes, NULL), k, found = 0;

			if (n < 0)
				return 1;
			for (k = 0; k < n; k++) {
				if (nodes[k].has_cpus) {
					fast_node[i] = k;
					found++;
				}
			}
			if (found != 1 || !nodes[fast_node[i]].supported) {
				fprintf(stderr, "tierhost: %s: %s\n", vms[i].name, found != 1 ?
					"needs exactly one node with CPUs (the fast tier)" :
					"the guest driver does not support per-node ballooning");
				return 1;
			}
			fast = &nodes[fast_node[i]];
			fast_node[i] = fast->id;
			pv[i].max = fast->size;
			pv[i].target = fast->target;
			/* what the host measures, not only what the guest says */
			pv[i].actual = node_held(fast);
			pv[i].min = dc->min;
			/* the guest's policy knows its hot set; else its memory in use */
			if (fast->guest_demand >= 0) {
				src[i] = "policy";
				pv[i].demand = fast->guest_demand;
			} else if ((pv[i].demand = guest_demand(&vms[i]))) {
				src[i] = "used";
			} else {
				/* no statistics yet: ask for what it has */
				src[i] = "none";
				pv[i].demand = pv[i].target;
			}
		}
		if (plan_compute(pv, nr_vms, &dc->plan)) {
			fprintf(stderr, "tierhost: the minimums (%d x %" PRIu64 " MiB) exceed the "
				"budget (%" PRIu64 " MiB)\n", nr_vms, dc->min >> 20,
				dc->plan.budget >> 20);
			return 1;
		}
		for (int i = 0; i < nr_vms; i++) {
			daemon_print(dc, now_s() - start, &vms[i], &pv[i], src[i]);
			/* saturating: the targets come from what the guests report */
			sum = sum + pv[i].next < sum ? UINT64_MAX : sum + pv[i].next;
			if (!dc->dry_run && pv[i].next != pv[i].target)
				set_targets(&vms[i], &fast_node[i], &pv[i].next, 1);
		}
		if (sum > dc->plan.budget)
			fprintf(stderr, "tierhost: targets exceed the budget: %" PRIu64 " MiB\n",
				sum >> 20);
		if (++round == dc->rounds)
			return 0;
		usleep(dc->interval_ms * 1000);
	}
}

struct topology {
	uint64_t size[2];		/* fast, slow */
	long host[2];			/* -1: not bound */
	unsigned long latency[2];	/* ns */
	uint64_t bandwidth[2];		/* bytes per second */
	unsigned long cpus;
};

static int cmd_topology(struct topology *t)
{
	static const char *const name[2] = { "tier-fast", "tier-slow" };

	for (int i = 0; i < 2; i++) {
		if (!t->size[i])
			die_usage("topology needs --fast SIZE and --slow SIZE%s", "");
		if (t->size[i] % (1 << 20))
			die_usage("topology: tier sizes must be whole MiB%s", "");
	}
	printf("# A tiered VM (tierhost topology): node 0 is the fast tier with the\n"
	       "# CPUs, node 1 the slow tier without CPUs; HMAT makes node 1 a lower\n"
	       "# memory tier. Use: qemu-system-x86_64 -readconfig FILE -kernel ...\n\n");
	printf("[machine]\n  type = \"q35\"\n  hmat = \"on\"\n\n");
	printf("[memory]\n  size = \"%" PRIu64 "M\"\n\n", (t->size[0] + t->size[1]) >> 20);
	printf("[smp-opts]\n  cpus = \"%lu\"\n\n", t->cpus);
	for (int i = 0; i < 2; i++) {
		printf("[object \"%s\"]\n  qom-type = \"memory-backend-ram\"\n  size = \"%" PRIu64
		       "M\"\n", name[i], t->size[i] >> 20);
		if (t->host[i] >= 0)
			printf("  host-nodes.0 = \"%ld\"\n  policy = \"bind\"\n", t->host[i]);
		printf("\n");
	}
	printf("[numa]\n  type = \"node\"\n  nodeid = \"0\"\n  cpus = \"0-%lu\"\n"
	       "  memdev = \"%s\"\n  initiator = \"0\"\n\n", t->cpus - 1, name[0]);
	printf("[numa]\n  type = \"node\"\n  nodeid = \"1\"\n  memdev = \"%s\"\n"
	       "  initiator = \"0\"\n\n", name[1]);
	for (int i = 0; i < 2; i++) {
		printf("[numa]\n  type = \"hmat-lb\"\n  initiator = \"0\"\n  target = \"%d\"\n"
		       "  hierarchy = \"memory\"\n  data-type = \"access-latency\"\n"
		       "  latency = \"%lu\"\n\n", i, t->latency[i]);
		printf("[numa]\n  type = \"hmat-lb\"\n  initiator = \"0\"\n  target = \"%d\"\n"
		       "  hierarchy = \"memory\"\n  data-type = \"access-bandwidth\"\n"
		       "  bandwidth = \"%" PRIu64 "M\"\n\n", i, t->bandwidth[i] >> 20);
	}
	printf("[device \"balloon0\"]\n  driver = \"virtio-balloon-pci\"\n"
	       "  x-node-targets = \"on\"\n");
	return 0;
}

static int cmd_qmp(const char *qcmd, const char *text)
{
	struct json_object *args = NULL, *r;
	enum json_tokener_error jerr;
	char err[256];

	if (text) {
		args = json_tokener_parse_verbose(text, &jerr);
		if (!json_object_is_type(args, json_type_object)) {
			fprintf(stderr, "tierhost: arguments are not a JSON object: %s (see --help)\n",
				args ? "not an object" : json_tokener_error_desc(jerr));
			json_object_put(args);
			return 2;
		}
	}
	connect_vms();
	r = qmp_call(vms[0].q, qcmd, args, QMP_TIMEOUT_MS, err, sizeof(err));
	json_object_put(args);
	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vms[0].name, err);
		return 1;
	}
	print_json(r);
	return 0;
}

static void die_not_for(enum cmd c, int val)
{
	char msg[128];

	for (const struct option *o = opts; o->name; o++) {
		if (o->val == val) {
			snprintf(msg, sizeof(msg), "%s does not take --%s", cmd_docs[c].name, o->name);
			die_usage("%s", msg);
		}
	}
}

/* A number option's value in [@lo, @hi], or a usage error. */
static unsigned long ulong_arg(const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long v;

	if (parse_ulong(s, lo, hi, &v))
		die_usage("bad value '%s'", s);
	return v;
}

int main(int argc, char **argv)
{
	struct target targets[MAX_NODES + 2];
	int nr_targets = 0, c;
	double timeout = -1;
	long count = -1;
	bool as_json = false;
	struct daemon_cfg dc = {
		.plan = { .headroom = 10, .min_step = 32ULL << 20 },
		.interval_ms = 2000, .min = 256ULL << 20,
	};
	unsigned long rate = 128;
	struct topology topo = {
		.host = { -1, -1 }, .latency = { 80, 300 },
		.bandwidth = { 20ULL << 30, 5ULL << 30 }, .cpus = 2,
	};
	enum cmd cmd;
	char *end;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (cmd = 0; cmd < NR_CMDS; cmd++)
		if (!strcmp(argv[1], cmd_docs[cmd].name))
			break;
	if (cmd == NR_CMDS)
		die_usage("unknown command '%s'", argv[1]);
	optind = 2;
	while ((c = getopt_long(argc, argv, "S:s:jpt:n:h", opts, NULL)) != -1) {
		struct target *t = &targets[nr_targets];
		bool known = c != '?' && c != ':';

		for (size_t i = 0; known && i < sizeof(opt_docs) / sizeof(opt_docs[0]); i++)
			if (opt_docs[i].val == c && !(opt_docs[i].cmds & (1u << cmd)))
				die_not_for(cmd, c);
		switch (c) {
		case 'S':
		case 's':
			add_vm(optarg);
			break;
		case OPT_FAST:
		case OPT_SLOW:
			if (nr_targets == MAX_NODES + 2)
				die_usage("too many targets%s", "");
			t->node = -1;
			t->tier = c == OPT_SLOW;
			if (parse_size(optarg, &t->size))
				die_usage("bad size '%s'", optarg);
			nr_targets++;
			break;
		case OPT_NODE: {
			unsigned int node;

			if (nr_targets == MAX_NODES + 2)
				die_usage("too many targets%s", "");
			if (parse_node_size(optarg, &node, &t->size))
				die_usage("bad --node '%s', expected N=SIZE", optarg);
			t->node = node;
			nr_targets++;
			break;
		}
		case 'p':
			json_flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE;
			/* fall through */
		case 'j':
			as_json = true;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(timeout > 0))
				die_usage("bad --timeout '%s'", optarg);
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (end == optarg || *end || count <= 0)
				die_usage("bad --count '%s'", optarg);
			break;
		case OPT_BUDGET:
			if (parse_size(optarg, &dc.plan.budget) || !dc.plan.budget)
				die_usage("bad --budget '%s'", optarg);
			break;
		case OPT_MIN:
			if (parse_size(optarg, &dc.min))
				die_usage("bad --min '%s'", optarg);
			break;
		case OPT_STEP_MIN:
			if (parse_size(optarg, &dc.plan.min_step))
				die_usage("bad --step-min '%s'", optarg);
			break;
		case OPT_INTERVAL:
			dc.interval_ms = ulong_arg(optarg, 1, 3600000);
			break;
		case OPT_RATE:
			rate = ulong_arg(optarg, 1, 1048576);
			break;
		case OPT_HEADROOM:
			dc.plan.headroom = ulong_arg(optarg, 0, 1000);
			break;
		case OPT_DRY_RUN:
			dc.dry_run = true;
			break;
		case OPT_CPUS:
			topo.cpus = ulong_arg(optarg, 1, 288);
			break;
		case OPT_FAST_HOST:
		case OPT_SLOW_HOST:
			topo.host[c - OPT_FAST_HOST] = ulong_arg(optarg, 0, 1000000);
			break;
		case OPT_FAST_LAT:
		case OPT_SLOW_LAT:
			topo.latency[c - OPT_FAST_LAT] = ulong_arg(optarg, 1, 1000000);
			break;
		case OPT_FAST_BW:
		case OPT_SLOW_BW:
			if (parse_size(optarg, &topo.bandwidth[c - OPT_FAST_BW]) ||
			    topo.bandwidth[c - OPT_FAST_BW] < (1 << 20))
				die_usage("bad bandwidth '%s'", optarg);
			break;
		case 'h':
			cmd_usage(cmd);
			return 0;
		default:
			exit(2);
		}
	}
	if (cmd == TOPOLOGY) {
		if (optind < argc)
			die_usage("unexpected argument '%s'", argv[optind]);
		for (int i = 0; i < nr_targets; i++)
			topo.size[targets[i].tier] = targets[i].size;
		return cmd_topology(&topo);
	}
	if (!nr_vms && getenv("QMP_SOCKET") && *getenv("QMP_SOCKET"))
		add_vm(getenv("QMP_SOCKET"));
	if (!nr_vms)
		die_usage("no VM given (-S ADDR or $QMP_SOCKET)%s", "");
	if (nr_vms > 1 && cmd != SHOW && cmd != WAIT && cmd != DAEMON)
		die_usage("%s takes one VM", cmd_docs[cmd].name);
	if (cmd == QMP) {
		if (optind >= argc || argc - optind > 2)
			die_usage("qmp needs COMMAND [ARGUMENTS-JSON]%s", "");
		if (strspn(argv[optind], "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(argv[optind]))
			die_usage("bad QMP command name '%s'", argv[optind]);
		return cmd_qmp(argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL);
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	switch (cmd) {
	case SHOW:
		connect_vms();
		return cmd_show(as_json);
	case SET:
		if (!nr_targets)
			die_usage("set needs --fast, --slow or --node%s", "");
		connect_vms();
		return cmd_set(targets, nr_targets);
	case WAIT:
		connect_vms();
		return cmd_wait(timeout > 0 ? timeout : 300);
	case WATCH:
		connect_vms();
		return cmd_watch(count, timeout, as_json);
	case DAEMON:
		if (!dc.plan.budget)
			die_usage("daemon needs --budget SIZE%s", "");
		dc.plan.max_step = ((uint64_t)rate << 20) * dc.interval_ms / 1000;
		dc.rounds = count;
		dc.as_json = as_json;
		connect_vms();
		return cmd_daemon(&dc);
	default:
		return 2;
	}
}
