// SPDX-License-Identifier: GPL-2.0
/*
 * tierhost's pieces on the host, no VM: the QMP client against a fake QMP
 * server (UNIX and TCP), tierhost's JSON output and its usage errors.
 */
/* tier-test: host */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include "parse.h"
#include "plan.h"
#include "qmp.h"

/* The typed getters keep QMP's sizes exact: unsigned 64-bit, no doubles. */
TEST(qmp_typed_members)
{
	struct json_object *j = json_tokener_parse(
		"{\"one\": 1, \"neg\": -2, \"big\": 18446744073709551615,"
		" \"min\": -9223372036854775808, \"f\": 3.5, \"b\": true, \"s\": \"x\"}");
	uint64_t u;
	int64_t i;
	bool b;

	ASSERT_NE(NULL, j);
	ASSERT_TRUE(qmp_get_u64(j, "one", &u));
	ASSERT_EQ(1, u);
	ASSERT_FALSE(qmp_get_u64(j, "neg", &u));
	ASSERT_TRUE(qmp_get_i64(j, "neg", &i));
	ASSERT_EQ(-2, i);
	ASSERT_TRUE(qmp_get_u64(j, "big", &u));
	ASSERT_EQ(UINT64_MAX, u);
	ASSERT_FALSE(qmp_get_i64(j, "big", &i));
	ASSERT_TRUE(qmp_get_i64(j, "min", &i));
	ASSERT_EQ(INT64_MIN, i);
	ASSERT_FALSE(qmp_get_u64(j, "f", &u));
	ASSERT_FALSE(qmp_get_i64(j, "f", &i));
	ASSERT_FALSE(qmp_get_u64(j, "s", &u));
	ASSERT_FALSE(qmp_get_u64(j, "missing", &u));
	ASSERT_TRUE(qmp_get_bool(j, "b", &b));
	ASSERT_TRUE(b);
	ASSERT_FALSE(qmp_get_bool(j, "one", &b));
	ASSERT_STREQ("x", qmp_get_str(j, "s"));
	ASSERT_EQ(NULL, qmp_get_str(j, "b"));
	/* not an object */
	ASSERT_FALSE(qmp_get_u64(qmp_get(j, "one"), "one", &u));
	ASSERT_EQ(NULL, qmp_get(NULL, "one"));
	json_object_put(j);
}

/* A fake QMP server: a greeting, then scripted answers per command. */
struct fake {
	char path[108];
	int lfd;
	bool silent;		/* never answer the test command */
	bool vm;		/* answer like a tiered VM (daemon test) */
	bool stale;		/* an event and a reply before the greeting */
	bool tcp;		/* listen on 127.0.0.1; path is tcp:127.0.0.1:PORT */
	bool garbage;		/* answer with a line that is not JSON */
	long demand_mib;	/* vm: fast node's guest-demand; < 0: none */
	char set_args[512];	/* vm: the last x-balloon-nodes request */
};

/* A VM with a 1 GiB fast node at 512 MiB and 100 MiB of memory in use. */
static void fake_vm_answer(struct fake *f, int fd, const char *req, unsigned long n)
{
	char demand[64] = "";

	if (strstr(req, "x-query-balloon-nodes")) {
		if (f->demand_mib >= 0)
			snprintf(demand, sizeof(demand), ", \"guest-demand\": %llu",
				 (unsigned long long)f->demand_mib << 20);
		dprintf(fd, "{\"return\": [{\"node\": 0, \"pxm\": 0, \"memdev\": \"m0\", "
			"\"with-cpus\": true, \"node-size\": 1073741824, \"target\": 536870912, "
			"\"actual\": 536870912, \"host-discarded\": 0, \"discard-skipped\": 0, "
			"\"host-resident\": 0, \"guest-supported\": true, \"stalled\": false, "
			"\"guest-free\": 1048576, \"guest-total\": 536870912%s}, "
			"{\"node\": 1, \"pxm\": 1, \"memdev\": \"m1\", \"with-cpus\": false, "
			"\"node-size\": 2147483648, \"target\": 2147483648, \"actual\": 2147483648, "
			"\"host-discarded\": 0, \"discard-skipped\": 0, \"host-resident\": 0, "
			"\"guest-supported\": true, \"stalled\": false}], \"id\": %lu}\r\n",
			demand, n);
	} else if (strstr(req, "\"qom-get\"")) {
		dprintf(fd, "{\"return\": {\"last-update\": 1, \"stats\": {"
			"\"stat-total-memory\": 2147483648, \"stat-available-memory\": 2042626048}}, "
			"\"id\": %lu}\r\n", n);
	} else {
		if (strstr(req, "x-balloon-nodes")) {
			size_t k = strnlen(req, sizeof(f->set_args) - 1);

			memcpy(f->set_args, req, k);
			f->set_args[k] = 0;
		}
		dprintf(fd, "{\"return\": {}, \"id\": %lu}\r\n", n);
	}
}

