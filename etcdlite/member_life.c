/* member_life.c: a member's start (recovery from snapshot and WAL, listeners) and its orderly stop. */
#include "etcdlite/member_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "etcdlite/raft/codec.h"
#include "etcdlite/snapfile.h"

static int make_dirs(struct el_member *m, struct cm_buf *err)
{
	char path[1024];
	const char *dirs[] = {m->cfg.data_dir, path, m->wal_dir, m->snap_dir};

	snprintf(path, sizeof(path), "%s/member", m->cfg.data_dir);
	snprintf(m->wal_dir, sizeof(m->wal_dir), "%s/member/wal", m->cfg.data_dir);
	snprintf(m->snap_dir, sizeof(m->snap_dir), "%s/member/snap", m->cfg.data_dir);
	for (size_t i = 0; i < 4; i++)
		if (mkdir(dirs[i], 0700) && errno != EEXIST) {
			int rc = -errno;
			cm_buf_printf(err, "cannot create %s: %s", dirs[i], cm_strerror(rc));
			return rc;
		}
	return 0;
}

/* Loads the newest snapshot into the store; returns its index (0: none). */
static int load_snapshot(struct el_member *m, struct cm_buf *err)
{
	void *data = NULL;
	size_t len = 0;
	uint64_t index, term;
	int rc = el_snapfile_load_latest(m->snap_dir, &index, &term, &data, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc) {
		cm_buf_printf(err, "load snapshot from %s: %s", m->snap_dir, cm_strerror(rc));
		return rc;
	}
	rc = el_store_restore(m->store, data, len, el_now_ms());
	if (rc) {
		free(data);
		cm_buf_printf(err, "restore snapshot %" PRIu64 " from %s: %s", index, m->snap_dir,
			      cm_strerror(rc));
		return rc;
	}
	cm_buf_reset(&m->snap);
	rc = cm_buf_append(&m->snap, data, len);
	free(data);
	if (rc)
		return rc;
	m->snap_index = index;
	m->snap_term = term;
	m->applied_index = index;
	m->applied_term = term;
	cm_info("member %s: loaded snapshot at index %" PRIu64 " (revision %" PRId64 ")", m->cfg.name,
		index, el_store_revision(m->store));
	return 0;
}

