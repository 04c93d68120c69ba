/* Worker lifecycle: options, parent death, signals, deadline, result files. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "util/units.h"

/* --host: "198.18.0.2", "fd74::2" or "[fd74::2]", with @port. */
int wk_parse_addr(const char *host, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[64];
	size_t n = strlen(host);

	memset(ss, 0, sizeof(*ss));
	/* Accept "[::1]" as well as "::1". */
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = 0;
		host = buf;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

#ifndef TB_VERSION
#define TB_VERSION "dev"
#endif

struct wk_common wk;
volatile sig_atomic_t wk_stop;
uint64_t wk_t0;
bool wk_signal_completes;

static const struct wk_prog *prog;
static char *fail_text;
static int fail_exit = WK_EXIT_FAIL;
static FILE *series_f;
static time_t started_unix;
static uint64_t deadline_abs_us;

static struct wk_opt common_opts[] = {
	{ "host", WK_STRING, &wk.host, "ADDR  address to connect to (server: listen on; default ::)" },
	{ "port", WK_COUNT, &wk.port, "N     TCP/UDP port (default 9000)", NULL, 1, 65535 },
	{ "duration", WK_TIME, &wk.duration_us, "TIME  measured run time (e.g. 10s)" },
	{ "deadline", WK_TIME, &wk.deadline_us, "TIME  hard cap; exits by itself (default duration + 5s)" },
	{ "result", WK_STRING, &wk.result, "FILE  write one JSON result object here at exit" },
	{ "series", WK_STRING, &wk.series, "FILE  write one JSON line per --interval" },
	{ "interval", WK_TIME, &wk.interval_us, "TIME  series interval (default 1s)", NULL, 1000, 0 },
	{ NULL },
};

uint64_t wk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t wk_now_us(void)
{
	return wk_now_ns() / 1000;
}

double wk_elapsed_s(void)
{
	return (double)(wk_now_us() - wk_t0) / 1e6;
}

static void vmsg(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void vmsg(const char *fmt, va_list ap)
{
	int saved = errno;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog ? prog->name : "tb-worker");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

void wk_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void wk_fail(const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	wk_msg("%s", buf);
	if (!fail_text)
		fail_text = strdup(buf);
	wk_request_stop(WK_STOP_ERROR);
}

void wk_set_exit(int code)
{
	fail_exit = code;
}

void wk_request_stop(enum wk_stop_reason reason)
{
	if (!wk_stop)
		wk_stop = reason;
}

/* ---- options ---- */

static void print_opts(FILE *f, const struct wk_opt *o)
{
	for (; o->name; o++) {
		const char *h = o->help ? o->help : "";
		const char *sp = strchr(h, ' ');
		char arg[32] = "";

		/* The help text starts with the value's placeholder ("TIME  ..."). */
		if (o->kind != WK_FLAG && sp && sp - h < (long)sizeof(arg)) {
			memcpy(arg, h, (size_t)(sp - h));
			arg[sp - h] = 0;
			while (*sp == ' ')
				sp++;
			h = sp;
		}
		fprintf(f, "  --%-20s %s", o->name, "");
		fprintf(f, "%-6s %s", arg, h);
		if (o->kind == WK_CHOICE) {
			fputs(" (", f);
			for (const char *const *c = o->choices; *c; c++)
				fprintf(f, "%s%s", *c, c[1] ? "|" : ")");
		}
		fputc('\n', f);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS]\n%s\n\nOptions:\n", prog->name, prog->summary);
	print_opts(f, prog->opts);
	fprintf(f, "\nCommon options:\n");
	print_opts(f, common_opts);
	fprintf(f, "  --%-20s        show this help\n", "help");
	if (prog->details)
		fprintf(f, "\n%s\n", prog->details);
	fprintf(f, "\nTimes take a unit (us, ms, s, min); sizes take k/m/g (1024-based);\n"
		   "rates per second are plain numbers. Exit status: 0 ok, 1 failure,\n"
		   "2 bad usage, 3 environment (permission, missing kernel feature).\n");
}

static void usage_error(const char *fmt, ...) WK_PRINTF(1, 2);
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog->name);
	exit(WK_EXIT_USAGE);
}

static struct wk_opt *find_opt(struct wk_opt *tab, const char *name, size_t len)
{
	for (; tab->name; tab++)
		if (strlen(tab->name) == len && strncmp(tab->name, name, len) == 0)
			return tab;
	return NULL;
}