static void *fake_qmp(void *arg)
{
	struct fake *f = arg;
	char buf[4096];
	int fd = accept(f->lfd, NULL, NULL);
	FILE *in;

	if (fd < 0)
		return NULL;
	in = fdopen(dup(fd), "r");
	/* what QEMU queued for the previous client can come first */
	if (f->stale)
		dprintf(fd, "{\"timestamp\": {}, \"event\": \"BALLOON_NODE_CHANGE\", \"data\": {}}\r\n"
			"{\"return\": {}, \"id\": 77}\r\n");
	dprintf(fd, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
	while (fgets(buf, sizeof(buf), in)) {
		char *id = strstr(buf, "\"id\":");
		unsigned long n = id ? strtoul(id + 5, NULL, 10) : 0;

		if (strstr(buf, "qmp_capabilities")) {
			dprintf(fd, "{\"return\": {}, \"id\": %lu}\r\n", n);
		} else if (f->silent) {
			continue;
		} else if (f->garbage) {
			dprintf(fd, "{\"return\": oops\r\n");
		} else if (f->vm) {
			fake_vm_answer(f, fd, buf, n);
		} else if (strstr(buf, "\"fails\"")) {
			dprintf(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Node 9 is not a NUMA node\"}, \"id\": %lu}\r\n", n);
		} else {
			/* an event, a stale reply, then ours */
			dprintf(fd, "{\"event\": \"BALLOON_NODE_CHANGE\", \"data\": {\"node\": 1, \"target\": 1, \"actual\": 2}}\r\n");
			dprintf(fd, "{\"return\": {\"stale\": true}, \"id\": %lu}\r\n", n + 1000);
			dprintf(fd, "{\"return\": [{\"node\": 0}], \"id\": %lu}\r\n", n);
		}
	}
	fclose(in);
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, pthread_t *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sockaddr_in si = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(si);

	if (f->tcp) {
		f->lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (bind(f->lfd, (struct sockaddr *)&si, sizeof(si)) || listen(f->lfd, 1) ||
		    getsockname(f->lfd, (struct sockaddr *)&si, &len))
			abort();
		snprintf(f->path, sizeof(f->path), "tcp:127.0.0.1:%u", ntohs(si.sin_port));
	} else {
		snprintf(f->path, sizeof(f->path), "/tmp/tierhost_test.%d.sock", getpid());
		unlink(f->path);
		strcpy(sa.sun_path, f->path);
		f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(f->lfd, 1))
			abort();
	}
	pthread_create(t, NULL, fake_qmp, f);
}

/* The fake started and a client connected to it, or the test fails. */
#define FAKE_OPEN(f, t, q, err)						\
	do {								\
		fake_start(&(f), &(t));					\
		(q) = qmp_open((f).path, 5000, err, sizeof(err));	\
		ASSERT_NE(NULL, q) TH_LOG("%s", err);			\
	} while (0)

static void fake_stop(struct fake *f, pthread_t t)
{
	pthread_join(t, NULL);
	close(f->lfd);
	if (!f->tcp)
		unlink(f->path);
}

