/* health.c: the store check behind /readyz: a read through etcd every second, so readiness follows quorum. */
#include "apiserver/rest.h"

#include <errno.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "apiserver/storage.h"

/* A read that has not succeeded for this long makes /readyz answer 503. */
#define STORE_STALE_MS 3000

static void on_checked(int err, const struct api_kv_result *r, void *ud)
{
	struct api_server *srv = ud;

	(void)r;
	/* The storage is closing with the server, which may be freed already: touch nothing. */
	if (err == -ECANCELED)
		return;
	srv->store_check_inflight = false;
	/* A missing key is a successful (linearizable) read: the store answers. */
	if (err == 0 || err == -ENOENT) {
		if (srv->store_ok_ms + STORE_STALE_MS < cm_time_mono_ms())
			cm_info("storage: reads go through again");
		srv->store_ok_ms = cm_time_mono_ms();
		uv_timer_set_repeat(&srv->health_timer, 1000);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct api_server *srv = t->data;

	if (srv->store_check_inflight)
		return;
	if (api_storage_get(srv->store, "/registry/health", on_checked, srv) == 0)
		srv->store_check_inflight = true;
}

void api_health_start(struct api_server *srv)
{
	uv_timer_init(srv->loop, &srv->health_timer);
	srv->health_timer.data = srv;
	/* every 100 ms until the first read goes through: a launcher waits on /readyz at boot */
	uv_timer_start(&srv->health_timer, on_tick, 0, 100);
}

void api_health_close(struct api_server *srv, uv_close_cb cb)
{
	uv_timer_stop(&srv->health_timer);
	uv_close((uv_handle_t *)&srv->health_timer, cb);
}

bool api_health_store_ok(const struct api_server *srv)
{
	return srv->store_ok_ms && cm_time_mono_ms() - srv->store_ok_ms < STORE_STALE_MS;
}
