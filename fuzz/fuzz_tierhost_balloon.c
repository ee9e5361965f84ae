// SPDX-License-Identifier: GPL-2.0
/*
 * What tierhost makes of a VM's QMP messages (host/parse.c) and budgets
 * with (host/plan.c): the input is one QMP message, JSON as QEMU sends it
 * (parsed by qmp_parse(), as tierhost does), its "return" read as
 * x-query-balloon-nodes' return value (an array of nodes) and as qom-get's
 * for the balloon's guest-stats; the message as a BALLOON_NODE_CHANGE
 * event. Untrusted: the sizes, targets, actuals and
 * demands are what the guest reports (through QEMU). Each node then plays
 * one VM's fast node in the daemon's plan, as cmd_daemon() builds it.
 * Checks: node ids fit QAPI's uint16; a reported demand is used; a plan
 * wants at least a VM's demand (up to its node), never gives a VM more
 * than its node, never plans past the budget, and grows a VM only while
 * what the VMs hold or are promised stays within the budget.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "plan.h"
#include "qmp.h"

#define MAX_NODES 16

typedef unsigned __int128 u128;

static void check_plan(struct plan_vm *pv, int n, const struct plan_cfg *cfg)
{
	u128 ideal = 0, held = 0;
	bool grew = false;

	if (plan_compute(pv, n, cfg))
		return;
	for (int i = 0; i < n; i++) {
		const struct plan_vm *v = &pv[i];
		uint64_t lo = v->ideal < v->target ? v->ideal : v->target;
		uint64_t hi = v->ideal < v->target ? v->target : v->ideal;
		uint64_t base = v->target > v->actual ? v->target : v->actual;

		if (v->want > v->max || v->ideal > v->max || v->next < lo || v->next > hi)
			abort();
		/* headroom adds: a VM wants at least its demand, up to its node */
		if (v->want < (v->demand < v->max ? v->demand : v->max))
			abort();
		ideal += v->ideal;
		grew |= v->next > base;
		held += v->next > base ? v->next : v->next > v->target ? base :
			v->next > v->actual ? v->next : v->actual;
	}
	if (ideal > cfg->budget || (grew && held > cfg->budget))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node nodes[MAX_NODES];
	struct plan_vm pv[MAX_NODES];
	uint64_t used, node, target, actual;
	struct json_object *j, *msg;
	char *text, err[128];
	int n;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* as read_msg() reads a message: an object, whose "return" a reply's */
	msg = qmp_parse(text, err, sizeof(err));
	free(text);
	j = qmp_get(msg, "return");
	if (!j)
		j = msg;

	used = parse_guest_used(j);
	if (used > INT64_MAX)
		abort();
	if (parse_node_change(j, &node, &target, &actual) && node > NODE_ID_MAX)
		abort();
	n = parse_balloon_nodes(j, nodes, MAX_NODES);
	if (n > MAX_NODES)
		abort();
	for (int i = 0; i < n; i++) {
		const struct node *nd = &nodes[i];
		struct json_object *gd = qmp_get(json_object_array_get_idx(j, i), "guest-demand");

		if (nd->id > NODE_ID_MAX || !memchr(nd->memdev, '\0', sizeof(nd->memdev)))
			abort();
		/* a demand the guest reports (a QAPI size) is never taken for none */
		if (json_object_is_type(gd, json_type_int) &&
		    json_object_to_json_string(gd)[0] != '-' && nd->guest_demand < 0)
			abort();
		pv[i] = (struct plan_vm){
			.max = nd->size, .min = 256ULL << 20, .target = nd->target,
			.actual = nd->actual,
			.demand = nd->guest_demand >= 0 ? (uint64_t)nd->guest_demand :
				  used ? used : nd->target,
		};
	}
	if (n > 0) {
		/* tierhost's defaults, and the extremes of its options */
		const struct plan_cfg cfgs[] = {
			{ .budget = 8ULL << 30, .headroom = 10, .max_step = 256ULL << 20,
			  .min_step = 32ULL << 20 },
			{ .budget = 1ULL << 40, .headroom = 1000, .max_step = 0, .min_step = 0 },
			{ .budget = UINT64_MAX, .headroom = 0, .max_step = 4096,
			  .min_step = 1 },
		};

		for (size_t c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
			struct plan_vm copy[MAX_NODES];

			memcpy(copy, pv, sizeof(pv[0]) * n);
			check_plan(copy, n, &cfgs[c]);
		}
	}
	json_object_put(msg);
	return 0;
}