static void qmp_client_run(struct __test_metadata *_metadata, bool tcp)
{
	struct fake f = { .tcp = tcp };
	struct json_object *r, *ev, *args;
	char err[256];
	pthread_t t;
	struct qmp *q;
	uint64_t v;

	FAKE_OPEN(f, t, q, err);
	r = qmp_call(q, "x-query-balloon-nodes", NULL, 5000, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	ASSERT_TRUE(json_object_is_type(r, json_type_array));
	ASSERT_TRUE(qmp_get_u64(json_object_array_get_idx(r, 0), "node", &v));
	ASSERT_EQ(0, v);
	json_object_put(r);
	/* the event that came before the reply was kept */
	ev = qmp_event(q, 100, err, sizeof(err));
	ASSERT_NE(NULL, ev);
	ASSERT_STREQ("BALLOON_NODE_CHANGE", qmp_get_str(ev, "event"));
	json_object_put(ev);
	ASSERT_EQ(NULL, qmp_event(q, 100, err, sizeof(err)));
	ASSERT_EQ(0, err[0]);
	args = json_tokener_parse("{\"x\": 1}");
	r = qmp_call(q, "fails", args, 5000, err, sizeof(err));
	json_object_put(args);
	ASSERT_EQ(NULL, r);
	ASSERT_STREQ("Node 9 is not a NUMA node", err);
	qmp_close(q);
	fake_stop(&f, t);
}

TEST(qmp_client)
{
	qmp_client_run(_metadata, false);
}

TEST(qmp_client_tcp)
{
	qmp_client_run(_metadata, true);
}

TEST(qmp_bad_message)
{
	struct fake f = { .garbage = true };
	char err[256];
	pthread_t t;
	struct qmp *q;

	FAKE_OPEN(f, t, q, err);
	ASSERT_EQ(NULL, qmp_call(q, "query-balloon", NULL, 5000, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "bad QMP message")) TH_LOG("%s", err);
	qmp_close(q);
	fake_stop(&f, t);
}

TEST(qmp_greeting_after_stale_output)
{
	struct fake f = { .stale = true };
	char err[256];
	pthread_t t;
	struct qmp *q;
	struct json_object *r;

	FAKE_OPEN(f, t, q, err);
	r = qmp_call(q, "x-query-balloon-nodes", NULL, 5000, err, sizeof(err));
	ASSERT_NE(NULL, r) TH_LOG("%s", err);
	json_object_put(r);
	qmp_close(q);
	fake_stop(&f, t);
}

TEST(qmp_timeout_and_no_server)
{
	struct fake f = { .silent = true };
	char err[256];
	pthread_t t;
	struct qmp *q;

	FAKE_OPEN(f, t, q, err);
	ASSERT_EQ(NULL, qmp_call(q, "query-balloon", NULL, 300, err, sizeof(err)));
	ASSERT_STREQ("QMP timed out", err);
	qmp_close(q);
	fake_stop(&f, t);
	ASSERT_EQ(NULL, qmp_open(f.path, 1000, err, sizeof(err)));
	ASSERT_NE(NULL, strstr(err, "No such file"));
}

/* tierhost ARGS...; the exit status, and what it wrote to @fd in @msg */
static int tierhost_fd(int fd, char *msg, size_t len, ...)
{
	const char *argv[16] = { getenv("TIERHOST") ?: "build/bin/tierhost" };
	int fds[2], argc = 1, status;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, len);
	while (argc < 15 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(open("/dev/null", O_WRONLY), 3 - fd);
		dup2(fds[1], fd);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	close(fds[1]);
	size_t got = 0;

	while (got < len - 1 && (n = read(fds[0], msg + got, len - 1 - got)) > 0)
		got += n;
	msg[got] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* tierhost ARGS...; returns the exit status, stderr in @msg */
#define tierhost(msg, len, ...) tierhost_fd(2, msg, len, __VA_ARGS__)

/* One daemon round against a fake VM; its plan line in @line. */
static int daemon_round(struct fake *f, char *line, size_t len)
{
	char out[2048], *l;
	pthread_t t;
	int rc;

	fake_start(f, &t);
	rc = tierhost_fd(1, out, sizeof(out), "daemon", "-S", f->path, "--budget", "1G",
			  "--min", "256M", "--rate", "1024", "-n", "1", NULL);
	fake_stop(f, t);
	l = strstr(out, "\n0.");
	l = l ? l + 1 : out;
	len = strnlen(l, len - 1);
	memcpy(line, l, len);
	line[len] = 0;
	return rc;
}

/* One daemon round; its demand and source are @mib and @source. */
static void daemon_expect(struct __test_metadata *_metadata, long demand_mib,
			  const char *mib, const char *source)
{
	struct fake f = { .vm = true, .demand_mib = demand_mib };
	char line[256];

	ASSERT_EQ(0, daemon_round(&f, line, sizeof(line)));
	/* time vm demand want ideal target actual next source */
	TH_LOG("%s", line);
	ASSERT_NE(NULL, strstr(line, mib));
	ASSERT_NE(NULL, strstr(line, source));
	/* more than the 512 MiB it has: 1 GiB of budget, nobody else */
	ASSERT_NE(NULL, strstr(f.set_args, "\"node\":0"));
	ASSERT_EQ(NULL, strstr(f.set_args, "\"size\":536870912"));
}

TEST(daemon_demand_from_the_guest_policy)
{
	daemon_expect(_metadata, 900, " 900 ", " policy");
}

TEST(daemon_demand_from_memory_in_use)
{
	daemon_expect(_metadata, -1, " 100 ", " used");
}

/* tierhost ARGS... against a fake VM; exit status, stdout parsed per line */
static int fake_vm_json(struct fake *f, struct json_object **lines, int max,
			const char *cmd, const char *opt1, const char *opt2, const char *opt3)
{
	char out[8192], *save = NULL, *l;
	pthread_t t;
	int rc, n = 0;

	fake_start(f, &t);
	rc = tierhost_fd(1, out, sizeof(out), cmd, "-S", f->path, opt1, opt2, opt3, NULL);
	fake_stop(f, t);
	for (l = strtok_r(out, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
		lines[n++] = json_tokener_parse(l);
	return rc;
}

/* show --json passes QMP's reply through, fields tierhost does not know too */
TEST(show_json_is_qmps_reply)
{
	struct fake f = { .vm = true, .demand_mib = -1 };
	struct json_object *l[4] = { }, *ret;
	uint64_t v;

	ASSERT_EQ(0, fake_vm_json(&f, l, 4, "show", "--json", NULL, NULL));
	ASSERT_NE(NULL, l[0]);
	ASSERT_EQ(NULL, l[1]);
	ASSERT_STREQ(strrchr(f.path, '/') + 1, qmp_get_str(l[0], "vm"));
	ret = qmp_get(l[0], "return");
	ASSERT_EQ(2, json_object_array_length(ret));
	ASSERT_TRUE(qmp_get_u64(json_object_array_get_idx(ret, 1), "pxm", &v));
	ASSERT_EQ(1, v);
	ASSERT_TRUE(qmp_get_u64(json_object_array_get_idx(ret, 1), "node-size", &v));
	ASSERT_EQ(2ULL << 30, v);
	json_object_put(l[0]);
}

/* daemon --json: a configuration line, then one line per VM and round */
TEST(daemon_json_lines)
{
	struct fake f = { .vm = true, .demand_mib = 900 };
	struct json_object *l[4] = { };
	uint64_t v;

	ASSERT_EQ(0, fake_vm_json(&f, l, 4, "daemon", "--budget=1G", "--json", "-n1"));
	ASSERT_NE(NULL, l[0]);
	ASSERT_NE(NULL, l[1]);
	ASSERT_TRUE(qmp_get_u64(l[0], "budget", &v));
	ASSERT_EQ(1ULL << 30, v);
	ASSERT_TRUE(qmp_get_u64(l[1], "demand", &v));
	ASSERT_EQ(900ULL << 20, v);
	ASSERT_STREQ("policy", qmp_get_str(l[1], "source"));
	ASSERT_TRUE(qmp_get_u64(l[1], "next", &v));
	ASSERT_NE(NULL, strstr(f.set_args, "\"size\":"));
	json_object_put(l[0]);
	json_object_put(l[1]);
	json_object_put(l[2]);
}

TEST(tierhost_usage)
{
	char m[512];

	ASSERT_EQ(2, tierhost(m, sizeof(m), NULL));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "show", NULL));
	ASSERT_NE(NULL, strstr(m, "no VM given"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "frob", "-S", "/x", NULL));
	ASSERT_NE(NULL, strstr(m, "unknown command 'frob'"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "set", "-S", "/x", "--slow", "12Q", NULL));
	ASSERT_NE(NULL, strstr(m, "bad size '12Q'"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "set", "-S", "/x", "--node", "1:5G", NULL));
	ASSERT_NE(NULL, strstr(m, "expected N=SIZE"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "wait", "-S", "/x", "--timeout", "-1", NULL));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "qmp", "-S", "/x", "query-balloon", "[1]", NULL));
	ASSERT_NE(NULL, strstr(m, "not a JSON object"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "daemon", "-S", "/x", NULL));
	ASSERT_NE(NULL, strstr(m, "needs --budget"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "daemon", "-S", "/x", "--budget", "1G", "--rate", "0", NULL));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "daemon", "-S", "/x", "--budget", "1G", "--headroom", "-5", NULL));
	ASSERT_EQ(1, tierhost(m, sizeof(m), "show", "-S", "/nonexistent/qmp", NULL));
	ASSERT_NE(NULL, strstr(m, "No such file or directory"));
	/* each command takes its own options only */
	ASSERT_EQ(2, tierhost(m, sizeof(m), "show", "-S", "/x", "--budget", "1G", NULL));
	ASSERT_NE(NULL, strstr(m, "show does not take --budget"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "set", "-S", "/x", "--json", NULL));
	ASSERT_NE(NULL, strstr(m, "set does not take --json"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "topology", "-S", "/x", "--fast", "1G", NULL));
	ASSERT_NE(NULL, strstr(m, "topology does not take --vm"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "set", "-S", "/x", "-S", "/y", "--fast", "1G", NULL));
	ASSERT_NE(NULL, strstr(m, "set takes one VM"));
	ASSERT_EQ(2, tierhost(m, sizeof(m), "show", "-S", "tcp:localhost", NULL));
	ASSERT_NE(NULL, strstr(m, "expected tcp:HOST:PORT"));
	/* $QMP_SOCKET stands for -S, as for QEMU's qom tools */
	setenv("QMP_SOCKET", "/nonexistent/env.qmp", 1);
	ASSERT_EQ(1, tierhost(m, sizeof(m), "show", NULL));
	unsetenv("QMP_SOCKET");
	ASSERT_NE(NULL, strstr(m, "/nonexistent/env.qmp: No such file"));
	/* one line on stderr */
	ASSERT_EQ(m + strlen(m) - 1, strchr(m, '\n'));
	/* per-command help on stdout, exit 0, that command's options only */
	ASSERT_EQ(0, tierhost_fd(1, m, sizeof(m), "set", "--help", NULL));
	ASSERT_NE(NULL, strstr(m, "Usage: tierhost set"));
	ASSERT_NE(NULL, strstr(m, "--node N=SIZE"));
	ASSERT_EQ(NULL, strstr(m, "--budget"));
}

