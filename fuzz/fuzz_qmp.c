// SPDX-License-Identifier: GPL-2.0
/*
 * tierhost's QMP client (host/qmp.c): the input is the byte stream a VM's
 * QMP socket sends (greeting, replies, events, one JSON object per line),
 * or what virsh qemu-monitor-event prints for a libvirt domain. Untrusted:
 * QEMU serves the guest, and a guest that escaped into QEMU writes
 * whatever it likes there. The stream is fed through a socket pair to
 * qmp_call() (three commands) and qmp_event() (until none is left); the
 * replies go through the qmp_get_*() accessors; then the same bytes are
 * read as virsh's event lines.
 */
#include "../host/qmp.c"

static void accessors(struct json_object *j)
{
	static const char *const keys[] = { "node", "return", "id", "event", "data",
					    "target", "actual", "QMP", "desc" };
	uint64_t u;
	int64_t i;
	bool b;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		/* a u64 is never read from a negative number */
		if (qmp_get_u64(j, keys[k], &u) &&
		    json_object_to_json_string(qmp_get(j, keys[k]))[0] == '-')
			abort();
		if (qmp_get_i64(j, keys[k], &i) && i != json_object_get_int64(qmp_get(j, keys[k])))
			abort();
		qmp_get_bool(j, keys[k], &b);
		qmp_get_str(j, keys[k]);
	}
	if (json_object_is_type(j, json_type_array))
		for (size_t k = 0; k < json_object_array_length(j); k++)
			accessors(json_object_array_get_idx(j, k));
}

/* A struct qmp reading @data through a socket pair; NULL if it cannot. */
static struct qmp *feed(const uint8_t *data, size_t size, int *peer)
{
	struct qmp *q = calloc(1, sizeof(*q));
	int sv[2];

	if (!q)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    write_all(sv[1], (const char *)data, size) || shutdown(sv[1], SHUT_WR)) {
		free(q);
		return NULL;
	}
	q->fd = sv[0];
	*peer = sv[1];	/* open: what qmp_call() writes goes there */
	return q;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = { "qmp_capabilities", "x-query-balloon-nodes",
					    "qom-get" };
	struct json_object *j;
	struct qmp *q;
	char err[256];
	int peer;

	/* the socket buffer holds it: the writer need not be another thread */
	if (size > 64 * 1024)
		return 0;
	signal(SIGPIPE, SIG_IGN);
	q = feed(data, size, &peer);
	if (!q)
		return 0;
	for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
		j = qmp_call(q, cmds[c], NULL, 1000, err, sizeof(err));
		if (!j && !memchr(err, '\0', sizeof(err)))
			abort();
		accessors(j);
		json_object_put(j);
	}
	while ((j = qmp_event(q, 0, err, sizeof(err)))) {
		if (!qmp_get(j, "event"))
			abort();
		accessors(j);
		accessors(qmp_get(j, "data"));
		json_object_put(j);
	}
	qmp_close(q);
	close(peer);

	/* virsh qemu-monitor-event --loop's lines */
	q = feed(data, size, &peer);
	if (!q)
		return 0;
	q->domain = "fuzz";
	while ((j = read_msg(q, now_ms() + 1000, err, sizeof(err)))) {
		if (!qmp_get_str(j, "event") || !qmp_get(j, "timestamp"))
			abort();
		accessors(qmp_get(j, "data"));
		json_object_put(j);
	}
	qmp_close(q);
	close(peer);
	return 0;
}
