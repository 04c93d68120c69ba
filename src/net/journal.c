#include "journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "netns.h"
#include "util/util.h"

struct journal {
	char id[JOURNAL_ID_MAX];
	char dir[64];
	int fd; /* journal file, O_APPEND, flock'ed */
	char config[256];
	char created[32];
	char state[16];
	int nodes;
};

static const char id_chars[] = "abcdefghijkmnpqrstuvwxyz23456789";

bool journal_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n < 2 || n >= JOURNAL_ID_MAX || !(id[0] >= 'a' && id[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
			return false;
	return true;
}

static unsigned long long proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* field 3 is state; starttime is field 22 */
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* Written once, when the run is created: the fields that never change.
 * (No temporary file and rename: on some root file systems a rename costs
 * milliseconds, and `list` tolerates a half-written info.) */
static int write_info(struct journal *j)
{
	char path[128];
	FILE *f;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/info", j->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	fprintf(f, "config=%s\ncreated=%s\n", j->config, j->created);
	return fclose(f) == 0 ? 0 : -errno;
}

/* Owner and state changes are journal comment lines; the last one wins. */
static int write_state(struct journal *j)
{
	return journal_add(j, "# owner pid=%d start=%llu state=%s nodes=%d", (int)getpid(),
			   proc_start_time(getpid()), j->state, j->nodes);
}

/* TB_RUN_DIR is root's alone (0700): a journal others could open, they
 * could flock, and a lock decides whether a run's owner is alive (a user
 * holding one made `cleanup` leave a dead run's namespaces). An older
 * testbed made it 0755: tightened here. */
static int run_dir_private(void)
{
	struct stat st;

	if (mkdir(TB_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(TB_RUN_DIR, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -EPERM; /* not ours: refuse to keep journals there */
	if ((st.st_mode & 077) && chmod(TB_RUN_DIR, 0700) < 0)
		return -errno;
	return 0;
}

static int open_locked(struct journal *j, bool create)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/journal", j->dir);
	j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (j->fd < 0)
		return -errno;
	if (flock(j->fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(j->fd);
		j->fd = -1;
		return rc;
	}
	return 0;
}

/* The run's id into j->id: @want_id when valid, else "tb" and 4 random characters; 0 or -errno. */
static int choose_id(struct journal *j, const char *want_id)
{
	if (want_id) {
		if (!journal_id_valid(want_id))
			return -EINVAL;
		snprintf(j->id, sizeof(j->id), "%s", want_id);
	} else {
		unsigned char r[4];

		if (getrandom(r, sizeof(r), 0) != sizeof(r))
			return -errno;
		j->id[0] = 't';
		j->id[1] = 'b';
		for (int i = 0; i < 4; i++)
			j->id[2 + i] = id_chars[r[i] % 32];
		j->id[6] = 0;
	}
	return 0;
}

/* The run's directory TB_RUN_DIR/ID, made; a random id already taken is drawn again. */
static int make_run_dir(struct journal *j, const char *want_id)
{
	int rc;

	for (int tries = 0;; tries++) {
		rc = choose_id(j, want_id);
		if (rc)
			return rc;
		snprintf(j->dir, sizeof(j->dir), "%s/%s", TB_RUN_DIR, j->id);
		if (mkdir(j->dir, 0700) == 0)
			return 0;
		rc = -errno;
		if (rc != -EEXIST || want_id || tries > 100)
			return rc;
	}
}

/* The journal, locked, with its first line, info and state; on failure, the run dir removed. */
static int start_journal(struct journal *j)
{
	int rc = open_locked(j, true);

	if (!rc)
		rc = journal_add(j, "# testbed journal v1 run=%s", j->id);
	if (!rc)
		rc = write_info(j);
	if (!rc)
		rc = write_state(j);
	if (rc) {
		char path[128];

		if (j->fd >= 0)
			close(j->fd);
		snprintf(path, sizeof(path), "%s/journal", j->dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/info", j->dir);
		unlink(path);
		rmdir(j->dir);
	}
	return rc;
}

int journal_create(const char *want_id, const char *config, struct journal **out)
{
	struct journal *j = xcalloc(1, sizeof(*j));
	time_t now = time(NULL);
	int rc;

	j->fd = -1;
	rc = run_dir_private();
	if (rc)
		goto fail;
	rc = make_run_dir(j, want_id);
	if (rc)
		goto fail;
	snprintf(j->config, sizeof(j->config), "%s", config ? config : "");
	strftime(j->created, sizeof(j->created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	snprintf(j->state, sizeof(j->state), "building");
	j->nodes = 0;
	rc = start_journal(j);
	if (rc)
		goto fail;
	*out = j;
	return 0;
fail:
	free(j);
	return rc;
}

static void parse_kv(char *line, struct journal_run *r)
{
	char *save = NULL;

	for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		char *v = strchr(tok, '=');

		if (!v)
			continue;
		*v++ = 0;
		if (!strcmp(tok, "pid"))
			r->pid = atoi(v);
		else if (!strcmp(tok, "state"))
			snprintf(r->state, sizeof(r->state), "%s", v);
		else if (!strcmp(tok, "nodes"))
			r->nodes = (unsigned)atoi(v);
	}
}

/* info (config, created) and the journal (owner, state, entries) */
static void read_info(const char *dir, struct journal_run *r)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/info", dir);
	f = fopen(path, "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *v = strchr(line, '=');

			if (!v)
				continue;
			*v++ = 0;
			v[strcspn(v, "\n")] = 0;
			if (!strcmp(line, "config"))
				snprintf(r->config, sizeof(r->config), "%s", v);
			else if (!strcmp(line, "created"))
				snprintf(r->created, sizeof(r->created), "%s", v);
		}
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/journal", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	r->objects = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "# owner ", 8))
			parse_kv(line + 8, r);
		else if (line[0] != '#')
			r->objects++;
	}
	fclose(f);
}

int journal_open(const char *id, struct journal **out)
{
	struct journal *j;
	struct journal_run r = { 0 };
	int rc;

	if (!journal_id_valid(id))
		return -EINVAL;
	j = xcalloc(1, sizeof(*j));
	snprintf(j->id, sizeof(j->id), "%s", id);
	snprintf(j->dir, sizeof(j->dir), "%s/%s", TB_RUN_DIR, id);
	rc = open_locked(j, false);
	if (rc) {
		free(j);
		return rc;
	}
	read_info(j->dir, &r);
	snprintf(j->config, sizeof(j->config), "%s", r.config);
	snprintf(j->created, sizeof(j->created), "%s", r.created);
	snprintf(j->state, sizeof(j->state), "%s", r.state);
	j->nodes = (int)r.nodes;
	*out = j;
	return 0;
}

const char *journal_id(const struct journal *j)
{
	return j->id;
}

int journal_add(struct journal *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(line) - 1)
		return -ENAMETOOLONG;
	line[n++] = '\n';
	/* one write(2) per entry on an O_APPEND fd: a reader never sees half a
	 * line, and a crash loses at most the entry being written */
	if (write(j->fd, line, (size_t)n) != n)
		return errno ? -errno : -EIO;
	return 0;
}

int journal_set_state(struct journal *j, const char *state, int nodes)
{
	snprintf(j->state, sizeof(j->state), "%s", state);
	if (nodes >= 0)
		j->nodes = nodes;
	return write_state(j);
}

struct entry {
	char kind[8];
	char a[64], b[64];
};

static bool has_netns(const struct entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].kind, "netns") && !strcmp(e[i].a, name))
			return true;
	return false;
}