#define MIB (1ULL << 20)

static uint64_t sum_next(struct plan_vm *vm, int n)
{
	uint64_t s = 0;

	for (int i = 0; i < n; i++)
		s += vm[i].next;
	return s;
}

TEST(plan_wants_fit)
{
	/* both wants fit: each gets its want, the rest is spread evenly */
	struct plan_vm vm[2] = {
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 200 * MIB, .target = 512 * MIB, .actual = 512 * MIB },
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 100 * MIB, .target = 512 * MIB, .actual = 512 * MIB },
	};
	struct plan_cfg cfg = { .budget = 1024 * MIB, .headroom = 10 };

	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(220 * MIB, vm[0].want);
	ASSERT_EQ(128 * MIB, vm[1].want);	/* below the minimum */
	/* 1024 - 220 - 128 = 676 left, 338 each */
	ASSERT_EQ(558 * MIB, vm[0].ideal);
	ASSERT_EQ(466 * MIB, vm[1].ideal);
	/* vm1 still holds its 512: vm0 grows once it gave 46 back */
	ASSERT_EQ(512 * MIB, vm[0].next);
	ASSERT_EQ(466 * MIB, vm[1].next);
	vm[1].target = vm[1].actual = 466 * MIB;
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(558 * MIB, vm[0].next);
	ASSERT_EQ(466 * MIB, vm[1].next);
	ASSERT_LE(sum_next(vm, 2), cfg.budget);
}