static int open_raft(struct el_member *m, struct cm_buf *err)
{
	struct el_wal_options wo = {m->cfg.id, m->cfg.cluster_id, 0};
	struct el_wal_replay rp;
	struct raft_config rc_ = {0};
	struct raft_entry *ents = NULL;
	uint64_t peers[EL_MAX_MEMBERS];
	char msg[512] = "";
	int rc;

	memset(&rp, 0, sizeof(rp));
	rc = el_wal_open(m->wal_dir, &wo, &m->wal, &rp, msg, sizeof(msg));
	if (rc) {
		cm_buf_printf(err, "open WAL: %s", msg[0] ? msg : cm_strerror(rc));
		return rc;
	}
	if (rp.member_id && rp.member_id != m->cfg.id) {
		cm_buf_printf(err, "%s belongs to member %" PRIx64 ", not %" PRIx64
			      " (is --initial-cluster or --name different?)", m->cfg.data_dir,
			      rp.member_id, m->cfg.id);
		el_wal_replay_close(&rp);
		return -EINVAL;
	}
	if (m->snap_index < rp.snap.index) {
		cm_buf_printf(err, "the WAL starts after snapshot %" PRIu64 " but the newest valid "
			      "snapshot in %s is %" PRIu64, rp.snap.index, m->snap_dir, m->snap_index);
		el_wal_replay_close(&rp);
		return -CM_ECORRUPT;
	}
	if (rp.n_entries && !(ents = calloc(rp.n_entries, sizeof(*ents)))) {
		el_wal_replay_close(&rp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rp.n_entries; i++) {
		ents[i].index = rp.entries[i].index;
		ents[i].term = rp.entries[i].term;
		ents[i].type = RAFT_ENTRY_NORMAL;
		ents[i].len = (uint32_t)rp.entries[i].len;
		ents[i].data = rp.entries[i].data;
	}
	for (size_t i = 0; i < m->cfg.n_members; i++)
		peers[i] = m->cfg.members[i].id;
	rc_.id = m->cfg.id;
	rc_.peers = peers;
	rc_.n_peers = m->cfg.n_members;
	rc_.heartbeat_tick = 1;
	rc_.election_tick = (int)(m->cfg.election_ms / m->cfg.heartbeat_ms);
	/* A request of --max-request-bytes is one entry: over the 1 MiB of an
	 * append message it goes alone (etcd takes 1.5 MiB puts the same way). */
	rc_.max_entry_bytes = el_member_max_entry(&m->cfg);
	rc_.pre_vote = true;
	rc_.check_quorum = true;
	rc_.seed = m->cfg.id ^ (uint64_t)cm_time_wall_ms();
	rc_.applied = m->applied_index;
	rc_.persisted.hard_state.term = rp.hs.term;
	rc_.persisted.hard_state.vote = rp.hs.vote;
	rc_.persisted.hard_state.commit = rp.hs.commit;
	m->synced_hs = rc_.persisted.hard_state;
	rc_.persisted.snapshot.index = rp.snap.index;
	rc_.persisted.snapshot.term = rp.snap.term;
	rc_.persisted.entries = ents;
	rc_.persisted.n_entries = rp.n_entries;
	rc = raft_new(&rc_, &m->raft);
	if (rc)
		cm_buf_printf(err, "start raft from the WAL in %s: %s", m->wal_dir, cm_strerror(rc));
	else
		cm_info("member %s: recovered term %" PRIu64 ", commit %" PRIu64 ", %zu entries after "
			"snapshot %" PRIu64, m->cfg.name, rp.hs.term, rp.hs.commit, rp.n_entries,
			rp.snap.index);
	free(ents);
	el_wal_replay_close(&rp);
	if (!rc) {
		raft_advance_election(m->raft);
		raft_status(m->raft, &m->st);
	}
	return rc;
}

static int make_metrics(struct el_member *m)
{
	struct cm_metrics *x;
	int rc = cm_metrics_new(&m->metrics);

	if (rc)
		return rc;
	x = m->metrics;
	m->mx.leader_changes = cm_metrics_counter(x, "etcd_server_leader_changes_seen_total",
						  "Leader changes seen.", NULL);
	m->mx.proposals_committed = cm_metrics_counter(x, "etcd_server_proposals_committed_total",
						       "Proposals applied here.", NULL);
	m->mx.proposals_failed = cm_metrics_counter(x, "etcd_server_proposals_failed_total",
						    "Proposals that failed or timed out.", NULL);
	m->mx.fsync_seconds = cm_metrics_histogram(x, "etcd_disk_wal_fsync_duration_seconds",
						   "WAL write+fsync latency.", NULL, NULL, 0);
	m->mx.apply_lag = cm_metrics_gauge(x, "etcdlite_apply_lag_entries",
					   "Committed entries not yet applied.", NULL);
	m->mx.has_leader = cm_metrics_gauge(x, "etcd_server_has_leader",
					    "1 if a leader is known.", NULL);
	m->mx.snapshots = cm_metrics_counter(x, "etcdlite_snapshots_total", "Snapshots saved.", NULL);
	m->mx.watchers = cm_metrics_gauge(x, "etcd_debugging_mvcc_watcher_total", "Watchers.", NULL);
	return 0;
}

/*
 * etcd's gRPC server takes messages up to --max-request-bytes + 512 KiB and
 * answers "etcdserver: request is too large" (400) for those over the limit;
 * bodies that would decode to that much are read so the answer is the same.
 * Base64 makes the bytes 4/3 as many in JSON. Bodies over gRPC's bound are
 * read too, up to 16 MiB, so the 429 etcd answers names their exact size.
 */
size_t el_member_client_max_body(const struct el_config *cfg)
{
	size_t grpc = ((size_t)cfg->max_request_bytes + 512 * 1024) * 4 / 3 + 64 * 1024;

	return grpc > EL_CLIENT_MIN_BODY ? grpc : EL_CLIENT_MIN_BODY;
}

/* clients: the listener answers unknown paths and big bodies as etcd's client listener does. */
static int listen_on(struct el_member *m, const char *urls, const struct el_tls_conf *tls, size_t max_body,
		     bool clients, struct cm_http_server **out, struct cm_buf *err)
{
	struct cm_http_server_opts o = {0};
	char host[256];
	int port, rc;

	if (el_url_host_port(urls, host, sizeof(host), &port)) {
		cm_buf_printf(err, "bad listen URL \"%s\"", urls);
		return -EINVAL;
	}
	o.bind_address = host;
	o.port = port;
	o.max_body = max_body;
	o.idle_timeout_s = 600; /* watches stay open */
	o.metrics = m->metrics;
	if (clients) {
		o.refuse = el_gateway_refuse;
		o.refuse_ud = m;
	}
	/* As etcd: TLS is served on https:// URLs; the files alone do not turn it on. */
	if (el_url_is_https(urls)) {
		o.tls_cert_file = tls->cert_file;
		o.tls_key_file = tls->key_file;
		o.tls_client_ca_file = tls->trusted_ca_file;
		o.tls_client_cert_required = tls->client_cert_auth;
	}
	rc = cm_http_server_new(m->loop, &o, out);
	if (rc)
		cm_buf_printf(err, "listen on %s: %s", urls, cm_strerror(rc));
	return rc;
}

int el_member_start(uv_loop_t *loop, const struct el_config *cfg, struct el_member **out,
		    struct cm_buf *err)
{
	struct el_member *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	m->loop = loop;
	m->cfg = *cfg;
	/* Request ids and read contexts must not repeat those of an earlier run of
	 * this member: entries it proposed before a crash are still applied after
	 * it restarts (and late read-index answers still arrive), and a reused id
	 * would hand that old answer to a new client. As etcd's idutil does, start
	 * from the wall clock (ms << 20: a clash needs a million requests a ms). */
	m->next_req_id = (uint64_t)cm_time_wall_ms() << 20;
	m->next_read_ctx = m->next_req_id;
	if ((rc = make_dirs(m, err)) || (rc = make_metrics(m)) ||
	    (rc = el_store_new(NULL, &m->store)) || (rc = el_watch_hub_new(m->store, &m->hub)) ||
	    (rc = load_snapshot(m, err)) || (rc = open_raft(m, err)) ||
	    (rc = el_transport_init(m)) ||
	    (rc = listen_on(m, cfg->listen_client_urls, &cfg->client_tls, el_member_client_max_body(cfg), true,
			       &m->client_srv, err)) ||
	    (rc = listen_on(m, cfg->listen_peer_urls, &cfg->peer_tls, EL_PEER_MAX_BODY, false, &m->peer_srv, err)) ||
	    (rc = el_gateway_routes(m, m->client_srv)) || (rc = el_gateway_routes(m, m->peer_srv)) ||
	    (rc = el_gateway_watch_routes(m, m->client_srv)) || (rc = el_transport_routes(m)))
		goto fail;
	if (cfg->listen_metrics_urls && *cfg->listen_metrics_urls) {
		static const struct el_tls_conf plain = {0};

		if (el_url_is_https(cfg->listen_metrics_urls)) {
			cm_buf_printf(err, "--listen-metrics-urls %s: only http:// is served", cfg->listen_metrics_urls);
			rc = -EINVAL;
			goto fail;
		}
		if ((rc = listen_on(m, cfg->listen_metrics_urls, &plain, 4096, false, &m->metrics_srv, err)) ||
		    (rc = el_gateway_health_route(m, m->metrics_srv)))
			goto fail;
	}
	el_member_loop_start(m);
	cm_info("member %s: id %" PRIx64 ", cluster %" PRIx64 ", serving clients on %s, peers on %s",
		cfg->name, cfg->id, cfg->cluster_id, cfg->listen_client_urls, cfg->listen_peer_urls);
	*out = m;
	return 0;
fail:
	if (!err->len)
		cm_buf_printf(err, "start: %s", cm_strerror(rc));
	/* Handles were not started: free synchronously what was made. */
	if (m->client_srv)
		cm_http_server_close(m->client_srv, NULL, NULL);
	if (m->peer_srv)
		cm_http_server_close(m->peer_srv, NULL, NULL);
	if (m->metrics_srv)
		cm_http_server_close(m->metrics_srv, NULL, NULL);
	el_transport_close(m);
	raft_free(m->raft);
	el_wal_close(m->wal);
	el_watch_hub_free(m->hub);
	el_store_free(m->store);
	cm_metrics_free(m->metrics);
	cm_buf_close(&m->snap);
	free(m);
	return rc;
}

int el_member_client_port(const struct el_member *m)
{
	return cm_http_server_port(m->client_srv);
}

static void member_free(struct el_member *m)
{
	void (*done)(void *) = m->stop_done;
	void *ud = m->stop_ud;

	while (m->in_head) {
		struct el_input *in = m->in_head;
		m->in_head = in->next;
		raft_codec_free(in->msgs, in->n);
		cm_buf_close(&in->data);
		free(in);
	}
	raft_free(m->raft);
	el_wal_close(m->wal);
	el_watch_hub_free(m->hub);
	el_store_free(m->store);
	cm_metrics_free(m->metrics);
	cm_buf_close(&m->snap);
	cm_buf_close(&m->snap_pending);
	cm_buf_close(&m->fwd);
	free(m);
	if (done)
		done(ud);
}

void el_member_closed_one(struct el_member *m)
{
	if (--m->close_pending == 0)
		member_free(m);
}

static void on_handle_closed(uv_handle_t *h)
{
	el_member_closed_one(h->data);
}

static void on_server_closed(void *ud)
{
	el_member_closed_one(ud);
}

static void finish_stop(struct el_member *m)
{
	int rc = el_wal_sync(m->wal);

	if (rc)
		cm_error("member %s: final WAL sync: %s", m->cfg.name, cm_strerror(rc));
	el_member_pending_fail_all(m, -CM_ESTOPPED);
	el_member_reads_fail_all(m, -CM_ESTOPPED);
	el_watch_streams_close(m);
	m->close_pending = 7; /* two servers, the client, the idle and three timers */
	cm_http_server_close(m->client_srv, on_server_closed, m);
	cm_http_server_close(m->peer_srv, on_server_closed, m);
	if (m->metrics_srv) {
		m->close_pending++;
		cm_http_server_close(m->metrics_srv, on_server_closed, m);
	}
	el_transport_close(m);
	uv_close((uv_handle_t *)&m->kick, on_handle_closed);
	uv_close((uv_handle_t *)&m->tick_timer, on_handle_closed);
	uv_close((uv_handle_t *)&m->sweep_timer, on_handle_closed);
	uv_close((uv_handle_t *)&m->lease_timer, on_handle_closed);
}

static void on_stop_poll(uv_timer_t *t)
{
	struct el_member *m = t->data;

	/* A Ready or a snapshot save in flight owns raft and the WAL until it returns. */
	if (m->busy || m->snap_saving)
		return;
	uv_timer_stop(t);
	finish_stop(m);
}

void el_member_stop(struct el_member *m, void (*done)(void *ud), void *ud)
{
	m->stop_done = done;
	m->stop_ud = ud;
	m->stopping = true;
	uv_timer_stop(&m->tick_timer);
	uv_timer_stop(&m->lease_timer);
	uv_idle_stop(&m->kick);
	/* The sweep timer is reused to wait for work in flight. */
	uv_timer_stop(&m->sweep_timer);
	uv_timer_start(&m->sweep_timer, on_stop_poll, 0, 10);
}
