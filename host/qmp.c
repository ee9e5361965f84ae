// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal synchronous QMP client over a UNIX or TCP socket. QMP sends
 * one JSON object per line (qmp-spec.rst, "Protocol Specification"); json-c
 * parses them. A libvirt-managed VM is reached through virsh's monitor
 * pass-through instead (virsh qemu-monitor-command and qemu-monitor-event):
 * libvirt owns the VM's QMP socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

#define QMP_MAX_EVENTS 256
/*
 * The longest message read (a line of QMP, virsh's output): a QEMU that
 * never ends its line must not take the host's memory. query-qmp-schema,
 * the longest reply QEMU 10.0 sends, is about 200 KiB.
 */
#define QMP_MAX_MSG (64 << 20)

struct qmp {
	int fd;			/* the socket; libvirt: virsh qemu-monitor-event's output */
	const char *domain;	/* libvirt: the domain's name, else NULL */
	pid_t events_pid;	/* libvirt: that virsh */
	char *buf;		/* received, not yet parsed */
	size_t len, cap;
	unsigned long id;
	struct json_object *events[QMP_MAX_EVENTS];
	unsigned int nr_events;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct json_object *qmp_get(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

bool qmp_get_u64(struct json_object *obj, const char *key, uint64_t *v)
{
	struct json_object *j = qmp_get(obj, key);

	/* json-c keeps integers above INT64_MAX as uint64: get_int64 saturates */
	if (!json_object_is_type(j, json_type_int) || json_object_get_int64(j) < 0)
		return false;
	*v = json_object_get_uint64(j);
	return true;
}

bool qmp_get_i64(struct json_object *obj, const char *key, int64_t *v)
{
	struct json_object *j = qmp_get(obj, key);

	if (!json_object_is_type(j, json_type_int))
		return false;
	*v = json_object_get_int64(j);
	return !(*v == INT64_MAX && json_object_get_uint64(j) > INT64_MAX);
}

bool qmp_get_bool(struct json_object *obj, const char *key, bool *v)
{
	struct json_object *j = qmp_get(obj, key);

	if (!json_object_is_type(j, json_type_boolean))
		return false;
	*v = json_object_get_boolean(j);
	return true;
}

const char *qmp_get_str(struct json_object *obj, const char *key)
{
	struct json_object *j = qmp_get(obj, key);

	return json_object_is_type(j, json_type_string) ? json_object_get_string(j) : NULL;
}

/*
 * Whether every integer in strict JSON @text fits json-c's int64 (negative)
 * or uint64: json-c quietly saturates one that does not, and
 * 18446744073709551616 would read as 18446744073709551615 (found by
 * fuzz/fuzz_tierhost_balloon.c). Numbers with a fraction or an exponent
 * are doubles, which no accessor reads as an integer. Strict: no
 * single-quoted strings or comments, in which a '"' would mislead this.
 */
static bool ints_fit(const char *text)
{
	static const char u64max[] = "18446744073709551615", i64min[] = "9223372036854775808";
	const char *c = text;

	while (*c) {
		const char *d, *lim;
		bool neg;
		size_t n;

		if (*c == '"') {
			for (c++; *c && *c != '"'; c++)
				if (*c == '\\' && c[1])
					c++;
			if (*c)
				c++;
			continue;
		}
		neg = *c == '-';
		d = c + neg;
		if (*d < '0' || *d > '9' || (c > text && ((c[-1] >= '0' && c[-1] <= '9') ||
		    (c[-1] >= 'a' && c[-1] <= 'z') || (c[-1] >= 'A' && c[-1] <= 'Z') ||
		    c[-1] == '.' || c[-1] == '+' || c[-1] == '-'))) {
			c++;
			continue;
		}
		while (*d == '0' && d[1] >= '0' && d[1] <= '9')
			d++;	/* json-c reads leading zeros too */
		for (n = 0; d[n] >= '0' && d[n] <= '9'; n++)
			;
		c = d + n;
		if (*c == '.' || *c == 'e' || *c == 'E')
			continue;	/* a double */
		lim = neg ? i64min : u64max;
		if (n > strlen(lim) || (n == strlen(lim) && strncmp(d, lim, n) > 0))
			return false;
	}
	return true;
}

struct json_object *qmp_parse(const char *text, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	struct json_object *j;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* QEMU and libvirt write strict JSON; with its NUL, a whole message */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	j = json_tokener_parse_ex(tok, text, strlen(text) + 1);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (j && !ints_fit(text)) {
		json_object_put(j);
		snprintf(err, errlen, "bad QMP message: an integer out of range");
		return NULL;
	}
	if (!json_object_is_type(j, json_type_object)) {
		snprintf(err, errlen, "bad QMP message: %s", j ?
			 "not a JSON object" : json_tokener_error_desc(jerr));
		json_object_put(j);
		return NULL;
	}
	return j;
}

/*
 * A line of virsh qemu-monitor-event ("event NAME at SECONDS.MICROSECONDS
 * for domain 'DOMAIN': DATA") as the QMP event it reports; NULL for other
 * lines.
 */
static struct json_object *virsh_event(const char *line)
{
	struct json_object *ev, *data = NULL, *ts;
	long long sec, usec;
	char name[64], err[64];
	const char *d;

	if (sscanf(line, "event %63s at %lld.%lld for domain", name, &sec, &usec) != 3)
		return NULL;
	d = strstr(line, "': ");
	if (d)
		data = qmp_parse(d + 3, err, sizeof(err));
	ev = json_object_new_object();
	ts = json_object_new_object();
	json_object_object_add(ts, "seconds", json_object_new_int64(sec));
	json_object_object_add(ts, "microseconds", json_object_new_int64(usec));
	json_object_object_add(ev, "timestamp", ts);
	json_object_object_add(ev, "event", json_object_new_string(name));
	if (data)
		json_object_object_add(ev, "data", data);
	return ev;
}

/* Next message (one JSON object per line), waiting until @deadline. */
static struct json_object *read_msg(struct qmp *q, long long deadline, char *err,
				    size_t errlen)
{
	for (;;) {
		char *nl = q->len ? memchr(q->buf, '\n', q->len) : NULL;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		long long left;
		ssize_t n;

		if (nl) {
			struct json_object *j = NULL;
			bool nul;

			*nl = 0;
			/* JSON has no NUL: the text after one would be ignored */
			nul = memchr(q->buf, 0, nl - q->buf);
			if (nul)
				snprintf(err, errlen, "bad QMP message: a NUL byte");
			else if (q->domain)
				j = virsh_event(q->buf);
			else
				j = qmp_parse(q->buf, err, errlen);
			q->len -= nl + 1 - q->buf;
			memmove(q->buf, nl + 1, q->len);
			if (j || nul || !q->domain)
				return j;
			continue;	/* virsh: a line that is no event */
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
		if (q->len > QMP_MAX_MSG) {
			snprintf(err, errlen, "QMP message longer than %d MiB", QMP_MAX_MSG >> 20);
			return NULL;
		}
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

static void keep_event(struct qmp *q, struct json_object *ev)
{
	if (q->nr_events == QMP_MAX_EVENTS) {
		json_object_put(q->events[0]);
		memmove(q->events, q->events + 1, sizeof(q->events[0]) * --q->nr_events);
	}
	q->events[q->nr_events++] = ev;
}

static const char *virsh_path(void)
{
	const char *v = getenv("VIRSH");

	return v && *v ? v : "virsh";
}

/* Starts virsh with @args (NULL-terminated); its stdout in *@out_fd, its stderr in *@err_fd. */
static pid_t virsh_spawn(char *const *args, int *out_fd, int *err_fd)
{
	int o[2], e[2];
	pid_t pid;

	if (pipe2(o, O_CLOEXEC))
		return -1;
	if (pipe2(e, O_CLOEXEC)) {
		close(o[0]);
		close(o[1]);
		return -1;
	}
	pid = fork();
	if (!pid) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		execvp(args[0], args);
		fprintf(stderr, "error: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	if (pid < 0) {
		close(o[0]);
		close(e[0]);
		return -1;
	}
	*out_fd = o[0];
	*err_fd = e[0];
	return pid;
}

/*
 * virsh qemu-monitor-command DOMAIN MSG: QMP's reply, or NULL with virsh's
 * error (its "error: " line) in @err.
 */
static struct json_object *virsh_call(struct qmp *q, const char *msg, long long deadline,
				      char *err, size_t errlen)
{
	char *args[] = { (char *)virsh_path(), "qemu-monitor-command", (char *)q->domain,
			 (char *)msg, NULL };
	char *out = NULL, errbuf[1024], scratch[4096];
	size_t olen = 0, ocap = 0, elen = 0;
	int ofd, efd, status;
	bool cut = false;
	struct json_object *j;
	pid_t pid;

	pid = virsh_spawn(args, &ofd, &efd);
	if (pid < 0) {
		snprintf(err, errlen, "cannot run %s: %s", args[0], strerror(errno));
		return NULL;
	}
	while (ofd >= 0 || efd >= 0) {
		struct pollfd p[2] = { { .fd = ofd, .events = POLLIN }, { .fd = efd, .events = POLLIN } };
		long long left = deadline - now_ms();
		int n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = poll(p, 2, left);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; n > 0 && i < 2; i++) {
			int *fd = i ? &efd : &ofd;
			ssize_t r;

			if (!p[i].revents)
				continue;
			if (!i && ocap - olen < 4096) {
				char *b = olen > QMP_MAX_MSG ? NULL : realloc(out, ocap * 2 + 8192);

				if (!b) {
					/* too long, or no memory: no reply */
					kill(pid, SIGKILL);
					close(*fd);
					*fd = -1;
					cut = true;
					continue;
				}
				out = b;
				ocap = ocap * 2 + 8192;
			}
			/* stdout grows; past 1 KiB of stderr is read and dropped */
			if (i)
				r = read(*fd, elen < sizeof(errbuf) - 1 ? errbuf + elen : scratch,
					 elen < sizeof(errbuf) - 1 ? sizeof(errbuf) - 1 - elen :
					 sizeof(scratch));
			else
				r = read(*fd, out + olen, ocap - 1 - olen);
			if (r > 0) {
				if (!i)
					olen += r;
				else if (elen < sizeof(errbuf) - 1)
					elen += r;
			} else if (r == 0 || errno != EINTR) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	waitpid(pid, &status, 0);
	errbuf[elen] = 0;
	j = NULL;
	if (cut) {
		snprintf(err, errlen, olen > QMP_MAX_MSG ? "QMP message longer than %d MiB" :
			 "out of memory", QMP_MAX_MSG >> 20);
	} else if (deadline <= now_ms() && !(WIFEXITED(status) && !WEXITSTATUS(status))) {
		snprintf(err, errlen, "QMP timed out");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		const char *e = strstr(errbuf, "error: ");

		e = e ? e + 7 : *errbuf ? errbuf : "virsh failed";
		snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
	} else if (!out) {
		snprintf(err, errlen, "out of memory");
	} else {
		out[olen] = 0;
		j = qmp_parse(out, err, errlen);
		if (!j)
			snprintf(err, errlen, "bad QMP message from virsh: %.*s",
				 (int)strcspn(out, "\n"), out);
	}
	free(out);
	return j;
}

/* connect(2) that gives up at @deadline; 0 or an errno */
static int connect_until(int fd, const struct sockaddr *sa, socklen_t len, long long deadline)
{
	int flags = fcntl(fd, F_GETFL), e = 0;
	socklen_t elen = sizeof(e);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		return errno;
	if (connect(fd, sa, len)) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		long long left;

		if (errno != EINPROGRESS)
			return errno;
		do {
			left = deadline - now_ms();
			if (left <= 0)
				return ETIMEDOUT;
		} while (poll(&pfd, 1, left) < 0 && errno == EINTR);
		if (!pfd.revents)
			return ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen))
			return errno;
		if (e)
			return e;
	}
	return fcntl(fd, F_SETFL, flags) ? errno : 0;
}

/* A connected socket for @addr, or -1 with a message in @err. */
static int qmp_connect(const char *addr, long long deadline, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	char host[256], *port;
	int fd = -1, e = 0, rc;

	if (strncmp(addr, "tcp:", 4)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		const char *path = strncmp(addr, "unix:", 5) ? addr : addr + 5;

		if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
			snprintf(err, errlen, "%s: %s", addr, *path ? "socket path too long" :
				 "no socket path");
			return -1;
		}
		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || (e = connect_until(fd, (struct sockaddr *)&sa, sizeof(sa), deadline))) {
			snprintf(err, errlen, "%s: %s", path, strerror(fd < 0 ? errno : e));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	/* tcp:HOST:PORT, HOST may be [IPv6] */
	snprintf(host, sizeof(host), "%s", addr + 4);
	port = strrchr(host, ':');
	if (!port || port == host || !port[1]) {
		snprintf(err, errlen, "%s: expected tcp:HOST:PORT", addr);
		return -1;
	}
	*port++ = 0;
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = 0;
		memmove(host, host + 1, strlen(host));
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		e = connect_until(fd, a->ai_addr, a->ai_addrlen, deadline);
		if (!e)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", addr, strerror(e));
	return fd;
}

struct qmp *qmp_open(const char *addr, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	struct json_object *j, *r;
	struct qmp *q;

	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->fd = -1;
	if (!strncmp(addr, "libvirt:", 8)) {
		/* libvirt negotiated the capabilities: check that the VM answers */
		q->domain = addr + 8;
		r = qmp_call(q, "query-status", NULL, timeout_ms, err, errlen);
		if (!r) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s: %s", addr, why);
			qmp_close(q);
			return NULL;
		}
		json_object_put(r);
		return q;
	}
	q->fd = qmp_connect(addr, deadline, err, errlen);
	if (q->fd < 0) {
		qmp_close(q);
		return NULL;
	}
	/*
	 * QEMU may first flush what it queued for the socket's previous
	 * client (an event emitted as that client left): skip it.
	 */
	while ((j = read_msg(q, deadline, err, errlen)) && !qmp_get(j, "QMP")) {
		if (!qmp_get(j, "event") && !qmp_get(j, "return") && !qmp_get(j, "error")) {
			snprintf(err, errlen, "%s: no QMP greeting", addr);
			break;
		}
		json_object_put(j);
	}
	if (!j || !qmp_get(j, "QMP")) {
		json_object_put(j);
		qmp_close(q);
		return NULL;
	}
	json_object_put(j);
	r = qmp_call(q, "qmp_capabilities", NULL, deadline - now_ms(), err, errlen);
	if (!r) {
		qmp_close(q);
		return NULL;
	}
	json_object_put(r);
	return q;
}

void qmp_close(struct qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->events_pid > 0) {
		kill(q->events_pid, SIGTERM);
		waitpid(q->events_pid, NULL, 0);
	}
	while (q->nr_events)
		json_object_put(q->events[--q->nr_events]);
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

/* A reply's return value (taking @j), or NULL with its error in @err. */
static struct json_object *reply_return(struct json_object *j, char *err, size_t errlen)
{
	struct json_object *e = qmp_get(j, "error"), *r;

	if (e) {
		const char *d = qmp_get_str(e, "desc");

		snprintf(err, errlen, "%s", d ? d : "QMP error without a description");
		json_object_put(j);
		return NULL;
	}
	r = json_object_get(qmp_get(j, "return"));
	json_object_put(j);
	if (!r)
		snprintf(err, errlen, "QMP reply without a return value");
	return r;
}

struct json_object *qmp_call(struct qmp *q, const char *cmd, struct json_object *args,
			     int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;
	unsigned long id = ++q->id;
	struct json_object *msg = json_object_new_object();
	const char *text;
	int rc;

	/* through virsh no id: virsh matches the reply, with libvirt's id */
	if (!msg || json_object_object_add(msg, "execute", json_object_new_string(cmd)) ||
	    (!q->domain && json_object_object_add(msg, "id", json_object_new_uint64(id))) ||
	    (args && json_object_object_add(msg, "arguments", json_object_get(args)))) {
		json_object_put(msg);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (q->domain) {
		struct json_object *j;

		j = text ? virsh_call(q, text, deadline, err, errlen) : NULL;
		json_object_put(msg);
		return j ? reply_return(j, err, errlen) : NULL;
	}
	rc = text ? write_all(q->fd, text, strlen(text)) || write_all(q->fd, "\n", 1) : -1;
	json_object_put(msg);
	if (rc) {
		snprintf(err, errlen, "QMP write: %s", text ? strerror(errno) : "out of memory");
		return NULL;
	}
	for (;;) {
		struct json_object *j = read_msg(q, deadline, err, errlen);
		uint64_t got;

		if (!j)
			return NULL;
		if (qmp_get(j, "event")) {
			keep_event(q, j);
			continue;
		}
		/* a reply to an earlier command that timed out: not ours */
		if (!qmp_get_u64(j, "id", &got) || got != id) {
			json_object_put(j);
			continue;
		}
		return reply_return(j, err, errlen);
	}
}

struct json_object *qmp_event(struct qmp *q, int timeout_ms, char *err, size_t errlen)
{
	long long deadline = now_ms() + timeout_ms;

	err[0] = 0;
	if (q->domain && q->events_pid <= 0) {
		/* libvirt: events from now on, through one long-running virsh */
		char *args[] = { (char *)virsh_path(), "qemu-monitor-event", "--domain",
				 (char *)q->domain, "--loop", NULL };
		int efd;

		q->events_pid = virsh_spawn(args, &q->fd, &efd);
		if (q->events_pid < 0) {
			snprintf(err, errlen, "cannot run %s: %s", args[0], strerror(errno));
			return NULL;
		}
		close(efd);	/* its errors end its output: "QMP connection closed" */
	}
	for (;;) {
		struct json_object *j;

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
		if (qmp_get(j, "event"))
			return j;
		json_object_put(j);
	}
}
