// SPDX-License-Identifier: GPL-2.0
/*
 * tierhost: resize the memory tiers of tiered VMs from the host, over QMP
 * (virtio-balloon with x-node-targets=on, vmm-patch/).
 *
 *   tierhost show  [-S [NAME=]SOCK]... [--json]
 *   tierhost set   -S SOCK [--fast SIZE] [--slow SIZE] [--node N=SIZE]...
 *   tierhost wait  -S SOCK [--timeout SEC]
 *   tierhost watch -S SOCK [--count N] [--timeout SEC]
 *   tierhost qmp   -S SOCK COMMAND [ARGUMENTS-JSON]
 *   tierhost daemon -S [NAME=]SOCK... --budget SIZE --min SIZE [...]
 *   tierhost topology --fast SIZE --slow SIZE [...] > vm.cfg
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plan.h"
#include "qmp.h"

#define MAX_VMS 16
#define MAX_NODES 16
#define QMP_TIMEOUT_MS 10000

struct vm {
	const char *name;
	const char *sock;
	struct qmp *q;
};

struct node {
	unsigned int id;
	bool has_cpus, supported, stalled;
	uint64_t size, target, actual, discarded, resident, skipped;
	/* from the guest's balloon statistics; -1 until it reports them */
	int64_t guest_free, guest_total, guest_demand;
	char memdev[64];
};

static struct vm vms[MAX_VMS];
static int nr_vms;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: tierhost COMMAND [OPTIONS]\n"
"Resize the memory tiers of tiered VMs over QMP (virtio-balloon x-node-targets=on).\n"
"\n"
"Commands:\n"
"  show    per VM and node: tier, size, target, actual, host-discarded,\n"
"          host-resident memory (MiB), guest support, stalled, the guest\n"
"          policy's demand (MiB, from balloon statistics; - if none)\n"
"  set     set the tiers' sizes (one atomic request per VM)\n"
"  wait    until every node reached its target or stalled\n"
"  watch   print BALLOON_NODE_CHANGE events\n"
"  qmp     run one QMP command, print its return value as JSON\n"
"          (tierhost qmp -S SOCK COMMAND ['{ARGUMENTS}'])\n"
"  daemon  share a fast-memory budget among VMs by their demand (host/plan.h):\n"
"          each gets --min, the rest goes by demand (the fast memory the\n"
"          guest's tiering policy asks for, else the guest's memory in use,\n"
"          from balloon statistics; plus --headroom), rate-limited\n"
"  topology  print a QEMU -readconfig file for a tiered VM: fast node with the\n"
"          CPUs, CPU-less slow node, HMAT latencies and bandwidths, each tier's\n"
"          backend optionally bound to a host node, the per-node balloon\n"
"\n"
"Options:\n"
"  -S, --vm [NAME=]SOCK  a VM's QMP unix socket (repeatable; show takes many)\n"
"      --fast SIZE       set: memory the guest keeps on the fast node (the one with CPUs)\n"
"      --slow SIZE       set: memory the guest keeps on the slow node (without CPUs)\n"
"      --node N=SIZE     set: memory the guest keeps on NUMA node N (repeatable)\n"
"      --json            show: print QMP's answer as JSON lines\n"
"  -t, --timeout SEC     wait, watch: give up after SEC seconds [wait 300, watch none]\n"
"  -n, --count N         watch: stop after N events; daemon: after N rounds\n"
"      --budget SIZE     daemon: fast memory for all VMs together\n"
"      --min SIZE        daemon: fast memory each VM keeps at least [256M]\n"
"      --interval MS     daemon: between rounds [2000]\n"
"      --rate MIBPS      daemon: a VM's fast tier moves at most this fast [128]\n"
"      --headroom PCT    daemon: wanted fast memory = demand + PCT%% [10]\n"
"      --step-min SIZE   daemon: skip smaller changes [32M]\n"
"      --dry-run         daemon: print the plan, change nothing\n"
"      --cpus N          topology: vCPUs on the fast node [2]\n"
"      --fast-host N, --slow-host N  topology: bind the tier to host node N\n"
"      --fast-latency NS, --slow-latency NS  topology: HMAT latency [80, 300]\n"
"      --fast-bandwidth SIZE, --slow-bandwidth SIZE  topology: per second [20G, 5G]\n"
"  -h, --help            this text\n"
"SIZE is in bytes unless suffixed with K, M, G or T (powers of 1024).\n""QEMU serves one client per QMP socket: give watch and daemon their own socket.\n"
"Exit status: 0 ok, 1 error, 2 usage, 3 wait timed out.\n");
}

