/* podres.c: a pod's requests and limits of one resource, as kubectl's resource helpers total them. */
#include "ctl/podres.h"

#include <errno.h>
#include <string.h>

#include "common/json.h"

int mc_qty_parse(const char *s, struct mc_qty *out)
{
	int64_t m;
	int rc = s ? cm_quantity_parse_milli(s, &m) : -EINVAL;

	if (rc < 0)
		return rc;
	out->milli = m;
	/* the binary suffixes all end in "i"; Kubernetes keeps the format a quantity was written in */
	out->fmt = *s && s[strlen(s) - 1] == 'i' ? CM_QFMT_BINARY : CM_QFMT_DECIMAL;
	out->set = true;
	return 0;
}

void mc_qty_add(struct mc_qty *sum, const struct mc_qty *q)
{
	if (!q->set)
		return;
	if (!sum->set)
		*sum = *q;
	else
		sum->milli += q->milli;
}

/* m = q when q is larger (or m unset), as maxResourceList. */
static void qty_max(struct mc_qty *m, const struct mc_qty *q)
{
	if (q->set && (!m->set || q->milli > m->milli))
		*m = *q;
}

int64_t mc_qty_value(const struct mc_qty *q)
{
	if (!q->set)
		return 0;
	return q->milli >= 0 ? (q->milli + 999) / 1000 : q->milli / 1000;
}

int mc_qty_format(const struct mc_qty *q, struct cm_buf *out)
{
	if (!q->set || q->milli == 0)
		return cm_buf_puts(out, "0");
	return cm_quantity_format_milli(q->milli, q->fmt, out);
}

static struct mc_qty container_amount(const cJSON *ctr, const char *which, const char *name)
{
	struct mc_qty q = {0};
	const cJSON *list = cm_json_get(cm_json_get(ctr, "resources"), which);

	/* not cm_json_get: resource names hold dots ("example.com/gpu") */
	mc_qty_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(list, name)), &q);
	return q;
}

struct mc_qty mc_pod_resource(const cJSON *pod, const char *which, const char *name)
{
	struct mc_qty total = {0}, sidecars = {0}, init_max = {0}, overhead = {0};
	const cJSON *ctr;

	cJSON_ArrayForEach(ctr, cm_json_get(pod, "spec.containers")) {
		struct mc_qty q = container_amount(ctr, which, name);

		mc_qty_add(&total, &q);
	}
	cJSON_ArrayForEach(ctr, cm_json_get(pod, "spec.initContainers")) {
		struct mc_qty q = container_amount(ctr, which, name), run = {0};

		if (!strcmp(cm_json_str_or(ctr, "restartPolicy", ""), "Always")) {
			/* a sidecar runs beside the containers and every later init container */
			mc_qty_add(&total, &q);
			mc_qty_add(&sidecars, &q);
			run = sidecars;
		} else {
			mc_qty_add(&run, &q);
			mc_qty_add(&run, &sidecars);
		}
		qty_max(&init_max, &run);
	}
	qty_max(&total, &init_max);
	if (!mc_qty_parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cm_json_get(pod, "spec.overhead"), name)),
			  &overhead) &&
	    (strcmp(which, "limits") || total.set))
		mc_qty_add(&total, &overhead);
	return total;
}
