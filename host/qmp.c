// SPDX-License-Identifier: GPL-2.0
/* A minimal synchronous QMP client over a unix socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_MAX_EVENTS 256

struct qmp {
	int fd;
	char *buf;		/* received, not yet parsed */
	size_t len, cap;
	unsigned long id;
	struct json *events[QMP_MAX_EVENTS];
	unsigned int nr_events;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Next message (one JSON object per line), waiting until @deadline. */
static struct json *read_msg(struct qmp *q, long long deadline, char *err, size_t errlen)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			struct json *j;

			*nl = 0;
			j = json_parse(q->buf, err, errlen);
			q->len -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->len);
			if (!j)
				return NULL;
			return j;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			snprintf(err, errlen, "QMP timed out");
			return NULL;
		}
		n = poll(&pfd, 1, left);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return NULL;
		}
		if (n <= 0)
			continue;
		if (q->cap - q->len < 4096) {
			char *b = realloc(q->buf, q->cap * 2 + 4096);

			if (!b) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			q->buf = b;
			q->cap = q->cap * 2 + 4096;
		}
		n = read(q->fd, q->buf + q->len, q->cap - q->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "QMP connection closed");
			return NULL;
		}
		q->len += n;
		q->buf[q->len] = 0;
	}
}

static void keep_event(struct qmp *q, struct json *ev)
{
	if (q->nr_events == QMP_MAX_EVENTS) {
		json_free(q->events[0]);
		memmove(q->events, q->events + 1, sizeof(q->events[0]) * --q->nr_events);
	}
	q->events[q->nr_events++] = ev;
}

struct qmp *qmp_open(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp *q;
	struct json *j, *r;
	long long deadline;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		qmp_close(q);
		return NULL;
	}
	/*
	 * QEMU may first flush what it queued for the socket's previous
	 * client (an event emitted as that client left): skip it.
	 */
	deadline = now_ms() + timeout_ms;
	while ((j = read_msg(q, deadline, err, errlen)) && !json_get(j, "QMP")) {
		if (!json_get(j, "event") && !json_get(j, "return") && !json_get(j, "error")) {
			snprintf(err, errlen, "%s: no QMP greeting", path);
			break;
		}
		json_free(j);
	}
	if (!j || !json_get(j, "QMP")) {
		json_free(j);
		qmp_close(q);
		return NULL;
	}
	json_free(j);
	r = qmp_call(q, "qmp_capabilities", NULL, timeout_ms, err, errlen);
	if (!r) {
		qmp_close(q);
		return NULL;
	}
	json_free(r);
	return q;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	while (q->nr_events)
		json_free(q->events[--q->nr_events]);
	free(q->buf);
	free(q);
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= w;
	}
	return 0;
}

struct json *qmp_call(struct qmp *q, const char *cmd, const char *args,
		      int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned long id = ++q->id;
	char *msg;
	int n;

	n = asprintf(&msg, "{\"execute\":\"%s\",\"id\":%lu%s%s}\n", cmd, id,
		     args ? ",\"arguments\":" : "", args ? args : "");
	if (n < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (write_all(q->fd, msg, n)) {
		snprintf(err, errlen, "QMP write: %s", strerror(errno));
		free(msg);
		return NULL;
	}
	free(msg);
	for (;;) {
		struct json *j = read_msg(q, deadline, err, errlen), *r, *e;
		uint64_t got;

		if (!j)
			return NULL;
		if (json_get(j, "event")) {
			keep_event(q, j);
			continue;
		}
		if (!json_u64(json_get(j, "id"), &got) || got != id) {
			json_free(j);
			continue;
		}
		e = json_get(j, "error");
		if (e) {
			const char *d = json_str(json_get(e, "desc"));

			snprintf(err, errlen, "%s", d ? d : "QMP error without a description");
			json_free(j);
			return NULL;
		}
		r = json_get(j, "return");
		if (!r) {
			snprintf(err, errlen, "QMP reply without a return value");
			json_free(j);
			return NULL;
		}
		/* detach the return value from the reply */
		for (struct json **pp = &j->child; *pp; pp = &(*pp)->next) {
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		}
		r->next = NULL;
		json_free(j);
		return r;
	}
}

struct json *qmp_event(struct qmp *q, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;

	err[0] = 0;
	for (;;) {
		struct json *j;

		if (q->nr_events) {
			j = q->events[0];
			memmove(q->events, q->events + 1, sizeof(q->events[0]) * --q->nr_events);
			return j;
		}
		j = read_msg(q, deadline, err, errlen);
		if (!j) {
			if (!strcmp(err, "QMP timed out"))
				err[0] = 0;	/* no event is not an error */
			return NULL;
		}
		if (json_get(j, "event"))
			return j;
		json_free(j);
	}
}
