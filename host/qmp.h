/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal synchronous QMP client over a unix socket. */
#ifndef TIER_EXT_QMP_H
#define TIER_EXT_QMP_H

#include "json.h"

struct qmp;

/* Connects and negotiates capabilities; NULL with a message in @err. */
struct qmp *qmp_open(const char *path, int timeout_ms, char *err, size_t errlen);
void qmp_close(struct qmp *q);

/*
 * Runs @cmd with @args (a JSON object text, or NULL). Returns the reply's
 * "return" value (free with json_free), or NULL with QMP's error
 * description (or an I/O error) in @err. Events read meanwhile are kept
 * for qmp_event().
 */
struct json *qmp_call(struct qmp *q, const char *cmd, const char *args,
		      int timeout_ms, char *err, size_t errlen);

/* The next event (whole message), waiting up to @timeout_ms; NULL if none. */
struct json *qmp_event(struct qmp *q, int timeout_ms, char *err, size_t errlen);

#endif