static void die_usage(const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	fprintf(stderr, "tierhost: %s (see --help)\n", msg);
	exit(2);
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case 'T': case 't': shift = 40; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B' && shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void add_vm(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (nr_vms == MAX_VMS)
		die_usage("at most 16 VMs%s", "");
	if (eq) {
		name = strndup(arg, eq - arg);
		vms[nr_vms].sock = eq + 1;
	} else {
		const char *base = strrchr(arg, '/');

		name = strdup(base ? base + 1 : arg);
		vms[nr_vms].sock = arg;
	}
	if (!name || !*name || !*vms[nr_vms].sock)
		die_usage("bad VM '%s', expected [NAME=]SOCK", arg);
	vms[nr_vms++].name = name;
}

static void connect_vms(void)
{
	char err[256];

	for (int i = 0; i < nr_vms; i++) {
		vms[i].q = qmp_open(vms[i].sock, QMP_TIMEOUT_MS, err, sizeof(err));
		if (!vms[i].q) {
			fprintf(stderr, "tierhost: %s: %s\n", vms[i].name, err);
			exit(1);
		}
	}
}

/* Per-node state of one VM; returns the number of nodes, -1 on error. */
static int query_nodes(struct vm *vm, struct node *nodes, struct json **raw)
{
	char err[256];
	struct json *r = qmp_call(vm->q, "x-query-balloon-nodes", NULL,
				  QMP_TIMEOUT_MS, err, sizeof(err));
	size_t n;

	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vm->name, err);
		return -1;
	}
	n = json_len(r);
	if (n > MAX_NODES)
		n = MAX_NODES;
	for (size_t i = 0; i < n; i++) {
		struct json *e = json_at(r, i);
		struct node *nd = &nodes[i];
		uint64_t id;
		const char *memdev = json_str(json_get(e, "memdev"));

		if (!json_u64(json_get(e, "node"), &id) ||
		    !json_u64(json_get(e, "node-size"), &nd->size) ||
		    !json_u64(json_get(e, "target"), &nd->target) ||
		    !json_u64(json_get(e, "actual"), &nd->actual) ||
		    !json_u64(json_get(e, "host-discarded"), &nd->discarded) ||
		    !json_u64(json_get(e, "host-resident"), &nd->resident) ||
		    !json_u64(json_get(e, "discard-skipped"), &nd->skipped) ||
		    !json_bool(json_get(e, "with-cpus"), &nd->has_cpus) ||
		    !json_bool(json_get(e, "guest-supported"), &nd->supported) ||
		    !json_bool(json_get(e, "stalled"), &nd->stalled) || !memdev) {
			fprintf(stderr, "tierhost: %s: unexpected x-query-balloon-nodes reply\n",
				vm->name);
			json_free(r);
			return -1;
		}
		nd->id = id;
		snprintf(nd->memdev, sizeof(nd->memdev), "%s", memdev);
		if (!json_i64(json_get(e, "guest-free"), &nd->guest_free))
			nd->guest_free = -1;
		if (!json_i64(json_get(e, "guest-total"), &nd->guest_total))
			nd->guest_total = -1;
		if (!json_i64(json_get(e, "guest-demand"), &nd->guest_demand))
			nd->guest_demand = -1;
	}
	if (raw)
		*raw = r;
	else
		json_free(r);
	return n;
}

