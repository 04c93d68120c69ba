/* Which runs a shard holds, what its manifest records of it, and the
 * fingerprint that tells shards of one experiment from others (shard.h
 * states both). merge.c puts shards back together. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"

static int parse_part(const char *s, char **end, unsigned long *v)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, end, 10);
	return errno ? -EINVAL : 0;
}

int shard_parse(const char *s, struct run_shard *sh, const char **why)
{
	unsigned long k, n;
	char *end;

	*why = "expected K/N, shard K (1-based) of N, e.g. 1/3";
	if (parse_part(s, &end, &k) || *end != '/' || parse_part(end + 1, &end, &n) || *end)
		return -EINVAL;
	if (n < 1 || n > SHARD_MAX) {
		*why = "N must be 1..10000";
		return -EINVAL;
	}
	if (k < 1 || k > n) {
		*why = "K must be 1..N (shards are numbered from 1)";
		return -EINVAL;
	}
	sh->k = (unsigned)k;
	sh->n = (unsigned)n;
	return 0;
}

bool shard_holds(const struct run_shard *sh, size_t pos)
{
	return !sh || !sh->n || pos % sh->n == sh->k - 1;
}

json_t *shard_json(const struct run_shard *sh, const size_t *order, size_t n_runs,
		   unsigned repeat)
{
	json_t *runs = json_array();

	for (size_t p = 0; p < n_runs; p++) {
		char name[48];

		if (!shard_holds(sh, p))
			continue;
		snprintf(name, sizeof(name), "c%zu-r%zu", order[p] / repeat + 1, order[p] % repeat + 1);
		json_array_append_new(runs, json_string(name));
	}
	return json_pack("{sI sI so}", "k", (json_int_t)sh->k, "n", (json_int_t)sh->n, "runs", runs);
}

/* A configuration without the paths of its files. */
static void drop_paths(json_t *cfg)
{
	json_object_del(cfg, "file");
	json_object_del(json_object_get(cfg, "experiment"), "topology");
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void shard_fingerprint(const json_t *m, char *buf, size_t len)
{
	static const char *const keys[] = { "config", "cases", "seed", "duration_s", "repeat" };
	json_t *x = json_object(), *cs;
	char *text;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_set_new(x, keys[i], json_deep_copy(json_object_get(m, keys[i])));
	json_object_set(x, "testbed",
			json_object_get(json_object_get(m, "tools"), "testbed") ?: json_null());
	drop_paths(json_object_get(x, "config"));
	json_array_foreach(json_object_get(x, "cases"), i, cs)
		drop_paths(json_object_get(cs, "config"));
	text = json_dumps(x, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(17));
	snprintf(buf, len, "fnv1a64:%016" PRIx64, fnv1a64(text ? text : ""));
	free(text);
	json_decref(x);
}