TEST(plan_proportional_and_caps)
{
	/* wants exceed the budget: minimums, then the rest by extra want */
	struct plan_vm vm[3] = {
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 4096 * MIB, .target = 128 * MIB },
		{ .max = 512 * MIB, .min = 128 * MIB, .demand = 4096 * MIB, .target = 128 * MIB },
		{ .max = 1024 * MIB, .min = 2048 * MIB, .demand = 0, .target = 128 * MIB },
	};
	struct plan_cfg cfg = { .budget = 2048 * MIB, .headroom = 0 };

	ASSERT_EQ(0, plan_compute(vm, 3, &cfg));
	ASSERT_EQ(1024 * MIB, vm[0].want);	/* capped at the node */
	ASSERT_EQ(512 * MIB, vm[1].want);
	ASSERT_EQ(1024 * MIB, vm[2].want);	/* minimum capped at the node */
	/* rest 2048 - 128 - 128 - 1024 = 768 over extras 896 and 384 */
	ASSERT_EQ(128 * MIB + 536 * MIB, vm[0].ideal);
	ASSERT_EQ(128 * MIB + 230 * MIB, vm[1].ideal);
	ASSERT_EQ(1024 * MIB, vm[2].ideal);
	ASSERT_LE(vm[0].ideal + vm[1].ideal + vm[2].ideal, cfg.budget);
	/* unlimited steps, nothing held above the targets: all applied */
	ASSERT_EQ(vm[0].ideal, vm[0].next);
	ASSERT_LE(sum_next(vm, 3), cfg.budget);
}

