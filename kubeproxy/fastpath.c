/* fastpath.c: the optional kernel fast path: the engine's ports as nftables DNAT rules, applied by nft. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "kubeproxy/nft_rules.h"
#include "kubeproxy/proxy_int.h"

extern char **environ;

/*
 * Runs `nft -f -` with script on its stdin and waits for it. Blocking, but a
 * ruleset of a few hundred services applies in milliseconds, and changes are
 * coalesced to one run per loop pass. Returns 0, or -ECHILD with nft's exit
 * status in *status (its stderr goes to ours), or -errno if it cannot run.
 */
static int nft_run(const struct cm_buf *script, int *status)
{
	char *argv[] = {"nft", "-f", "-", NULL};
	posix_spawn_file_actions_t fa;
	int pipefd[2], rc;
	pid_t pid;
	size_t off = 0;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
	rc = posix_spawnp(&pid, "nft", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[0]);
	if (rc) {
		close(pipefd[1]);
		return -rc;
	}
	while (off < script->len) {
		ssize_t n = write(pipefd[1], script->data + off, script->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break; /* nft died: its status says why */
		off += (size_t)n;
	}
	close(pipefd[1]);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(*status) && WEXITSTATUS(*status) == 0 ? 0 : -ECHILD;
}

static void apply(uv_timer_t *t)
{
	struct kp_proxy *p = t->data;
	struct kp_service_port *ports = NULL;
	struct cm_buf script = CM_BUF_INIT;
	size_t n = 0, i = 0;
	int rc, status = 0;

	for (struct kp_svcport *sp = p->ports; sp; sp = sp->next)
		n++;
	if (n && !(ports = calloc(n, sizeof(*ports)))) {
		uv_timer_start(&p->nft_timer, apply, 100, 0); /* out of memory: try again soon */
		return;
	}
	for (struct kp_svcport *sp = p->ports; sp; sp = sp->next, i++) {
		ports[i].name = sp->name;
		ports[i].protocol = sp->protocol;
		ports[i].cluster = sp->cluster;
		ports[i].node_port = sp->node_port;
		ports[i].affinity = sp->chooser.affinity;
		ports[i].endpoints = sp->chooser.eps;
		ports[i].nendpoints = sp->chooser.n;
	}
	rc = kp_nft_render(p->opts.nft_table, &p->node_addr, ports, n, &script);
	free(ports);
	if (rc == 0)
		rc = nft_run(&script, &status);
	if (rc < 0 && !p->nft_failed)
		cm_error("nftables table %s: apply failed (%s, status %d): connections go through "
			 "the userspace proxy", p->opts.nft_table, strerror(-rc), status);
	else if (rc == 0 && p->nft_failed)
		cm_info("nftables table %s: applied again", p->opts.nft_table);
	p->nft_failed = rc < 0;
	p->nft_applies++;
	cm_buf_close(&script);
}

int kp_fastpath_init(struct kp_proxy *p)
{
	uv_timer_init(p->loop, &p->nft_timer);
	p->nft_timer.data = p;
	p->handles++;
	kp_fastpath_dirty(p); /* an empty table at once: leftovers of a killed run are replaced */
	return 0;
}

void kp_fastpath_dirty(struct kp_proxy *p)
{
	if (p->opts.nft_table && !uv_is_active((uv_handle_t *)&p->nft_timer))
		uv_timer_start(&p->nft_timer, apply, 0, 0);
}

static void timer_closed(uv_handle_t *h)
{
	kp_proxy_handle_closed(h->data);
}

void kp_fastpath_close(struct kp_proxy *p)
{
	struct cm_buf script = CM_BUF_INIT;
	int status = 0;

	if (!p->opts.nft_table)
		return;
	if (kp_nft_render_delete(p->opts.nft_table, &script) == 0 && nft_run(&script, &status) < 0)
		cm_warn("nftables table %s: cannot delete it (status %d)", p->opts.nft_table, status);
	cm_buf_close(&script);
	uv_close((uv_handle_t *)&p->nft_timer, timer_closed);
}
