/* output = h2load: the summary that h2load (nghttp2's load generator,
 * checked against Debian 12's 1.52) prints at its end, read into the JSON
 * values that value(P, KEY) takes. Times in seconds, sizes in bytes (h2load
 * prints binary units: 1KB = 1024 B), rates per second. The keys are
 * docs/processes.md's ("output = h2load"); tests/fixtures/h2load/ holds
 * real outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* A number at *@p with a unit of @units (name, scale; the longest first),
 * skipping blanks and one trailing comma; *@p moves past it. */
struct unit {
	const char *name;
	double scale;
};

static const struct unit time_units[] = { { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { 0 } };
static const struct unit size_units[] = { { "GB", 1073741824.0 }, { "MB", 1048576.0 },
					  { "KB", 1024.0 },	  { "B", 1 },
					  { 0 } };
static const struct unit no_units[] = { { "%", 1 }, { "", 1 }, { 0 } };

static bool number(const char **p, const struct unit *u, double *v)
{
	char *end;
	double d = strtod(*p, &end);

	if (end == *p)
		return false;
	for (; u->name; u++)
		if (!strncmp(end, u->name, strlen(u->name)))
			break;
	if (!u->name)
		return false;
	*v = d * u->scale;
	*p = end + strlen(u->name);
	*p += strspn(*p, " \t,");
	return true;
}

/* "LABEL:  min  max  mean  sd  +/-sd%" into @key: {min, max, mean, sd,
 * within_sd}. */
static void stats_line(json_t *o, const char *key, const char *p, const struct unit *u)
{
	static const char *const names[] = { "min", "max", "mean", "sd", "within_sd" };
	json_t *s = json_object();
	double v;

	p += strspn(p, " \t");
	for (size_t i = 0; i < 5 && number(&p, i < 4 ? u : no_units, &v); i++)
		json_object_set_new(s, names[i], json_real(v));
	json_object_set_new(o, key, s);
}

/* "N word, N word, ..." (requests:, status codes:) into @key: {word: N}. */
static void counts_line(json_t *o, const char *key, const char *p)
{
	json_t *s = json_object();
	char word[32];
	double v;
	int n;

	while (sscanf(p, " %lf %31[^, \n]%n", &v, word, &n) == 2) {
		json_object_set_new(s, word, json_real(v));
		p += n;
		p += strspn(p, " ,");
	}
	json_object_set_new(o, key, s);
}

/* "finished in 948.69ms, 101.19 req/s, 1.59MB/s" */
static void finished_line(json_t *o, const char *p)
{
	double v;

	if (!number(&p, time_units, &v))
		return;
	json_object_set_new(o, "time", json_real(v));
	if (!number(&p, no_units, &v) || strncmp(p, "req/s", 5))
		return;
	json_object_set_new(o, "req_per_s", json_real(v));
	p += 5 + strspn(p + 5, " ,");
	if (number(&p, size_units, &v) && !strncmp(p, "/s", 2))
		json_object_set_new(o, "bytes_per_s", json_real(v));
}

/* "traffic: 1.51MB (1586065) total, 10.31KB (10560) headers (space savings
 * 39.23%), 1.50MB (1572864) data": the exact byte counts. */
static void traffic_line(json_t *o, const char *p)
{
	unsigned long long total, headers, data;
	double savings;
	json_t *t;

	if (sscanf(p, " %*s (%llu) total, %*s (%llu) headers (space savings %lf%%), %*s (%llu) data",
		   &total, &headers, &savings, &data) != 4)
		return;
	t = json_pack("{sfsfsfsf}", "total", (double)total, "headers", (double)headers, "data",
		      (double)data, "space_savings", savings);
	json_object_set_new(o, "traffic", t);
}

/* One line of the summary, by its label. */
static void summary_line(json_t *o, const char *line)
{
	static const struct {
		const char *label, *key;
		const struct unit *units; /* a statistics line; NULL: by function */
	} rows[] = {
		{ "time for request:", "request", time_units },
		{ "time for connect:", "connect", time_units },
		{ "time to 1st byte:", "first_byte", time_units },
		{ "req/s           :", "client_req_per_s", no_units },
	};

	if (!strncmp(line, "finished in ", 12))
		finished_line(o, line + 12);
	else if (!strncmp(line, "requests:", 9))
		counts_line(o, "requests", line + 9);
	else if (!strncmp(line, "status codes:", 13))
		counts_line(o, "status", line + 13);
	else if (!strncmp(line, "traffic:", 8))
		traffic_line(o, line + 8);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (!strncmp(line, rows[i].label, strlen(rows[i].label)))
			stats_line(o, rows[i].key, line + strlen(rows[i].label), rows[i].units);
}

json_t *rp_h2load_parse(const char *text)
{
	json_t *o = json_object();

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, n);

		summary_line(o, line);
		free(line);
		p = nl ? nl + 1 : NULL;
	}
	if (!json_object_get(o, "requests")) { /* no summary: it did not finish */
		json_decref(o);
		return NULL;
	}
	return o;
}