static const char *tier_name(const struct node *nd)
{
	return nd->has_cpus ? "fast" : "slow";
}

static int cmd_show(bool as_json)
{
	int rc = 0;

	bool header = as_json;

	for (int i = 0; i < nr_vms; i++) {
		struct node nodes[MAX_NODES];
		struct json *raw = NULL;
		int n = query_nodes(&vms[i], nodes, as_json ? &raw : NULL);

		if (n < 0) {
			rc = 1;
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

			if (as_json)
				continue;
			if (nd->guest_demand >= 0)
				snprintf(demand, sizeof(demand), "%" PRId64, nd->guest_demand >> 20);
			printf("%-12s %4u %4s %-10s %8" PRIu64 " %8" PRIu64 " %8" PRIu64
			       " %9" PRIu64 " %8" PRIu64 " %9s %7s %6s\n", vms[i].name, nd->id,
			       tier_name(nd), nd->memdev, nd->size >> 20, nd->target >> 20,
			       nd->actual >> 20, nd->discarded >> 20, nd->resident >> 20,
			       nd->supported ? "yes" : "no", nd->stalled ? "yes" : "no", demand);
		}
		if (as_json) {
			/* one line per VM: {"vm": NAME, "nodes": [...]} from QMP's fields */
			char name[256] = "";

			json_quote(name, sizeof(name), vms[i].name);
			printf("{\"vm\":%s,\"nodes\":[", name);
			for (int k = 0; k < n; k++) {
				struct node *nd = &nodes[k];

				printf("%s{\"node\":%u,\"tier\":\"%s\",\"memdev\":\"%s\","
				       "\"node-size\":%" PRIu64 ",\"target\":%" PRIu64
				       ",\"actual\":%" PRIu64 ",\"host-discarded\":%" PRIu64
				       ",\"discard-skipped\":%" PRIu64 ",\"host-resident\":%" PRIu64
				       ",\"guest-supported\":%s,\"stalled\":%s", k ? "," : "",
				       nd->id, tier_name(nd), nd->memdev, nd->size, nd->target,
				       nd->actual, nd->discarded, nd->skipped, nd->resident,
				       nd->supported ? "true" : "false",
				       nd->stalled ? "true" : "false");
				if (nd->guest_free >= 0)
					printf(",\"guest-free\":%" PRId64, nd->guest_free);
				if (nd->guest_total >= 0)
					printf(",\"guest-total\":%" PRId64, nd->guest_total);
				if (nd->guest_demand >= 0)
					printf(",\"guest-demand\":%" PRId64, nd->guest_demand);
				printf("}");
			}
			printf("]}\n");
			json_free(raw);
		}
	}
	return rc;
}

struct target {
	int node;		/* -1: by tier */
	int tier;		/* 0 fast, 1 slow */
	uint64_t size;
};

static int cmd_set(struct target *t, int nr)
{
	struct node nodes[MAX_NODES];
	char args[4096] = "{\"targets\":[", err[256];
	struct json *r;
	int n;

	if (nr_vms != 1)
		die_usage("set takes one VM (-S SOCK)%s", "");
	if (!nr)
		die_usage("set needs --fast, --slow or --node%s", "");
	n = query_nodes(&vms[0], nodes, NULL);
	if (n < 0)
		return 1;
	for (int i = 0; i < nr; i++) {
		int node = t[i].node, found = 0;

		if (node < 0) {
			for (int k = 0; k < n; k++) {
				if (nodes[k].has_cpus == (t[i].tier == 0)) {
					node = nodes[k].id;
					found++;
				}
			}
			if (found != 1) {
				fprintf(stderr, "tierhost: %s: %d %s nodes; name one with --node\n",
					vms[0].name, found, t[i].tier ? "slow" : "fast");
				return 1;
			}
		}
		snprintf(args + strlen(args), sizeof(args) - strlen(args),
			 "%s{\"node\":%d,\"size\":%" PRIu64 "}", i ? "," : "", node, t[i].size);
	}
	strcat(args, "]}");
	r = qmp_call(vms[0].q, "x-balloon-nodes", args, QMP_TIMEOUT_MS, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vms[0].name, err);
		return 1;
	}
	json_free(r);
	return 0;
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

	if (nr_vms < 1)
		die_usage("wait needs -S SOCK%s", "");
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

