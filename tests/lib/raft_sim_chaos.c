/* raft_sim_chaos.c: the seeded random scenario: chaos, then calm, checking safety throughout and liveness at the end. */
#include <stdio.h>
#include <string.h>

#include "etcdlite/raft/raft_int.h"
#include "tests/lib/raft_sim.h"

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define R(n) ((int)(mix(&rng) % (uint64_t)(n)))

static int finish(struct rsim *s, int rc, char *err, size_t errlen, const char *why)
{
	if (rc && err)
		snprintf(err, errlen, "%s", rsim_error(s) ? rsim_error(s) : why);
	rsim_free(s);
	return rc;
}

int rsim_random_run(int n, uint64_t seed, int chaos_ticks, bool verbose, char *err,
		    size_t errlen)
{
	uint64_t rng = seed ^ 0x5eed5eed5eedull;
	static const int compact[] = {0, 3, 8, 30};
	struct rsim_opts o = {
		.n = n,
		.seed = seed,
		.verbose = verbose,
		.pre_vote = R(4) != 0,
		.check_quorum = R(4) != 0,
		.election_tick = 10,
		.heartbeat_tick = 1 + R(3),
		.drop_pct = R(25),
		.dup_pct = R(10),
		.max_delay = 1 + R(8),
		.compact_every = compact[R(4)],
		.skew_pct = R(3) ? 0 : R(30),
		.max_msg_bytes = (size_t)(10 + R(150)),
		.max_inflight = (size_t)(1 + R(8)),
	};
	if (verbose)
		fprintf(stderr, "seed %llu: n=%d prevote=%d cq=%d hb=%d drop=%d dup=%d delay=%d compact=%d msgbytes=%zu inflight=%zu\n",
			(unsigned long long)seed, n, o.pre_vote, o.check_quorum, o.heartbeat_tick,
			o.drop_pct, o.dup_pct, o.max_delay, o.compact_every, o.max_msg_bytes,
			o.max_inflight);
	struct rsim *s = rsim_new(&o);
	if (!s) {
		snprintf(err, errlen, "rsim_new failed");
		return -1;
	}
	for (int t = 0; t < chaos_ticks; t++) {
		int k = 1 + R(n);
		int ev = R(1000);
		if (ev < 15) {
			rsim_crash(s, k);
		} else if (ev < 40) {
			if (!rsim_is_up(s, k))
				rsim_restart(s, k);
		} else if (ev < 46) {
			rsim_isolate(s, k, true);
		} else if (ev < 52) {
			int a = 1 + R(n), b = 1 + R(n);
			if (a != b)
				rsim_cut(s, a, b, true);
		} else if (ev < 70) {
			rsim_heal(s);
		} else if (ev < 75) {
			rsim_set_faults(s, R(30), R(10), 1 + R(5));
		} else if (ev < 80) {
			int l = rsim_leader(s);
			if (l && rsim_raft(s, l)) {
				int to = 1 + R(n);
				if (to != l)
					raft_transfer_leader(rsim_raft(s, l), (uint64_t)to);
			}
		}
		if (R(100) < 30) {
			int l = rsim_leader(s);
			rsim_propose(s, l && R(4) ? l : k);
		}
		if (R(100) < 5)
			rsim_read(s, 1 + R(n), NULL);
		if (rsim_step(s))
			return finish(s, -1, err, errlen, "");
	}
	/* Calm: everyone up, no faults. A leader must emerge and commit. */
	rsim_heal(s);
	rsim_set_faults(s, 0, 0, 1);
	for (int i = 1; i <= n; i++)
		if (!rsim_is_up(s, i) && rsim_restart(s, i))
			return finish(s, -1, err, errlen, "");
	int leader = 0;
	for (int t = 0; t < 400 && !leader; t++) {
		if (rsim_step(s))
			return finish(s, -1, err, errlen, "");
		leader = rsim_leader(s);
	}
	if (!leader)
		return finish(s, -1, err, errlen, "liveness: no leader after 400 calm ticks");
	/* A write can still be lost (a stale leader took it); the client
	 * retries, as etcdlite's would, until one is applied everywhere. */
	uint64_t index = 0, term = 0;
	for (int t = 0; t < 800; t++) {
		leader = rsim_leader(s);
		struct raft *lr = leader ? rsim_raft(s, leader) : NULL;
		struct raft_status st = {0};
		if (lr)
			raft_status(lr, &st);
		if (lr && (!index || st.term != term)) {
			if (raft_propose(lr, "final", 5, &index, &term) == 0 && verbose)
				fprintf(stderr, "final write proposed at %d: index %llu term %llu\n",
					leader, (unsigned long long)index,
					(unsigned long long)term);
		}
		if (rsim_step(s))
			return finish(s, -1, err, errlen, "");
		int done = 0;
		for (int i = 1; i <= n; i++)
			done += index && rsim_applied_index(s, i) >= index &&
				(raft_term_at(rsim_raft(s, i), index) == term ||
				 raft_term_at(rsim_raft(s, i), index) == 0);
		if (done == n)
			return finish(s, 0, err, errlen, "");
	}
	return finish(s, -1, err, errlen, "liveness: no write applied everywhere in 800 calm ticks");
}