/* Processes still inside the run's namespaces would keep them (and their
 * veths) alive after the unmount: end them, politely first. Only namespaces
 * still mounted under our names count, so a recycled inode of a dead
 * namespace can never point at someone else's processes. */
static void kill_inside(const unsigned long *ino, size_t n_ino)
{
	pid_t self = getpid();

	for (int round = 0; round < 60 && n_ino; round++) {
		int found = 0;
		DIR *d = opendir("/proc");
		struct dirent *de;

		if (!d)
			return;
		while ((de = readdir(d))) {
			char path[300];
			struct stat st;
			pid_t pid = atoi(de->d_name);

			if (pid <= 0 || pid == self)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
			if (stat(path, &st) < 0)
				continue;
			for (size_t i = 0; i < n_ino; i++)
				if (st.st_ino == ino[i]) {
					kill(pid, round < 20 ? SIGTERM : SIGKILL);
					found++;
					break;
				}
		}
		closedir(d);
		if (!found)
			return;
		usleep(round < 20 ? 10000 : 50000);
	}
}

/* @j's entries, oldest first, into *@out and *@n; -errno (reported) when unreadable. */
static int read_entries(struct journal *j, struct entry **out, size_t *n)
{
	struct entry *e = NULL;
	size_t cap = 0;
	char line[512];
	int fd = dup(j->fd), rc;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");

	if (!f) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		tb_err("run %s: read journal: %s", j->id, strerror(-rc));
		return rc;
	}
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		struct entry x = { 0 };

		if (line[0] == '#' || sscanf(line, "%7s %63s %63s", x.kind, x.a, x.b) < 2)
			continue;
		e = tb_grow(e, &cap, *n, sizeof(*e));
		e[(*n)++] = x;
	}
	fclose(f);
	*out = e;
	return 0;
}