static int cmd_watch(long count, double timeout)
{
	double start = now_s();
	char err[256];

	if (nr_vms != 1)
		die_usage("watch takes one VM (-S SOCK)%s", "");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (count) {
		double left = timeout > 0 ? timeout - (now_s() - start) : 1.0;
		struct json *ev, *d;
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
		d = json_get(ev, "data");
		if (!strcmp(json_str(json_get(ev, "event")) ?: "", "BALLOON_NODE_CHANGE") &&
		    json_u64(json_get(d, "node"), &node) &&
		    json_u64(json_get(d, "target"), &target) &&
		    json_u64(json_get(d, "actual"), &actual)) {
			printf("%.3f node %" PRIu64 " target %" PRIu64 " actual %" PRIu64 " MiB\n",
			       now_s() - start, node, target >> 20, actual >> 20);
			if (count > 0)
				count--;
		}
		json_free(ev);
	}
	return 0;
}

struct daemon_cfg {
	struct plan_cfg plan;
	unsigned int interval_ms;
	uint64_t min;
	long rounds;
	bool dry_run;
};

/* Guest memory in use, bytes, from the balloon's statistics; 0 if none. */
static uint64_t guest_demand(struct vm *vm)
{
	char err[256];
	struct json *r = qmp_call(vm->q, "qom-get",
				  "{\"path\":\"/machine/peripheral/balloon0\",\"property\":\"guest-stats\"}",
				  QMP_TIMEOUT_MS, err, sizeof(err));
	struct json *st = json_get(r, "stats");
	int64_t total, avail, upd;
	uint64_t used = 0;

	if (json_i64(json_get(r, "last-update"), &upd) && upd > 0 &&
	    json_i64(json_get(st, "stat-total-memory"), &total) &&
	    json_i64(json_get(st, "stat-available-memory"), &avail) &&
	    total > 0 && avail >= 0 && total > avail)
		used = total - avail;
	json_free(r);
	return used;
}

static int cmd_daemon(struct daemon_cfg *dc)
{
	struct plan_vm pv[MAX_VMS];
	int fast_node[MAX_VMS];
	const char *src[MAX_VMS];
	char err[256];
	double start = now_s();
	long round = 0;

	if (!dc->plan.budget)
		die_usage("daemon needs --budget SIZE%s", "");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < nr_vms; i++) {
		struct json *r = qmp_call(vms[i].q, "qom-set",
					  "{\"path\":\"/machine/peripheral/balloon0\","
					  "\"property\":\"guest-stats-polling-interval\",\"value\":1}",
					  QMP_TIMEOUT_MS, err, sizeof(err));
		if (!r) {
			fprintf(stderr, "tierhost: %s: cannot turn on balloon statistics: %s\n",
				vms[i].name, err);
			return 1;
		}
		json_free(r);
	}
	printf("# budget %" PRIu64 " MiB, min %" PRIu64 " MiB, headroom %u%%, step %" PRIu64
	       "-%" PRIu64 " MiB per %u ms\n", dc->plan.budget >> 20, dc->min >> 20,
	       dc->plan.headroom, dc->plan.min_step >> 20, dc->plan.max_step >> 20,
	       dc->interval_ms);
	printf("# time vm demand want ideal target actual next (MiB) source\n");
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
			pv[i].actual = fast->actual;
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
			char args[256];
			struct json *r;

			printf("%.1f %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			       " %" PRIu64 " %s\n", now_s() - start, vms[i].name, pv[i].demand >> 20,
			       pv[i].want >> 20, pv[i].ideal >> 20, pv[i].target >> 20,
			       pv[i].actual >> 20, pv[i].next >> 20, src[i]);
			sum += pv[i].next;
			if (dc->dry_run || pv[i].next == pv[i].target)
				continue;
			snprintf(args, sizeof(args), "{\"targets\":[{\"node\":%d,\"size\":%" PRIu64 "}]}",
				 fast_node[i], pv[i].next);
			r = qmp_call(vms[i].q, "x-balloon-nodes", args, QMP_TIMEOUT_MS, err,
				     sizeof(err));
			if (!r)
				fprintf(stderr, "tierhost: %s: %s\n", vms[i].name, err);
			json_free(r);
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