TEST(plan_minimums_over_budget)
{
	struct plan_vm vm[2] = {
		{ .max = 1024 * MIB, .min = 600 * MIB },
		{ .max = 1024 * MIB, .min = 600 * MIB },
	};
	struct plan_cfg cfg = { .budget = 1024 * MIB };

	ASSERT_EQ(-1, plan_compute(vm, 2, &cfg));
}

TEST(plan_rate_limit_and_hysteresis)
{
	struct plan_vm vm[2] = {
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 900 * MIB, .target = 128 * MIB, .actual = 128 * MIB },
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 110 * MIB, .target = 890 * MIB, .actual = 890 * MIB },
	};
	struct plan_cfg cfg = { .budget = 1024 * MIB, .headroom = 0, .max_step = 256 * MIB, .min_step = 32 * MIB };

	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(896 * MIB, vm[0].ideal);
	ASSERT_EQ(128 * MIB, vm[1].ideal);
	/* the shrink moves one step; the grow only into what the shrink freed */
	ASSERT_EQ(890 * MIB - 256 * MIB, vm[1].next);
	ASSERT_EQ(128 * MIB, vm[0].next);	/* vm1 still holds 890: no room */
	/* once vm1 gave its memory back, vm0 grows by one step */
	vm[1].target = vm[1].actual = 634 * MIB;
	vm[0].target = vm[0].actual = 128 * MIB;
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(378 * MIB, vm[1].next);
	ASSERT_EQ(128 * MIB + 256 * MIB, vm[0].next);
	ASSERT_LE(sum_next(vm, 2), cfg.budget);
	/* a change below min_step is skipped */
	vm[0].target = vm[0].actual = 880 * MIB;
	vm[1].target = vm[1].actual = 144 * MIB;
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(880 * MIB, vm[0].next);
	ASSERT_EQ(144 * MIB, vm[1].next);
}

TEST(plan_budget_holds_while_a_guest_lags)
{
	/* vm1 was told to shrink but still holds its memory: vm0 waits */
	struct plan_vm vm[2] = {
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 900 * MIB, .target = 512 * MIB, .actual = 512 * MIB },
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 0, .target = 128 * MIB, .actual = 512 * MIB },
	};
	struct plan_cfg cfg = { .budget = 1024 * MIB, .headroom = 0 };

	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(512 * MIB, vm[0].next);
	ASSERT_EQ(128 * MIB, vm[1].next);
	vm[1].actual = 300 * MIB;		/* partly done: partial grow */
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(724 * MIB, vm[0].next);
}

TEST(daemon_budgets_what_the_host_measures)
{
	/* vm1 says it shrank to 128 MiB, but its backend keeps 512 resident */
	struct node liar = { .target = 128 * MIB, .actual = 128 * MIB, .resident = 512 * MIB };
	struct node honest = { .target = 512 * MIB, .actual = 512 * MIB, .resident = 300 * MIB };
	struct plan_vm vm[2] = {
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 900 * MIB, .target = 512 * MIB },
		{ .max = 1024 * MIB, .min = 128 * MIB, .demand = 0, .target = 128 * MIB },
	};
	struct plan_cfg cfg = { .budget = 1024 * MIB, .headroom = 0 };

	ASSERT_EQ(512 * MIB, node_held(&liar));
	ASSERT_EQ(512 * MIB, node_held(&honest));	/* untouched pages: its word */
	vm[0].actual = node_held(&honest);
	vm[1].actual = node_held(&liar);
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(512 * MIB, vm[0].next);	/* no grow into what vm1 holds */
	/* once the host sees the memory go, vm0 grows */
	liar.resident = 100 * MIB;
	vm[1].actual = node_held(&liar);
	ASSERT_EQ(0, plan_compute(vm, 2, &cfg));
	ASSERT_EQ(896 * MIB, vm[0].next);
}

TEST_HARNESS_MAIN
