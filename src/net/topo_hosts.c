/* The hosts files of a run: TB_RUN_DIR/<run-id>/hosts/<node>, one per node,
 * with localhost and every node's name at its first IPv4 and IPv6 address
 * (topo_addr()), so that `ping s1` works inside a node: node_enter()
 * bind-mounts the node's file over /etc/hosts. They live in the run's
 * directory and go with it (journal_undo()); in a UML guest /run is a
 * tmpfs of the guest's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "topo_int.h"

/* @name as a node name safe in a path: no '/', not empty, not a dot name. */
static bool path_safe(const char *name)
{
	return name[0] && name[0] != '.' && !strchr(name, '/') && strlen(name) < TB_NAME_MAX;
}

static int hosts_path(const char *run_id, const char *node, char *buf, size_t len)
{
	int n;

	if (!journal_id_valid(run_id) || !path_safe(node))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s/" JOURNAL_HOSTS_DIR "/%s", TB_RUN_DIR, run_id, node);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int topo_hosts_path_of(const char *run_id, const char *node, char *buf, size_t len)
{
	int rc = hosts_path(run_id, node, buf, len);

	if (!rc && access(buf, R_OK) < 0)
		rc = -errno;
	return rc;
}

const char *topo_hosts_path(const struct topo *t, int node)
{
	return t->nodes[node].hosts[0] ? t->nodes[node].hosts : NULL;
}

/* The text every node's file holds. */
static void hosts_text(const struct topo *t, FILE *f)
{
	const struct tb_config *c = t->c;

	fprintf(f, "# /etc/hosts inside the nodes of testbed run %s (removed with the run)\n"
		   "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		journal_id(t->j));
	for (size_t n = 0; n < c->n_nodes; n++)
		for (int fam = 4; fam <= 6; fam += 2) {
			const char *a = topo_addr(t, (int)n, fam);

			if (a)
				fprintf(f, "%s\t%s\n", a, c->nodes[n].name);
		}
}

/* Node @node's file, whole or not at all. 0 or -errno. */
static int write_one(struct topo *t, int node, char *text, size_t len)
{
	struct topo_node *tn = &t->nodes[node];
	int fd, rc = hosts_path(journal_id(t->j), t->c->nodes[node].name, tn->hosts,
				sizeof(tn->hosts));

	if (rc)
		goto fail;
	fd = open(tn->hosts, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	if (write(fd, text, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc)
		return 0;
	unlink(tn->hosts);
fail:
	tn->hosts[0] = 0;
	return rc;
}

int topo_write_hosts(struct topo *t, struct topo_err *err)
{
	char dir[128], *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc = 0;

	if (!f)
		return topo_fail(err, -errno, "hosts files: %s", strerror(errno));
	hosts_text(t, f);
	fclose(f);
	snprintf(dir, sizeof(dir), "%s/%s/" JOURNAL_HOSTS_DIR, TB_RUN_DIR, journal_id(t->j));
	if (mkdir(dir, 0755) < 0)
		rc = topo_fail(err, -errno, "make %s: %s", dir, strerror(errno));
	for (size_t n = 0; !rc && n < t->c->n_nodes; n++) {
		rc = write_one(t, (int)n, text, len);
		if (rc)
			topo_fail(err, rc, "node %s: write its hosts file in %s: %s",
				  t->c->nodes[n].name, dir, strerror(-rc));
	}
	free(text);
	return rc;
}
