/* selection.c: Service selectors over the informers' caches. */
#include "controller/selection.h"

#include <errno.h>
#include <stdlib.h>

#include "common/json.h"
#include "controller/endpoints.h"
#include "controller/manager.h"

struct select_ctx {
	const cJSON *sel;
	struct ctl_selected *s;
};

static int select_pod(const char *key, const void *view, void *ud)
{
	struct select_ctx *x = ud;
	struct ctl_selected *s = x->s;
	const struct cm_pod *p = view;

	(void)key;
	if (!ctl_labels_match_map(x->sel, p->m.labels))
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		const struct cm_pod **np = realloc(s->pods, cap * sizeof(*np));

		if (!np)
			return 1;
		s->pods = np;
		s->cap = cap;
	}
	s->pods[s->n++] = p;
	return 0;
}

int ctl_select_pods(struct ctl_manager *m, const char *ns, const cJSON *selector, struct ctl_selected *s)
{
	struct select_ctx x = {selector, s};

	return cm_informer_index_foreach(m->pods, "ns", ns, select_pod, &x) ? -ENOMEM : 0;
}

struct selecting_ctx {
	struct cm_workqueue *q;
	const struct cm_pod *a, *b;
};

static int queue_if_selecting(const char *key, const void *view, void *ud)
{
	struct selecting_ctx *x = ud;
	const cJSON *sel = cm_json_get(view, "spec.selector");

	if (!cJSON_IsObject(sel) || !sel->child)
		return 0;
	if ((x->a && ctl_labels_match_map(sel, x->a->m.labels)) || (x->b && ctl_labels_match_map(sel, x->b->m.labels)))
		cm_workqueue_add(x->q, key);
	return 0;
}

void ctl_queue_selecting_services(struct ctl_manager *m, struct cm_workqueue *q, const struct cm_pod *a,
				  const struct cm_pod *b)
{
	struct selecting_ctx x = {q, a, b};

	cm_informer_index_foreach(m->svcs, "ns", (b ? b : a)->m.ns, queue_if_selecting, &x);
}