static unsigned edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[64], prev, tmp;

	if (lb >= 63)
		return 255;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *suggest(const char *name)
{
	const struct wk_opt *tabs[] = { prog->opts, common_opts };
	const char *best = NULL;
	unsigned bd = 3;

	for (size_t t = 0; t < 2; t++)
		for (const struct wk_opt *o = tabs[t]; o->name; o++) {
			unsigned d = edit_distance(name, o->name);

			if (d < bd) {
				bd = d;
				best = o->name;
			}
		}
	return best;
}

static void parse_value(struct wk_opt *o, const char *v)
{
	const char *why = "invalid value";
	uint64_t u = 0;
	int rc = 0;

	switch (o->kind) {
	case WK_FLAG:
		*(bool *)o->dst = true;
		return;
	case WK_STRING:
		if (!*v)
			usage_error("--%s: empty value", o->name);
		*(const char **)o->dst = v;
		return;
	case WK_CHOICE:
		for (int i = 0; o->choices[i]; i++)
			if (strcmp(o->choices[i], v) == 0) {
				*(int *)o->dst = i;
				return;
			}
		{
			char list[256] = "";

			for (int i = 0; o->choices[i]; i++) {
				strncat(list, o->choices[i], sizeof(list) - strlen(list) - 2);
				if (o->choices[i + 1])
					strncat(list, ", ", sizeof(list) - strlen(list) - 1);
			}
			usage_error("--%s: \"%s\" is not one of: %s", o->name, v, list);
		}
		return;
	case WK_REAL: {
		double d;

		if (units_real(v, &d, &why))
			usage_error("--%s: \"%s\": %s", o->name, v, why);
		*(double *)o->dst = d;
		return;
	}
	case WK_TIME:
		rc = units_time(v, &u, &why);
		break;
	case WK_SIZE:
		rc = units_size(v, &u, &why);
		break;
	case WK_COUNT:
		rc = units_count(v, &u, &why);
		break;
	case WK_BYTERATE:
		if (strcasestr(v, "bit") || strcasestr(v, "bps")) {
			rc = units_rate(v, &u, &why);
			u /= 8;
		} else {
			rc = units_size(v, &u, &why);
		}
		break;
	}
	if (rc)
		usage_error("--%s: \"%s\": %s", o->name, v, why);
	if (u < o->min)
		usage_error("--%s: \"%s\" is below the minimum %llu", o->name, v,
			    (unsigned long long)o->min);
	if (o->max && u > o->max)
		usage_error("--%s: \"%s\" is above the maximum %llu", o->name, v,
			    (unsigned long long)o->max);
	*(uint64_t *)o->dst = u;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *name, *eq, *val = NULL;
		struct wk_opt *o;
		size_t len;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(WK_EXIT_OK);
		}
		if (strncmp(a, "--", 2) != 0)
			usage_error("unexpected argument \"%s\" (options start with --)", a);
		name = a + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = find_opt(prog->opts, name, len);
		if (!o)
			o = find_opt(common_opts, name, len);
		if (!o) {
			char n[64];
			const char *s;

			snprintf(n, sizeof(n), "%.*s", (int)len, name);
			s = suggest(n);
			if (s)
				usage_error("unknown option --%s (did you mean --%s?)", n, s);
			usage_error("unknown option --%s", n);
		}
		if (o->kind == WK_FLAG) {
			if (eq)
				usage_error("--%s takes no value", o->name);
		} else if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				usage_error("--%s needs a value", o->name);
			val = argv[++i];
		}
		parse_value(o, val);
		o->given = true;
	}
}

/* ---- lifecycle ---- */

static void on_signal(int sig)
{
	if (sig == SIGALRM) {
		/* The deadline timer: first expiry stops the loops, a second one
		 * (2 s later) means they are stuck; leave without a result. */
		if (wk_stop == WK_RUNNING || wk_stop == WK_STOP_DONE) {
			wk_stop = WK_STOP_DEADLINE;
			return;
		}
		if (wk_stop != WK_STOP_DEADLINE || wk_now_us() >= deadline_abs_us + 1500000)
			_exit(WK_EXIT_FAIL);
		return;
	}
	if (!wk_stop)
		wk_stop = WK_STOP_SIGNAL;
}

static void parent_check(pid_t ppid0)
{
	const char *e = getenv("TB_PARENT_PID");
	pid_t want = e ? (pid_t)atol(e) : ppid0;

	/* The parent may have died between fork and prctl: the signal would
	 * then never come, so look once more now that it is armed. */
	if (getppid() != want) {
		wk_msg("parent %d is gone; exiting", (int)want);
		exit(WK_EXIT_FAIL);
	}
}

