/* raft_sim_check.c: the simulator's safety checks: election safety, log matching, leader completeness, state machine safety. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/raft_sim_int.h"

uint64_t rsim_rnd(struct rsim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int rsim_pct(struct rsim *s, int p)
{
	return (int)(rsim_rnd(s) % 100) < p;
}

void rsim_vlog(struct rsim *s, const char *fmt, ...)
{
	if (!s->o.verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "[t=%llu] ", (unsigned long long)s->now);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void rsim_fail(struct rsim *s, const char *fmt, ...)
{
	if (s->failed)
		return;
	s->failed = true;
	va_list ap;
	va_start(ap, fmt);
	int k = snprintf(s->err, sizeof(s->err), "t=%llu: ", (unsigned long long)s->now);
	vsnprintf(s->err + k, sizeof(s->err) - (size_t)k, fmt, ap);
	va_end(ap);
	if (s->o.verbose)
		fprintf(stderr, "VIOLATION: %s\n", s->err);
}

uint64_t rsim_hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

uint64_t rsim_chain_next(uint64_t chain, uint64_t dhash)
{
	return (chain ^ dhash) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
}

struct rsim_truth *rsim_truth_at(struct rsim *s, uint64_t index)
{
	if (index >= s->cap_truth) {
		size_t cap = s->cap_truth ? s->cap_truth : 256;
		while (cap <= index)
			cap *= 2;
		struct rsim_truth *t = realloc(s->truth, cap * sizeof(*t));
		if (!t)
			abort();
		memset(t + s->cap_truth, 0, (cap - s->cap_truth) * sizeof(*t));
		s->truth = t;
		s->cap_truth = cap;
	}
	return &s->truth[index];
}

void rsim_check_role(struct rsim *s, struct rsim_node *nd)
{
	struct raft_status st;
	raft_status(nd->r, &st);
	if (st.role != RAFT_LEADER)
		return;
	if (st.term >= s->cap_leaders) {
		size_t cap = s->cap_leaders ? s->cap_leaders : 64;
		while (cap <= st.term)
			cap *= 2;
		s->leaders = realloc(s->leaders, cap * sizeof(*s->leaders));
		if (!s->leaders)
			abort();
		memset(s->leaders + s->cap_leaders, 0, (cap - s->cap_leaders) * sizeof(uint64_t));
		s->cap_leaders = cap;
	}
	if (s->leaders[st.term] && s->leaders[st.term] != (uint64_t)nd->id)
		rsim_fail(s, "election safety: members %llu and %d both lead term %llu",
		     (unsigned long long)s->leaders[st.term], nd->id,
		     (unsigned long long)st.term);
	s->leaders[st.term] = (uint64_t)nd->id;
}

void rsim_apply_entry(struct rsim *s, struct rsim_node *nd, const struct raft_entry *e)
{
	if (e->index != nd->sm_index + 1) {
		rsim_fail(s, "member %d applied index %llu after %llu", nd->id,
		     (unsigned long long)e->index, (unsigned long long)nd->sm_index);
		return;
	}
	uint64_t dh = rsim_hash_bytes(e->data, e->len);
	nd->sm_chain = rsim_chain_next(nd->sm_chain, dh);
	nd->sm_index = e->index;
	if (e->len)
		nd->sm_count++;
	struct rsim_truth *t = rsim_truth_at(s, e->index);
	if (t->set && (t->term != e->term || t->dhash != dh))
		rsim_fail(s, "state machine safety: member %d applied term %llu at %llu, committed was term %llu",
		     nd->id, (unsigned long long)e->term, (unsigned long long)e->index,
		     (unsigned long long)t->term);
	if (!t->set) {
		t->set = true;
		t->term = e->term;
		t->dhash = dh;
	}
	if (t->chain_set && t->chain != nd->sm_chain)
		rsim_fail(s, "state machine safety: member %d history differs at %llu", nd->id,
		     (unsigned long long)e->index);
	t->chain = nd->sm_chain;
	t->chain_set = true;
	if (e->index > s->max_committed)
		s->max_committed = e->index;
}

void rsim_install_snapshot(struct rsim *s, struct rsim_node *nd, const struct raft_snapshot *sn)
{
	uint64_t v[3];
	if (sn->len != sizeof(v)) {
		rsim_fail(s, "member %d got snapshot of %zu bytes", nd->id, sn->len);
		return;
	}
	memcpy(v, sn->data, sizeof(v));
	if (v[0] != sn->meta.index) {
		rsim_fail(s, "member %d: snapshot data at %llu, meta says %llu", nd->id,
		     (unsigned long long)v[0], (unsigned long long)sn->meta.index);
		return;
	}
	struct rsim_truth *t = rsim_truth_at(s, v[0]);
	if (t->chain_set && t->chain != v[1])
		rsim_fail(s, "member %d: snapshot at %llu differs from applied history", nd->id,
		     (unsigned long long)v[0]);
	nd->sm_index = v[0];
	nd->sm_chain = v[1];
	nd->sm_count = v[2];
}

/* ---- safety checks ---- */

