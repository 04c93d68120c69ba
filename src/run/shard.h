/* Sharded runs and their merge: `testbed run FILE --shard K/N` runs one
 * part of an experiment, `testbed merge` puts the parts back together.
 *
 * The partition: the experiment's runs (case, repeat) are put in the order
 * its seed shuffles them (run.c); shard K of N (1-based) holds the
 * positions p (0-based) of that order with p mod N = K - 1. The order
 * depends on the file, the seed, --repeat and testbed's version only, so N
 * machines given the same ones run disjoint sets of runs whose union is
 * the unsharded run's, under the same runs/c<K>-r<R> names.
 *
 * The fingerprint: a hash of the resolved experiment as manifest.json
 * records it (its configuration and every case's, with the paths of the
 * files left out: another checkout is the same experiment), the seed, the
 * duration, the repeats and testbed's version. Shards merge only when
 * their fingerprints are equal. */
#ifndef TB_SHARD_H
#define TB_SHARD_H

#include <stdbool.h>
#include <stddef.h>

struct json_t;

struct run_shard {
	unsigned k, n; /* shard k of n, 1-based; n == 0: not sharded */
};

#define SHARD_MAX 10000

/** "K/N" into @sh: 0, or -EINVAL with @why ("K must be 1..N"). */
int shard_parse(const char *s, struct run_shard *sh, const char **why);

/** Whether position @pos of the shuffled order is in shard @sh (every
 * position when @sh is NULL or not sharded). */
bool shard_holds(const struct run_shard *sh, size_t pos);

/** The runs of shard @sh in @order (@n_runs positions, each case * repeats
 * + repeat, @repeat runs per case): { "k", "n", "runs": ["c1-r2", ...] }. */
struct json_t *shard_json(const struct run_shard *sh, const size_t *order, size_t n_runs,
			  unsigned repeat);

/** The fingerprint of manifest @m (see above) into @buf: "fnv1a64:<16 hex>". */
void shard_fingerprint(const struct json_t *m, char *buf, size_t len);

/* What `testbed merge` did, for the command to say. */
struct merge_result {
	char *why;          /* a refusal or a failure: the message (allocated) */
	size_t n_runs;      /* runs of the experiment */
	size_t n_merged;    /* runs copied */
	char *missing;      /* "c2-r1, c3-r2" (--partial), or NULL */
	char *kernels;      /* shards ran on different kernels: "6.1 (A), 6.18 (B)", or NULL */
};

/**
 * Merge the run directories @dirs (@n, shards of one experiment) into
 * @out, which must not exist or be empty: their runs/ copied, and a
 * manifest.json that lists every run, as an unsharded run's would (the
 * report is the caller's: it is `testbed report`'s). Refuses (-EINVAL, with
 * res->why naming the directories) shards of different testbed versions,
 * seeds or experiments (fingerprints), a run held by two of them and,
 * unless @partial, runs in none of them. -ENOTEMPTY when @out is taken;
 * other -errno when a file cannot be read or written (res->why says
 * which). Free @res with merge_result_free().
 */
int merge_dirs(char *const *dirs, size_t n, const char *out, bool partial,
	       struct merge_result *res);
void merge_result_free(struct merge_result *res);

#endif