static int cmd_qmp(const char *qcmd, const char *args)
{
	char err[256], perr[128];
	struct json *r, *a;

	if (nr_vms != 1)
		die_usage("qmp takes one VM (-S SOCK)%s", "");
	if (args) {
		a = json_parse(args, perr, sizeof(perr));
		if (!a || a->type != JSON_OBJECT) {
			fprintf(stderr, "tierhost: arguments are not a JSON object: %s\n",
				a ? "not an object" : perr);
			json_free(a);
			return 2;
		}
		json_free(a);
	}
	connect_vms();
	r = qmp_call(vms[0].q, qcmd, args, QMP_TIMEOUT_MS, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tierhost: %s: %s\n", vms[0].name, err);
		return 1;
	}
	json_write(stdout, r);
	putchar('\n');
	json_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'S' },
		{ "fast", required_argument, NULL, 'f' },
		{ "slow", required_argument, NULL, 's' },
		{ "node", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "budget", required_argument, NULL, 'B' },
		{ "min", required_argument, NULL, 'm' },
		{ "interval", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "headroom", required_argument, NULL, 'H' },
		{ "step-min", required_argument, NULL, 'k' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "fast-host", required_argument, NULL, 1000 },
		{ "slow-host", required_argument, NULL, 1001 },
		{ "fast-latency", required_argument, NULL, 1002 },
		{ "slow-latency", required_argument, NULL, 1003 },
		{ "fast-bandwidth", required_argument, NULL, 1004 },
		{ "slow-bandwidth", required_argument, NULL, 1005 },
		{ }
	};
	struct target targets[MAX_NODES + 2];
	int nr_targets = 0, c;
	double timeout = -1;
	long count = -1;
	bool as_json = false;
	struct daemon_cfg dc = {
		.plan = { .headroom = 10, .min_step = 32ULL << 20 },
		.interval_ms = 2000, .min = 256ULL << 20,
	};
	unsigned long rate = 128, v;
	struct topology topo = {
		.host = { -1, -1 }, .latency = { 80, 300 },
		.bandwidth = { 20ULL << 30, 5ULL << 30 }, .cpus = 2,
	};
	const char *cmd;
	char *end;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "S:t:n:h", opts, NULL)) != -1) {
		struct target *t = &targets[nr_targets];

		switch (c) {
		case 'S':
			add_vm(optarg);
			break;
		case 'f':
		case 's':
			if (nr_targets == MAX_NODES + 2)
				die_usage("too many targets%s", "");
			t->node = -1;
			t->tier = c == 's';
			if (parse_size(optarg, &t->size))
				die_usage("bad size '%s'", optarg);
			nr_targets++;
			break;
		case 'N': {
			long node = strtol(optarg, &end, 10);

			if (nr_targets == MAX_NODES + 2)
				die_usage("too many targets%s", "");
			if (end == optarg || *end != '=' || node < 0 || node > 65535 ||
			    parse_size(end + 1, &t->size))
				die_usage("bad --node '%s', expected N=SIZE", optarg);
			t->node = node;
			nr_targets++;
			break;
		}
		case 'j':
			as_json = true;
			break;
		case 't':
			timeout = strtod(optarg, &end);
			if (end == optarg || *end || timeout <= 0)
				die_usage("bad --timeout '%s'", optarg);
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (end == optarg || *end || count <= 0)
				die_usage("bad --count '%s'", optarg);
			break;
		case 'B':
			if (parse_size(optarg, &dc.plan.budget) || !dc.plan.budget)
				die_usage("bad --budget '%s'", optarg);
			break;
		case 'm':
			if (parse_size(optarg, &dc.min))
				die_usage("bad --min '%s'", optarg);
			break;
		case 'k':
			if (parse_size(optarg, &dc.plan.min_step))
				die_usage("bad --step-min '%s'", optarg);
			break;
		case 'i':
		case 'r':
		case 'H':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end || errno || optarg[0] == '-' ||
			    (c != 'H' && !v) || v > (c == 'H' ? 1000 : c == 'i' ? 3600000 : 1048576))
				die_usage("bad value '%s'", optarg);
			if (c == 'i')
				dc.interval_ms = v;
			else if (c == 'r')
				rate = v;
			else
				dc.plan.headroom = v;
			break;
		case 'd':
			dc.dry_run = true;
			break;
		case 'c':
		case 1000:
		case 1001:
		case 1002:
		case 1003:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (end == optarg || *end || errno || optarg[0] == '-' ||
			    ((c == 'c' || c >= 1002) && !v) || v > (c == 'c' ? 288 : 1000000))
				die_usage("bad value '%s'", optarg);
			if (c == 'c')
				topo.cpus = v;
			else if (c < 1002)
				topo.host[c - 1000] = v;
			else
				topo.latency[c - 1002] = v;
			break;
		case 1004:
		case 1005:
			if (parse_size(optarg, &topo.bandwidth[c - 1004]) ||
			    topo.bandwidth[c - 1004] < (1 << 20))
				die_usage("bad bandwidth '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			exit(2);
		}
	}
	if (!strcmp(cmd, "topology")) {
		if (nr_vms || optind < argc)
			die_usage("topology takes no VM and no arguments%s", "");
		for (int i = 0; i < nr_targets; i++) {
			if (targets[i].node >= 0)
				die_usage("topology takes --fast and --slow, not --node%s", "");
			topo.size[targets[i].tier] = targets[i].size;
		}
		return cmd_topology(&topo);
	}
	if (!nr_vms)
		die_usage("no VM given (-S SOCK)%s", "");
	if (!strcmp(cmd, "qmp")) {
		if (optind >= argc || argc - optind > 2)
			die_usage("qmp needs COMMAND [ARGUMENTS-JSON]%s", "");
		if (strspn(argv[optind], "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(argv[optind]))
			die_usage("bad QMP command name '%s'", argv[optind]);
		return cmd_qmp(argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL);
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	if (!strcmp(cmd, "show")) {
		connect_vms();
		return cmd_show(as_json);
	} else if (!strcmp(cmd, "set")) {
		connect_vms();
		return cmd_set(targets, nr_targets);
	} else if (!strcmp(cmd, "wait")) {
		connect_vms();
		return cmd_wait(timeout > 0 ? timeout : 300);
	} else if (!strcmp(cmd, "watch")) {
		connect_vms();
		return cmd_watch(count, timeout);
	} else if (!strcmp(cmd, "daemon")) {
		if (!dc.plan.budget)
			die_usage("daemon needs --budget SIZE%s", "");
		dc.plan.max_step = ((uint64_t)rate << 20) * dc.interval_ms / 1000;
		dc.rounds = count;
		connect_vms();
		return cmd_daemon(&dc);
	}
	die_usage("unknown command '%s'", cmd);
	return 2;
}