static void check_commits(struct rsim *s, struct rsim_node *nd)
{
	struct raft_status st;
	raft_status(nd->r, &st);
	if (nd->checked_commit < st.snapshot.index)
		nd->checked_commit = st.snapshot.index;
	for (uint64_t i = nd->checked_commit + 1; i <= st.commit; i++) {
		const struct raft_entry *e = raft_log_entry(&nd->r->log, i);
		if (!e)
			continue;
		uint64_t dh = rsim_hash_bytes(e->data, e->len);
		struct rsim_truth *t = rsim_truth_at(s, i);
		if (t->set && (t->term != e->term || t->dhash != dh))
			rsim_fail(s, "member %d committed term %llu at %llu; term %llu was committed there",
			     nd->id, (unsigned long long)e->term, (unsigned long long)i,
			     (unsigned long long)t->term);
		if (!t->set) {
			t->set = true;
			t->term = e->term;
			t->dhash = dh;
		}
		if (i > s->max_committed)
			s->max_committed = i;
	}
	if (st.commit > nd->checked_commit)
		nd->checked_commit = st.commit;
	if (st.commit > st.last_index)
		rsim_fail(s, "member %d: commit %llu beyond last index %llu", nd->id,
		     (unsigned long long)st.commit, (unsigned long long)st.last_index);
}

static void check_leader_completeness(struct rsim *s, struct rsim_node *nd)
{
	struct raft_status st;
	raft_status(nd->r, &st);
	if (st.role != RAFT_LEADER || nd->leader_checked_term == st.term)
		return;
	nd->leader_checked_term = st.term;
	if (st.last_index < s->max_committed) {
		rsim_fail(s, "leader completeness: leader %d of term %llu ends at %llu, %llu was committed",
		     nd->id, (unsigned long long)st.term, (unsigned long long)st.last_index,
		     (unsigned long long)s->max_committed);
		return;
	}
	for (uint64_t i = st.snapshot.index + 1; i <= s->max_committed; i++) {
		const struct raft_entry *e = raft_log_entry(&nd->r->log, i);
		struct rsim_truth *t = rsim_truth_at(s, i);
		if (e && t->set && (e->term != t->term || rsim_hash_bytes(e->data, e->len) != t->dhash))
			rsim_fail(s, "leader completeness: leader %d of term %llu lacks committed entry %llu",
			     nd->id, (unsigned long long)st.term, (unsigned long long)i);
	}
}

static void check_log_matching(struct rsim *s, struct rsim_node *a, struct rsim_node *b)
{
	const struct raft_log *la = &a->r->log, *lb = &b->r->log;
	uint64_t lo = la->snap.index > lb->snap.index ? la->snap.index : lb->snap.index;
	uint64_t la_last = raft_log_last_index(la), lb_last = raft_log_last_index(lb);
	uint64_t hi = la_last < lb_last ? la_last : lb_last;
	/* Find the highest index where the terms agree; everything at and
	 * below it (that both hold) must be identical. */
	uint64_t i = hi;
	while (i > lo && raft_log_term(la, i) != raft_log_term(lb, i))
		i--;
	for (; i > lo; i--) {
		const struct raft_entry *x = raft_log_entry(la, i), *y = raft_log_entry(lb, i);
		if (x->term != y->term || x->len != y->len ||
		    (x->len && memcmp(x->data, y->data, x->len) != 0)) {
			rsim_fail(s, "log matching: members %d and %d differ at %llu", a->id, b->id,
			     (unsigned long long)i);
			return;
		}
	}
}

void rsim_check_all(struct rsim *s)
{
	for (int i = 1; i <= s->o.n; i++)
		if (s->nodes[i].up)
			check_commits(s, &s->nodes[i]);
	for (int i = 1; i <= s->o.n; i++) {
		if (!s->nodes[i].up)
			continue;
		rsim_check_role(s, &s->nodes[i]);
		check_leader_completeness(s, &s->nodes[i]);
		for (int j = i + 1; j <= s->o.n; j++)
			if (s->nodes[j].up)
				check_log_matching(s, &s->nodes[i], &s->nodes[j]);
	}
}
