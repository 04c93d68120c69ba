/* nstat-like counters: see counters.h. */
#include "counters.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/netns.h"
#include "util/util.h"

static void add(struct counters *c, const char *prefix, size_t plen, const char *name, size_t nlen,
		uint64_t v)
{
	struct counter *x;

	c->c = tb_grow(c->c, &c->cap, c->n, sizeof(*c->c));
	x = &c->c[c->n++];
	snprintf(x->name, sizeof(x->name), "%.*s%.*s", (int)plen, prefix, (int)nlen, name);
	x->value = v;
}

/* Next whitespace-separated token of [*p, end); false at the end. */
static bool token(const char **p, const char *end, const char **tok, size_t *len)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s >= end)
		return false;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return true;
}

static const char *line_end(const char *s)
{
	const char *e = strchr(s, '\n');

	return e ? e : s + strlen(s);
}

int counters_parse(struct counters *c, const char *text)
{
	const char *s = text;

	while (*s) {
		const char *e = line_end(s), *colon = memchr(s, ':', (size_t)(e - s));
		const char *tok, *v;
		size_t len, vlen;

		if (s == e) {
			s++;
			continue;
		}
		if (!colon) { /* snmp6: "Ip6InReceives   12" */
			const char *p = s;

			if (token(&p, e, &tok, &len) && token(&p, e, &v, &vlen))
				add(c, "", 0, tok, len, strtoull(v, NULL, 10));
		} else { /* "Prefix: names" then "Prefix: values" */
			const char *e2, *p = colon + 1, *q;
			size_t plen = (size_t)(colon - s);

			if (!*e)
				return -EINVAL;
			e2 = line_end(e + 1);
			if ((size_t)(e2 - e - 1) <= plen || memcmp(e + 1, s, plen + 1) != 0)
				return -EINVAL;
			q = e + 1 + plen + 1;
			while (token(&p, e, &tok, &len)) {
				if (!token(&q, e2, &v, &vlen))
					return -EINVAL;
				/* strtoull takes "-1" as 2^64 - 1: gauges wrap */
				add(c, s, plen, tok, len, strtoull(v, NULL, 10));
			}
			e = e2;
		}
		s = *e ? e + 1 : e;
	}
	return 0;
}

static int slurp(const char *path, char **out)
{
	size_t cap = 16384, len = 0;
	char *buf = xmalloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (rc)
		free(buf);
	else
		*out = buf;
	return rc;
}

static const char *const files[] = { "netstat", "snmp", "snmp6" };

struct read_arg {
	char *text[3];
};

/* Runs inside the namespace: thread-self, because /proc/self/net is the
 * main thread's namespace and the caller may be any thread. */
static int read_all(void *p)
{
	struct read_arg *a = p;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[64];
		int rc;

		snprintf(path, sizeof(path), "/proc/thread-self/net/%s", files[i]);
		rc = slurp(path, &a->text[i]);
		if (rc == -ENOENT && i == 2)
			continue; /* no IPv6 */
		if (rc)
			return rc;
	}
	return 0;
}

int counters_read(int nsfd, struct counters **out)
{
	struct read_arg a = { { NULL } };
	struct counters *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	rc = nsfd >= 0 ? netns_run_in(nsfd, read_all, &a) : read_all(&a);
	for (size_t i = 0; !rc && i < ARRAY_SIZE(files); i++)
		if (a.text[i])
			rc = counters_parse(c, a.text[i]);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		free(a.text[i]);
	if (rc) {
		counters_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int counters_get(const struct counters *c, const char *name, uint64_t *v)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].name, name)) {
			*v = c->c[i].value;
			return 0;
		}
	return -ENOENT;
}

json_t *counters_delta_json(const struct counters *before, const struct counters *after)
{
	json_t *o = json_object();

	for (size_t i = 0; i < after->n; i++) {
		uint64_t b = 0;

		/* same order in both snapshots: try the same index first */
		if (i < before->n && !strcmp(before->c[i].name, after->c[i].name))
			b = before->c[i].value;
		else
			counters_get(before, after->c[i].name, &b);
		json_object_set_new(o, after->c[i].name,
				    json_integer((json_int_t)(int64_t)(after->c[i].value - b)));
	}
	return o;
}

json_t *counters_json(const struct counters *c)
{
	json_t *o = json_object();

	for (size_t i = 0; i < c->n; i++)
		json_object_set_new(o, c->c[i].name, json_integer((json_int_t)c->c[i].value));
	return o;
}

void counters_free(struct counters *c)
{
	if (!c)
		return;
	free(c->c);
	free(c);
}
