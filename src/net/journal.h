/* The undo journal of a run, kept under /run/testbed/<run-id>/ so that
 * another process (`testbed down`, `testbed cleanup`) can finish it.
 *
 * Files of a run directory:
 *   journal  one line per object, appended the moment the object exists:
 *              netns NAME           a namespace bind-mounted at /run/netns/NAME
 *              veth NSNAME IFNAME   one veth pair, named by one of its ends
 *            and comment lines; the last "# owner pid=P start=T state=S
 *            nodes=N" gives the owner (T: its start time in clock ticks,
 *            /proc/P/stat field 22) and the state (building, up,
 *            tearing-down). The owner holds an exclusive flock(2) on it for
 *            the lifetime of the run: a lock that can be taken means the
 *            owner is gone.
 *   info     written once: config=PATH, created=UTC time.
 *   hosts/   one file per node, the /etc/hosts seen inside it (topo.h's
 *            topo_hosts_path()); removed with the directory.
 * Undo runs newest-first, treats "already gone" as done, and first kills the
 * processes still inside the run's namespaces. */
#ifndef TB_JOURNAL_H
#define TB_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define TB_RUN_DIR "/run/testbed"
#define JOURNAL_ID_MAX 16
#define JOURNAL_HOSTS_DIR "hosts" /* the nodes' hosts files, in a run's directory */

struct journal;

/** One run found under TB_RUN_DIR. */
struct journal_run {
	char id[JOURNAL_ID_MAX];
	bool live;          /* the owner still holds the lock */
	pid_t pid;          /* owner as recorded, 0 if unknown */
	char state[16];     /* building, up, tearing-down */
	char config[256];
	char created[32];   /* UTC, ISO 8601 */
	unsigned nodes;
	unsigned objects;   /* journal entries */
};

/**
 * Start a new run: claim a fresh id (or @want_id when not NULL; -EEXIST when
 * taken), create its directory, lock the journal and write info. Ids are
 * "tb" + 4 characters of [a-z2-9], claimed atomically with mkdir(2).
 */
int journal_create(const char *want_id, const char *config, struct journal **out);

/** Open the run @id of another (dead or finished) owner and take its lock.
 * -ENOENT: no such run; -EBUSY: its owner is alive. */
int journal_open(const char *id, struct journal **out);

/** The run id. */
const char *journal_id(const struct journal *j);

/** Append one entry line (no newline in @fmt). 0 or -errno. */
int journal_add(struct journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Record the state (and nodes when @nodes >= 0) with the calling process as
 * owner (also used after the keeper forks). */
int journal_set_state(struct journal *j, const char *state, int nodes);

/**
 * Undo every entry newest-first, then remove the run directory and free @j.
 * Keeps going past failures; returns the first error (-errno) and prints
 * each failure once. NULL-safe.
 */
int journal_undo(struct journal *j);

/** Close and free without undoing anything (the run stays; its lock is
 * released when the last process holding the fd exits). NULL-safe. */
void journal_close(struct journal *j);

/** List every run; *@runs is malloc'ed (free it). 0 or -errno. */
int journal_list(struct journal_run **runs, size_t *n);

/** Is @id a well-formed run id (safe in paths and namespace names)? */
bool journal_id_valid(const char *id);

#endif
