/* Unit tests of [event] action = set: the schedule of a ramp and a repeat,
 * the values a ramp sets, per-direction keys and the netem part the link
 * gains up front, the shaper a rate that changes gets. No root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "tap.h"

static const char conf[] = "[topology]\nname = p\n[node a]\n[node r]\nforward = yes\n"
			   "[link a-r]\nrate = 100mbit\n[experiment]\nduration = 30s\n"
			   "[event ramp]\nat = 2s\nlink = a-r\naction = set\n"
			   "a.rate = 100mbit..10mbit over 4s\nsteps = 5\na.delay = 20ms\n"
			   "[event flap]\nat = 10s\nevery = 5s\nuntil = 21s\nlink = r-a\n"
			   "action = set\nloss = 2%\n[flow f]\nworker = idle\nfrom = a\nto = r\n";

/* The same link with shaper = tbf named on a's side. */
static const char conf_tbf[] = "[topology]\nname = p\n[node a]\n[node r]\nforward = yes\n"
			       "[link a-r]\nrate = 100mbit\na.shaper = tbf\n[experiment]\n"
			       "duration = 30s\n[event down]\nat = 2s\nlink = a-r\n"
			       "action = set\nrate = 10mbit\n[flow f]\nworker = idle\nfrom = a\n"
			       "to = r\n";

/* @text loaded; its warnings into @warn (NULL: none expected). */
static struct tb_config *load_text(const char *text, struct tb_diag *warn)
{
	char path[] = "/tmp/tb-unit-evset.XXXXXX";
	int fd = mkstemp(path);
	struct tb_diag d = { 0 };
	struct tb_config *c;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		tap_bail("cannot write %s", path);
	close(fd);
	c = config_load(path, &d);
	unlink(path);
	if (diag_errors(&d)) {
		diag_print(&d, stdout);
		tap_bail("the test file does not check");
	}
	if (warn)
		*warn = d;
	else
		diag_free(&d);
	return c;
}

static struct tb_config *load(void)
{
	return load_text(conf, NULL);
}

/* A rate that an event changes gets htb (its change keeps the tokens; tbf's
 * refills the bucket), unless the file names tbf: then a warning. */
static void test_shaper(const struct tb_config *c)
{
	struct tb_diag d = { 0 };
	struct tb_config *t = load_text(conf_tbf, &d);
	bool warned = false;

	tap_ok(c->links[0].dir[0].shaper == TB_SHAPER_HTB,
	       "a's direction, whose rate the ramp changes, is built with htb");
	tap_ok(c->links[0].dir[1].shaper == TB_SHAPER_TBF,
	       "r's direction, whose rate no event changes, keeps tbf");
	tap_ok(t->links[0].dir[0].shaper == TB_SHAPER_TBF && t->links[0].dir[1].shaper == TB_SHAPER_HTB,
	       "shaper = tbf named on a's side stays tbf; r's side gets htb");
	for (size_t i = 0; i < d.n; i++)
		warned |= d.msgs[i].sev == TB_SEV_WARNING && strstr(d.msgs[i].text, "tbf refills");
	tap_ok(warned && d.n == 1, "one warning, for the named tbf");
	diag_free(&d);
	config_free(t);
}

static void test_ramp(const struct tb_config *c)
{
	const struct tb_event *v = &c->events[0];
	struct tb_shape sh = c->links[0].dir[0];
	uint32_t at[6];
	double fr[6];
	size_t n = 0;
	char what[128];

	while (n < 6 && !config_event_step(v, n, &at[n], &fr[n]))
		n++;
	tap_is_int((long long)n, 5, "a ramp with steps = 5 is 5 changes");
	tap_ok(at[0] == 2000000 && at[1] == 3000000 && at[4] == 6000000,
	       "at 2, 3 ... 6 s (at + i x over/(steps-1))");
	config_event_shape(v, 0, fr[1], &sh);
	tap_is_int((long long)sh.rate, 77500000, "step 1 of 100..10 Mbit/s: 77.5 Mbit/s");
	config_event_shape(v, 0, fr[4], &sh);
	tap_is_int((long long)sh.rate, 10000000, "the last step sets TO");
	config_event_describe(v, 0, &sh, what, sizeof(what));
	tap_is_str(what, "rate=10Mbit delay=20ms", "what it set, as a file writes it");
	tap_ok(v->keys[1] == 0, "a.rate and a.delay leave r's direction alone");
	tap_ok(config_event_parts(v, 0) == (TB_PART_RATE | TB_PART_NETEM),
	       "the ramp changes the rate and netem parts");
	tap_ok(c->links[0].dir[0].set & config_shape_bits(TB_PART_NETEM),
	       "a-r's direction from a has netem built up front (the event sets delay)");
	tap_ok(c->links[0].dir[0].delay_us == 0, "... at delay 0 until the event");
}

static void test_repeat(const struct tb_config *c)
{
	const struct tb_event *v = &c->events[1];
	uint32_t at;
	double fr;
	size_t n = 0;
	char times[128] = "";

	while (!config_event_step(v, n, &at, &fr) && n < 10) {
		snprintf(times + strlen(times), sizeof(times) - strlen(times), "%s%.0f",
			 n ? " " : "", at / 1e6);
		n++;
	}
	tap_is_str(times, "10 15 20", "every 5s from 10 s until 21 s: 10, 15, 20 s");
	tap_ok(v->keys[0] && v->keys[1], "loss without a prefix: both directions");
}

int main(void)
{
	struct tb_config *c = load();

	test_ramp(c);
	test_repeat(c);
	test_shaper(c);
	config_free(c);
	return tap_done();
}
