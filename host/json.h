/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small JSON reader for QMP replies: parses a whole text into a tree.
 * Numbers keep both their integer (exact up to 64 bits, signed or not)
 * and floating-point values.
 */
#ifndef TIER_EXT_JSON_H
#define TIER_EXT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	bool is_int;		/* a number without fraction or exponent */
	bool negative;
	uint64_t u;		/* magnitude of an integer number */
	double d;
	char *str;		/* string value, or the key inside an object */
	char *key;
	struct json *child;	/* first element or member */
	struct json *next;	/* next sibling */
};

/* Parses @text; NULL with a message in @err (size @errlen) on error. */
struct json *json_parse(const char *text, char *err, size_t errlen);
void json_free(struct json *j);

/* Member @key of an object, or NULL. */
struct json *json_get(const struct json *obj, const char *key);
/* Element @i of an array, or NULL. */
struct json *json_at(const struct json *arr, size_t i);
size_t json_len(const struct json *arr);

/* Typed accessors: false if @j is missing or of another type or range. */
bool json_u64(const struct json *j, uint64_t *v);
bool json_i64(const struct json *j, int64_t *v);
bool json_bool(const struct json *j, bool *v);
const char *json_str(const struct json *j);

/* Writes @j as compact JSON text to @f. */
void json_write(FILE *f, const struct json *j);

/* Appends @s as a JSON string literal (with quotes) to @buf. */
int json_quote(char *buf, size_t len, const char *s);

#endif
