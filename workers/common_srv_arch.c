/* tb-server's CPU-bound architectures: the CPU time a request costs
 * (--work), a process per connection (--arch fork), a fixed pool of
 * threads serving whole connections (--arch pool), and an epoll loop that
 * hands each request's work to a pool (--arch epoll_pool). Also the shared
 * counters the forked children write into and the server's peak memory.
 * Linked into every worker by the Makefile; only tb-server uses it. */
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct srv_stats st_local = { .lock = PTHREAD_MUTEX_INITIALIZER };
struct srv_stats *srv_stp = &st_local;

int srv_share_stats(void)
{
	pthread_mutexattr_t a;
	struct srv_stats *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return -errno;
	*s = st_local;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->lock, &a);
	pthread_mutexattr_destroy(&a);
	srv_stp = s;
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* CPU time, not wall time: a thread that is preempted burns on when it
 * runs again, so a request costs the server @us of CPU however busy the
 * machine is. */
void srv_burn(uint64_t us)
{
	uint64_t t0 = thread_cpu_ns(), end = t0 + us * 1000;
	volatile uint64_t x = 0;

	while (thread_cpu_ns() < end)
		for (int i = 0; i < 1000; i++)
			x += (uint64_t)i;
	__atomic_add_fetch(&srv_st.work_us, us, __ATOMIC_RELAXED);
}

/* ---- --arch fork ---- */

static pid_t *kids;
static size_t n_kids, cap_kids;
static long long mem_peak = -1;

/* The child: the listener and the loop are the parent's; serve @c, exit. */
static void child(struct srv_conn *c, int lfd, int ep)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (lfd >= 0)
		close(lfd);
	if (ep >= 0)
		close(ep);
	srv_serve_blocking(c);
	/* alive, not merely unreaped: the count falls when the child is done */
	__atomic_sub_fetch(&srv_st.procs, 1, __ATOMIC_RELAXED);
	_exit(0);
}

void srv_fork_conn(struct srv_conn *c, int lfd, int ep)
{
	pid_t pid;
	uint64_t n;

	if (n_kids == cap_kids) {
		pid_t *k = realloc(kids, (cap_kids ? cap_kids * 2 : 64) * sizeof(*k));

		if (!k) {
			srv_conn_end(c, ENOMEM);
			return;
		}
		kids = k;
		cap_kids = cap_kids ? cap_kids * 2 : 64;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		child(c, lfd, ep);
	if (pid < 0) {
		srv_conn_end(c, errno);
		return;
	}
	kids[n_kids++] = pid;
	n = __atomic_add_fetch(&srv_st.procs, 1, __ATOMIC_RELAXED);
	if (n > srv_st.procs_max)
		srv_st.procs_max = n;
	/* the child owns the connection (and counts its end) */
	close(c->fd);
	free(c);
}

static void forget(pid_t pid)
{
	for (size_t i = 0; i < n_kids; i++)
		if (kids[i] == pid) {
			kids[i] = kids[--n_kids];
			return;
		}
}

/* The processes' proportional set sizes summed: shared pages (the code,
 * what fork left copy-on-write) count once, not once per child. */
static void sample_mem(void)
{
	char path[64];
	long long sum = wk_proc_kb("/proc/self/smaps_rollup", "Pss");

	for (size_t i = 0; i < n_kids && sum >= 0; i++) {
		long long v;

		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)kids[i]);
		v = wk_proc_kb(path, "Pss");
		if (v > 0)
			sum += v;
	}
	if (sum > mem_peak)
		mem_peak = sum;
}

void srv_fork_reap(bool sample)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		forget(pid);
	if (sample)
		sample_mem();
}

void srv_fork_end(void)
{
	for (size_t i = 0; i < n_kids; i++)
		kill(kids[i], SIGTERM);
	while (n_kids) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0)
			break;
		forget(pid);
	}
	free(kids);
	kids = NULL;
	n_kids = cap_kids = 0; /* a start after a stop forks anew */
}

