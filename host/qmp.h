/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal synchronous QMP client (QEMU Machine Protocol, docs/interop/
 * qmp-spec.rst) over a UNIX or TCP socket; messages are json-c objects.
 */
#ifndef TIER_EXT_QMP_H
#define TIER_EXT_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct qmp;

/*
 * Connects to @addr and negotiates capabilities; NULL with a message in
 * @err. @addr is QEMU's -qmp syntax: "unix:PATH" or "tcp:HOST:PORT", or a
 * bare PATH (a UNIX socket).
 */
struct qmp *qmp_open(const char *addr, int timeout_ms, char *err, size_t errlen);
void qmp_close(struct qmp *q);

/*
 * Runs @cmd with @args (an object, borrowed; or NULL). Returns the reply's
 * "return" value (the caller owns it: json_object_put), or NULL with QMP's
 * error description (or an I/O error) in @err. A command whose return is
 * JSON null cannot be told from an error: QMP commands return objects.
 * Events read meanwhile are kept for qmp_event().
 */
struct json_object *qmp_call(struct qmp *q, const char *cmd, struct json_object *args,
			     int timeout_ms, char *err, size_t errlen);

/*
 * The next event (the whole message, caller-owned), waiting up to
 * @timeout_ms; NULL if none (@err empty) or on an error (@err set).
 */
struct json_object *qmp_event(struct qmp *q, int timeout_ms, char *err, size_t errlen);

/*
 * A QMP message: @text as a JSON object, or NULL with why not in @err
 * ("bad QMP message: ..."). An integer that does not fit 64 bits is an
 * error, not a value json-c saturated.
 */
struct json_object *qmp_parse(const char *text, char *err, size_t errlen);

/*
 * Typed members of an object: false if @obj is not an object, @key is
 * missing, or the value is of another type or out of range.
 */
bool qmp_get_u64(struct json_object *obj, const char *key, uint64_t *v);
bool qmp_get_i64(struct json_object *obj, const char *key, int64_t *v);
bool qmp_get_bool(struct json_object *obj, const char *key, bool *v);
const char *qmp_get_str(struct json_object *obj, const char *key);
struct json_object *qmp_get(struct json_object *obj, const char *key);

#endif