static void arm_deadline(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	struct itimerspec its = { 0 };
	timer_t tid;

	deadline_abs_us = wk_t0 + wk.deadline_us;
	its.it_value.tv_sec = (time_t)(wk.deadline_us / 1000000);
	its.it_value.tv_nsec = (long)(wk.deadline_us % 1000000) * 1000;
	its.it_interval.tv_sec = 2;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tid) || timer_settime(tid, 0, &its, NULL)) {
		wk_msg("timer_create: %s", strerror(errno));
		exit(WK_EXIT_ENV);
	}
}

void wk_init(const struct wk_prog *p, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	pid_t ppid0 = getppid();
	struct rlimit rl;

	prog = p;
	wk_t0 = wk_now_us();
	started_unix = time(NULL);
	wk.port = 9000;
	wk.interval_us = 1000000;
	wk.duration_us = p->default_duration_us;
	parse_args(argc, argv);
	for (struct wk_opt *o = common_opts; o->name; o++) {
		if (strcmp(o->name, "duration") == 0)
			wk.duration_given = o->given;
		if (strcmp(o->name, "deadline") == 0)
			wk.deadline_given = o->given;
		if (strcmp(o->name, "host") == 0)
			wk.host_given = o->given;
	}
	if (p->host_required && !wk.host)
		usage_error("--host is required (the address to connect to)");
	if (!wk.host)
		wk.host = "::";
	if (wk_parse_addr(wk.host, (unsigned)wk.port, &wk.addr, &wk.addrlen))
		usage_error("--host: \"%s\" is not an IPv4 or IPv6 address", wk.host);
	wk.family = wk.addr.ss_family;
	if (wk.duration_given && wk.duration_us == 0)
		usage_error("--duration: must be greater than 0");
	if (!wk.deadline_given)
		wk.deadline_us = wk.duration_us ? wk.duration_us + 5000000 : 600000000;
	if (wk.deadline_us == 0)
		usage_error("--deadline: must be greater than 0");

	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == 0)
		parent_check(ppid0);
	/* Timers are the schedule of open-loop load: do not let them slip 50 us. */
	prctl(PR_SET_TIMERSLACK, 1UL);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	arm_deadline();
	if (wk.series) {
		series_f = fopen(wk.series, "w");
		if (!series_f) {
			wk_msg("--series %s: %s", wk.series, strerror(errno));
			exit(WK_EXIT_USAGE);
		}
	}
	if (wk.result) {
		/* Fail now, not after the run, when the result cannot be written. */
		int fd = open(wk.result, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0) {
			wk_msg("--result %s: %s", wk.result, strerror(errno));
			exit(WK_EXIT_USAGE);
		}
		close(fd);
	}
}

bool wk_series_on(void)
{
	return series_f != NULL;
}