long long srv_mem_peak(void)
{
	long long hwm = wk_proc_kb("/proc/self/status", "VmHWM");

	return srv_o.arch == SRV_FORK && mem_peak > hwm ? mem_peak : hwm;
}

/* ---- --arch pool and epoll_pool: a queue in front of N threads ---- */

struct job {
	struct srv_conn *c;
	uint64_t resp;
	struct job *next;
};

struct queue {
	struct job *head, *tail;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static struct queue todo = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
static struct queue done = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };
static pthread_t *pool;
static size_t n_pool;
static int done_fd = -1;

static void push(struct queue *q, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static struct job *pop_locked(struct queue *q)
{
	struct job *j = q->head;

	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
	}
	return j;
}

/* The next job, or NULL once wk_stop is set (checked every 100 ms). */
static struct job *take_job(void)
{
	struct job *j;

	pthread_mutex_lock(&todo.mu);
	while (!(j = pop_locked(&todo)) && !wk_stop) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 100000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&todo.cv, &todo.mu, &t);
	}
	pthread_mutex_unlock(&todo.mu);
	return j;
}

static void *pool_main(void *arg)
{
	struct job *j;
	uint64_t one = 1;

	(void)arg;
	while ((j = take_job())) {
		if (srv_o.arch == SRV_POOL) {
			srv_serve_blocking(j->c);
			free(j);
			continue;
		}
		srv_burn(srv_o.work_us);
		push(&done, j);
		if (write(done_fd, &one, sizeof(one)) < 0)
			wk_msg("eventfd write: %s", strerror(errno));
	}
	return NULL;
}

int srv_pool_start(void)
{
	sigset_t all, old;

	/* pool threads block on their connection's I/O between requests, so
	 * they are 4 per CPU; epoll_pool's only compute, one per CPU */
	n_pool = (size_t)sysconf(_SC_NPROCESSORS_ONLN) * (srv_o.arch == SRV_POOL ? 4 : 1);
	if (srv_o.threads)
		n_pool = srv_o.threads;
	if (srv_o.arch == SRV_EPOLL_POOL && (done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return -errno;
	pool = calloc(n_pool, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	/* Signals go to the main thread, which owns the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 0; i < n_pool; i++)
		if (pthread_create(&pool[i], NULL, pool_main, NULL)) {
			n_pool = i;
			break;
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	srv_st.threads = srv_st.threads_max = n_pool;
	return srv_o.arch == SRV_EPOLL_POOL ? done_fd : 0;
}

static void submit(struct srv_conn *c, uint64_t resp)
{
	struct job *j = malloc(sizeof(*j));

	if (!j) {
		/* no memory for the hand-off: do the work here */
		srv_burn(srv_o.work_us);
		c->resp_left += resp;
		return;
	}
	j->c = c;
	j->resp = resp;
	push(&todo, j);
}

void srv_pool_conn(struct srv_conn *c)
{
	submit(c, 0);
}

void srv_pool_submit(struct srv_conn *c, uint64_t resp)
{
	c->busy++;
	submit(c, resp);
}

struct srv_conn *srv_pool_done(uint64_t *resp)
{
	struct job *j;
	struct srv_conn *c = NULL;
	uint64_t n;

	if (done_fd >= 0 && read(done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return NULL;
	pthread_mutex_lock(&done.mu);
	j = pop_locked(&done);
	pthread_mutex_unlock(&done.mu);
	if (j) {
		c = j->c;
		*resp = j->resp;
		free(j);
	}
	return c;
}

void srv_pool_stop(void)
{
	pthread_mutex_lock(&todo.mu);
	pthread_cond_broadcast(&todo.cv);
	pthread_mutex_unlock(&todo.mu);
	for (size_t i = 0; i < n_pool; i++)
		pthread_join(pool[i], NULL);
	free(pool);
	pool = NULL;
	n_pool = 0;
	if (done_fd >= 0)
		close(done_fd);
	done_fd = -1;
}
