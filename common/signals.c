/* signals.c: SIGTERM/SIGINT handling on the daemon's loop. */
#include "common/signals.h"

#include <signal.h>

#include "common/log.h"

static void on_signal(uv_signal_t *h, int signum)
{
	struct cm_signals *s = h->data;

	cm_info("received signal %d, stopping", signum);
	uv_signal_stop(&s->term);
	uv_signal_stop(&s->intr);
	s->stop(s->ud);
}

int cm_signals_start(struct cm_signals *s, uv_loop_t *loop, void (*stop)(void *ud), void *ud)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	s->stop = stop;
	s->ud = ud;
	if ((rc = uv_signal_init(loop, &s->term)) || (rc = uv_signal_init(loop, &s->intr)))
		return rc;
	s->term.data = s->intr.data = s;
	if ((rc = uv_signal_start(&s->term, on_signal, SIGTERM)) ||
	    (rc = uv_signal_start(&s->intr, on_signal, SIGINT)))
		return rc;
	return 0;
}

void cm_signals_unref(struct cm_signals *s)
{
	uv_unref((uv_handle_t *)&s->term);
	uv_unref((uv_handle_t *)&s->intr);
}

void cm_signals_close(struct cm_signals *s)
{
	if (!uv_is_closing((uv_handle_t *)&s->term))
		uv_close((uv_handle_t *)&s->term, NULL);
	if (!uv_is_closing((uv_handle_t *)&s->intr))
		uv_close((uv_handle_t *)&s->intr, NULL);
}