/* End the processes inside the namespaces the journal names. */
static void kill_in_namespaces(const struct entry *e, size_t n)
{
	unsigned long *ino = xcalloc(n + 1, sizeof(*ino));
	size_t n_ino = 0;

	for (size_t i = 0; i < n; i++)
		if (!strcmp(e[i].kind, "netns")) {
			unsigned long x = netns_inode(e[i].a);

			if (x)
				ino[n_ino++] = x;
		}
	kill_inside(ino, n_ino);
	free(ino);
}

/* Undo entry @i of the @n entries @e: 0 or -errno (reported). */
static int undo_entry(const struct journal *j, const struct entry *e, size_t n, size_t i)
{
	int r = 0;

	if (!strcmp(e[i].kind, "netns")) {
		r = netns_remove(e[i].a);
		if (r)
			tb_err("run %s: remove namespace %s: %s", j->id, e[i].a, strerror(-r));
	} else if (!strcmp(e[i].kind, "nsresv")) {
		/* a reservation the run died before journaling as a namespace:
		 * only an empty placeholder, never a mounted namespace */
		if (!has_netns(e, n, e[i].a))
			netns_unreserve(e[i].a);
	} else if (!strcmp(e[i].kind, "veth")) {
		/* a veth dies with its namespace; delete it only when the
		 * namespace is not one this journal removes anyway */
		if (!has_netns(e, n, e[i].a))
			r = link_delete_in(e[i].a, e[i].b);
		if (r)
			tb_err("run %s: delete veth %s/%s: %s", j->id, e[i].a, e[i].b, strerror(-r));
	} else {
		tb_warn("run %s: unknown journal entry \"%s\" left alone", j->id, e[i].kind);
	}
	return r;
}

/* The nodes' hosts files (topo_hosts.c) and their directory. */
static void remove_hosts(const struct journal *j)
{
	char path[128];
	struct dirent *de;
	int fd;
	DIR *d;

	snprintf(path, sizeof(path), "%s/" JOURNAL_HOSTS_DIR, j->dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	rmdir(path);
}

/* The run's directory, once everything in it is undone. */
static int remove_run_dir(const struct journal *j)
{
	char path[128];

	remove_hosts(j);
	snprintf(path, sizeof(path), "%s/info", j->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/journal", j->dir);
	unlink(path);
	if (rmdir(j->dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int journal_undo(struct journal *j)
{
	struct entry *e = NULL;
	size_t n = 0;
	int rc;

	if (!j)
		return 0;
	snprintf(j->state, sizeof(j->state), "tearing-down");
	write_state(j);
	rc = read_entries(j, &e, &n);
	if (rc) {
		journal_close(j);
		return rc;
	}
	kill_in_namespaces(e, n);
	/* newest first; the first failure is the one returned */
	for (size_t i = n; i-- > 0;) {
		int r = undo_entry(j, e, n, i);

		if (r && !rc)
			rc = r;
	}
	free(e);
	if (!rc)
		rc = remove_run_dir(j);
	else
		tb_err("run %s: journal kept in %s for 'testbed cleanup'", j->id, j->dir);
	journal_close(j);
	return rc;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	free(j);
}

int journal_list(struct journal_run **runs, size_t *n)
{
	struct journal_run *r = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*runs = NULL;
	*n = 0;
	d = opendir(TB_RUN_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct journal_run x = { 0 };
		char dir[96], path[128];
		int fd;

		if (!journal_id_valid(de->d_name))
			continue;
		snprintf(x.id, sizeof(x.id), "%.15s", de->d_name);
		snprintf(dir, sizeof(dir), "%s/%.15s", TB_RUN_DIR, de->d_name);
		snprintf(path, sizeof(path), "%s/journal", dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_SH | LOCK_NB) < 0)
			x.live = true;
		close(fd);
		read_info(dir, &x);
		r = tb_grow(r, &cap, *n, sizeof(*r));
		r[(*n)++] = x;
	}
	closedir(d);
	*runs = r;
	return 0;
}
