/* signals.h: how every daemon stops: the first SIGTERM or SIGINT calls its stop function, once. */
#ifndef CM_SIGNALS_H
#define CM_SIGNALS_H

#include <uv.h>

/* The caller owns the struct (it holds two uv handles); zero it or not, start fills it. */
struct cm_signals {
	uv_signal_t term, intr;
	void (*stop)(void *ud);
	void *ud;
};

/*
 * Watches SIGTERM and SIGINT on loop: the first one logs a line and calls
 * stop(ud), later ones are ignored. Also ignores SIGPIPE, as every daemon
 * writes to sockets whose peer may be gone. Returns 0 or a negative errno.
 */
int cm_signals_start(struct cm_signals *s, uv_loop_t *loop, void (*stop)(void *ud), void *ud);
/*
 * Lets the loop end while the signals are still watched: for daemons whose
 * loop ends by itself when they stop for another reason (a lost lease).
 */
void cm_signals_unref(struct cm_signals *s);
/* Closes the handles (from the daemon's stop callback), so that the loop can end; once. */
void cm_signals_close(struct cm_signals *s);

#endif
