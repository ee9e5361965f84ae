// SPDX-License-Identifier: GPL-2.0
/* A small recursive-descent JSON reader (RFC 8259) for QMP. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define JSON_MAX_DEPTH 64

struct parser {
	const char *p;
	const char *start;
	char *err;
	size_t errlen;
	int depth;
};

static void fail(struct parser *ps, const char *fmt, ...)
{
	char msg[128];
	va_list ap;

	if (ps->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "%s at offset %td", msg, ps->p - ps->start);
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static struct json *new_node(struct parser *ps, enum json_type type)
{
	struct json *j = calloc(1, sizeof(*j));

	if (!j)
		fail(ps, "out of memory");
	else
		j->type = type;
	return j;
}

static int hex4(const char *s, unsigned int *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		*v = *v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
				(tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* At the opening quote; returns a malloc'd, unescaped string. */
static char *parse_string(struct parser *ps)
{
	const char *s = ++ps->p;
	size_t n = 0;
	char *out, *o;

	/* the unescaped text is never longer than the escaped one */
	while (*s && *s != '"') {
		if (*s == '\\' && s[1])
			s++;
		s++;
	}
	if (*s != '"') {
		fail(ps, "unterminated string");
		return NULL;
	}
	n = s - ps->p;
	o = out = malloc(n + 1);
	if (!out) {
		fail(ps, "out of memory");
		return NULL;
	}
	while (*ps->p != '"') {
		unsigned char c = *ps->p++;
		unsigned int cp, lo;

		if (c < 0x20) {
			fail(ps, "control character in string");
			goto err;
		}
		if (c != '\\') {
			*o++ = c;
			continue;
		}
		c = *ps->p++;
		switch (c) {
		case '"': case '\\': case '/': *o++ = c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(ps->p, &cp)) {
				fail(ps, "bad \\u escape");
				goto err;
			}
			ps->p += 4;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (ps->p[0] != '\\' || ps->p[1] != 'u' ||
				    hex4(ps->p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
					fail(ps, "unpaired surrogate");
					goto err;
				}
				ps->p += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				fail(ps, "unpaired surrogate");
				goto err;
			}
			if (cp == 0) {
				fail(ps, "NUL in string");
				goto err;
			}
			o += put_utf8(o, cp);
			break;
		default:
			fail(ps, "bad escape");
			goto err;
		}
	}
	ps->p++;
	*o = 0;
	return out;
err:
	free(out);
	return NULL;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	struct json *j;
	char *end;

	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s) || (s[0] == '0' && isdigit((unsigned char)s[1]))) {
		fail(ps, "bad number");
		return NULL;
	}
	j = new_node(ps, JSON_NUMBER);
	if (!j)
		return NULL;
	j->negative = *ps->p == '-';
	while (isdigit((unsigned char)*s))
		s++;
	j->is_int = *s != '.' && *s != 'e' && *s != 'E';
	errno = 0;
	j->d = strtod(ps->p, &end);
	if (end == ps->p || errno == ERANGE) {
		fail(ps, "bad number");
		free(j);
		return NULL;
	}
	if (j->is_int) {
		errno = 0;
		j->u = strtoull(ps->p + j->negative, NULL, 10);
		if (errno == ERANGE)
			j->is_int = false;
	}
	ps->p = end;
	return j;
}

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *j = new_node(ps, object ? JSON_OBJECT : JSON_ARRAY);
	struct json **tail;
	char close = object ? '}' : ']';

	if (!j)
		return NULL;
	tail = &j->child;
	if (++ps->depth > JSON_MAX_DEPTH) {
		fail(ps, "nested too deeply");
		goto err;
	}
	ps->p++;
	skip_ws(ps);
	if (*ps->p == close) {
		ps->p++;
		ps->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		struct json *v;

		skip_ws(ps);
		if (object) {
			if (*ps->p != '"') {
				fail(ps, "expected a member name");
				goto err;
			}
			key = parse_string(ps);
			if (!key)
				goto err;
			skip_ws(ps);
			if (*ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				goto err;
			}
			ps->p++;
		}
		v = parse_value(ps);
		if (!v) {
			free(key);
			goto err;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return j;
		}
		fail(ps, "expected ',' or '%c'", close);
		goto err;
	}
err:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	struct json *j;

	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"': {
		char *s = parse_string(ps);

		if (!s)
			return NULL;
		j = new_node(ps, JSON_STRING);
		if (!j) {
			free(s);
			return NULL;
		}
		j->str = s;
		return j;
	}
	case 't':
	case 'f':
	case 'n': {
		static const struct { const char *word; enum json_type t; bool b; } words[] = {
			{ "true", JSON_BOOL, true }, { "false", JSON_BOOL, false },
			{ "null", JSON_NULL, false },
		};
		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t n = strlen(words[i].word);

			if (!strncmp(ps->p, words[i].word, n)) {
				j = new_node(ps, words[i].t);
				if (j)
					j->boolean = words[i].b;
				ps->p += n;
				return j;
			}
		}
		fail(ps, "unexpected word");
		return NULL;
	}
	default:
		if (*ps->p == '-' || isdigit((unsigned char)*ps->p))
			return parse_number(ps);
		fail(ps, *ps->p ? "unexpected character" : "unexpected end");
		return NULL;
	}
}

struct json *json_parse(const char *text, char *err, size_t errlen)
{
	struct parser ps = { .p = text, .start = text, .err = err, .errlen = errlen };
	struct json *j;

	err[0] = 0;
	j = parse_value(&ps);
	if (!j)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		fail(&ps, "trailing characters");
		json_free(j);
		return NULL;
	}
	return j;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;

		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}

struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (struct json *c = obj->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

struct json *json_at(const struct json *arr, size_t i)
{
	if (!arr || arr->type != JSON_ARRAY)
		return NULL;
	for (struct json *c = arr->child; c; c = c->next)
		if (!i--)
			return c;
	return NULL;
}

size_t json_len(const struct json *arr)
{
	size_t n = 0;

	if (arr && (arr->type == JSON_ARRAY || arr->type == JSON_OBJECT))
		for (struct json *c = arr->child; c; c = c->next)
			n++;
	return n;
}

bool json_u64(const struct json *j, uint64_t *v)
{
	if (!j || j->type != JSON_NUMBER || !j->is_int || (j->negative && j->u))
		return false;
	*v = j->u;
	return true;
}

bool json_i64(const struct json *j, int64_t *v)
{
	if (!j || j->type != JSON_NUMBER || !j->is_int)
		return false;
	if (j->negative) {
		if (j->u > (uint64_t)INT64_MAX + 1)
			return false;
		*v = j->u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)j->u;
	} else {
		if (j->u > INT64_MAX)
			return false;
		*v = j->u;
	}
	return true;
}

bool json_bool(const struct json *j, bool *v)
{
	if (!j || j->type != JSON_BOOL)
		return false;
	*v = j->boolean;
	return true;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->str : NULL;
}

int json_quote(char *buf, size_t len, const char *s)
{
	size_t o = strlen(buf);

#define PUT(c) do { if (o + 1 >= len) return -1; buf[o++] = (c); } while (0)
	PUT('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c < 0x20) {
			if (o + 7 >= len)
				return -1;
			o += snprintf(buf + o, len - o, "\\u%04x", c);
		} else {
			PUT(c);
		}
	}
	PUT('"');
#undef PUT
	buf[o] = 0;
	return 0;
}

static void write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void json_write(FILE *f, const struct json *j)
{
	switch (j->type) {
	case JSON_NULL:
		fputs("null", f);
		break;
	case JSON_BOOL:
		fputs(j->boolean ? "true" : "false", f);
		break;
	case JSON_NUMBER:
		if (j->is_int)
			fprintf(f, "%s%llu", j->negative ? "-" : "", (unsigned long long)j->u);
		else
			fprintf(f, "%.17g", j->d);
		break;
	case JSON_STRING:
		write_string(f, j->str);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		fputc(j->type == JSON_ARRAY ? '[' : '{', f);
		for (const struct json *c = j->child; c; c = c->next) {
			if (c != j->child)
				fputc(',', f);
			if (j->type == JSON_OBJECT) {
				write_string(f, c->key);
				fputc(':', f);
			}
			json_write(f, c);
		}
		fputc(j->type == JSON_ARRAY ? ']' : '}', f);
		break;
	}
}