void wk_series(json_t *line)
{
	if (!line)
		return;
	if (series_f) {
		json_object_set_new(line, "t", json_real(wk_elapsed_s()));
		json_dumpf(line, series_f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
		fputc('\n', series_f);
		fflush(series_f);
	}
	json_decref(line);
}

void wk_pace_start(struct wk_pace *p, double rate, unsigned batch, uint64_t max_lag_us)
{
	*p = (struct wk_pace){ .rate = rate, .batch = batch, .max_lag_us = max_lag_us };
	p->start = p->base = p->now = wk_now_us();
	p->end = p->start + wk.duration_us;
	p->next_iv = p->start + wk.interval_us;
}

/* When the item after the last one sent was due (rate > 0). */
static uint64_t pace_next_at(const struct wk_pace *p)
{
	return p->base + (uint64_t)((double)p->sent * 1e6 / p->rate);
}

int wk_pace_due(struct wk_pace *p)
{
	uint64_t due, next;

	p->now = wk_now_us();
	if (p->now >= p->end) {
		wk_request_stop(WK_STOP_DONE);
		return -1;
	}
	/* One line per interval that has ended: after a stall the intervals it
	 * spanned get their own (empty) lines, so that what is sent on waking
	 * counts in the interval it was sent in. */
	while (p->now >= p->next_iv) {
		wk_series(json_pack("{sI sf sI}", "sent", (json_int_t)(p->sent - p->iv_sent), "pps",
				    (double)(p->sent - p->iv_sent) * 1e6 / (double)wk.interval_us,
				    "skipped", (json_int_t)(p->skipped - p->iv_skipped)));
		p->iv_sent = p->sent;
		p->iv_skipped = p->skipped;
		p->next_iv += wk.interval_us;
	}
	if (p->rate <= 0)
		return (int)p->batch;
	next = pace_next_at(p);
	if (p->now > next) {
		uint64_t lag = p->now - next;

		if (lag > p->lag_max_us)
			p->lag_max_us = lag;
		if (p->max_lag_us && lag > p->max_lag_us) {
			/* everything due before now is given up */
			uint64_t missed = (uint64_t)((double)(p->now - p->base) * p->rate / 1e6) - p->sent;

			p->skipped += missed;
			p->stalls++;
			p->base += lag; /* the next item is due now */
		}
	}
	due = (uint64_t)((double)(p->now - p->base) * p->rate / 1e6) + 1;
	if (due <= p->sent)
		return 0;
	return due - p->sent > p->batch ? (int)p->batch : (int)(due - p->sent);
}

void wk_pace_wait(const struct wk_pace *p)
{
	uint64_t at;

	if (p->rate <= 0)
		return;
	at = pace_next_at(p);
	if (at > p->now)
		usleep((useconds_t)(at - p->now < 1000 ? at - p->now : 1000));
}

void wk_pace_result(const struct wk_pace *p, json_t *res)
{
	json_object_set_new(res, "skipped", json_integer((json_int_t)p->skipped));
	json_object_set_new(res, "stalls", json_integer((json_int_t)p->stalls));
	json_object_set_new(res, "lag_max_us", json_integer((json_int_t)p->lag_max_us));
}

double wk_pace_seconds(const struct wk_pace *p)
{
	uint64_t now = wk_now_us();

	return (double)((now < p->end ? now : p->end) - p->start) / 1e6;
}

static const char *stop_name(int r)
{
	switch (r) {
	case WK_RUNNING:
	case WK_STOP_DONE:
		return "done";
	case WK_STOP_SIGNAL:
		return "signal";
	case WK_STOP_DEADLINE:
		return "deadline";
	case WK_STOP_PARENT:
		return "parent";
	case WK_STOP_ERROR:
		return "error";
	}
	return "unknown";
}

int wk_finish(json_t *result, bool complete)
{
	int reason = wk_stop ? wk_stop : WK_STOP_DONE;
	json_t *out = json_object();
	int rc = reason == WK_STOP_ERROR ? fail_exit : WK_EXIT_OK;

	/* Block the deadline and signal handlers' effects while writing. */
	wk_stop = reason;
	if (reason != WK_STOP_DONE && !(reason == WK_STOP_SIGNAL && wk_signal_completes))
		complete = false;
	json_object_set_new(out, "worker", json_string(prog->name));
	json_object_set_new(out, "version", json_string(TB_VERSION));
	json_object_set_new(out, "complete", json_boolean(complete));
	json_object_set_new(out, "stopped", json_string(stop_name(reason)));
	json_object_set_new(out, "error", fail_text ? json_string(fail_text) : json_null());
	json_object_set_new(out, "started_unix", json_integer((json_int_t)started_unix));
	json_object_set_new(out, "elapsed_s", json_real(wk_elapsed_s()));
	{
		/* The worker's own CPU time: evidence that it was not the bottleneck. */
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0) {
			double u = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
			double s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;

			json_object_set_new(out, "cpu_user_s", json_real(u));
			json_object_set_new(out, "cpu_sys_s", json_real(s));
			json_object_set_new(out, "cpu_pct",
					    json_real(100.0 * (u + s) / (wk_elapsed_s() > 0 ? wk_elapsed_s() : 1)));
		}
	}
	if (result)
		json_object_update(out, result);
	json_decref(result);
	if (series_f) {
		fclose(series_f);
		series_f = NULL;
	}
	if (wk.result) {
		char *tmp = NULL;

		if (asprintf(&tmp, "%s.tmp%d", wk.result, (int)getpid()) < 0 ||
		    json_dump_file(out, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) ||
		    rename(tmp, wk.result)) {
			wk_msg("--result %s: cannot write: %s", wk.result, strerror(errno));
			rc = WK_EXIT_FAIL;
			if (tmp)
				unlink(tmp);
		}
		free(tmp);
	} else {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
		fputc('\n', stdout);
	}
	json_decref(out);
	return rc;
}

long long wk_proc_kb(const char *file, const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen(file, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtoll(line + n + 1, NULL, 10) * 1024;
			break;
		}
	if (f)
		fclose(f);
	return v;
}
