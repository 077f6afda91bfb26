/* test_cm_smpatch.c: strategic merge patch: merge keys, directives, ordering, diffs, kubectl apply's three-way patch. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/smpatch.h"
#include "tests/lib/check_run.h"

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	ck_assert_msg(j != NULL, "bad test JSON: %s", s);
	return j;
}

/* Compares got with the JSON text want, member and element order included. */
static void SAME(const cJSON *got, const char *want)
{
	cJSON *w = J(want);
	char *g = cJSON_PrintUnformatted(got), *ws = cJSON_PrintUnformatted(w);
	ck_assert_str_eq(g, ws);
	free(g), free(ws);
	cJSON_Delete(w);
}

static void APPLY(const char *doc, const char *patch, const char *want)
{
	cJSON *d = J(doc), *p = J(patch), *out = NULL;
	struct cm_buf err = CM_BUF_INIT;
	char *before = cJSON_PrintUnformatted(d);
	int rc = cm_smpatch_apply(d, p, &out, &err);
	ck_assert_msg(rc == 0, "%s: %s", patch, err.data ? err.data : "");
	SAME(out, want);
	char *after = cJSON_PrintUnformatted(d);
	ck_assert_str_eq(before, after);
	free(before), free(after);
	cJSON_Delete(d), cJSON_Delete(p), cJSON_Delete(out);
	cm_buf_close(&err);
}

static void APPLY_ERROR(const char *doc, const char *patch, const char *part)
{
	cJSON *d = J(doc), *p = J(patch), *out = (cJSON *)0x1;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_int_eq(cm_smpatch_apply(d, p, &out, &err), -EINVAL);
	ck_assert_ptr_eq(out, (cJSON *)0x1);
	ck_assert_msg(err.data && strstr(err.data, part), "%s: got '%s'", patch, err.data ? err.data : "");
	cJSON_Delete(d), cJSON_Delete(p);
	cm_buf_close(&err);
}

#define DEPLOY(containers) \
	"{\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":" containers "}}}}"

START_TEST(image_change_keeps_ports)
{
	/* Kubernetes' documented case: patching the image keeps the container's ports */
	APPLY(DEPLOY("[{\"name\":\"web\",\"image\":\"nginx:1\",\"ports\":[{\"containerPort\":80}]}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:2\"}]}}}}",
	      DEPLOY("[{\"name\":\"web\",\"image\":\"nginx:2\",\"ports\":[{\"containerPort\":80}]}]"));
	/* a new container is appended, the others stay */
	APPLY(DEPLOY("[{\"name\":\"a\",\"image\":\"x\"}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"y\"}]}}}}",
	      DEPLOY("[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}]"));
}
END_TEST

START_TEST(merge_keys)
{
	/* container ports by containerPort, env by name, volumeMounts by mountPath */
	APPLY("{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}],"
	      "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],"
	      "\"volumeMounts\":[{\"mountPath\":\"/d\",\"name\":\"v\"}]}]}",
	      "{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":443}],"
	      "\"env\":[{\"name\":\"B\",\"value\":\"3\"}],\"volumeMounts\":[{\"mountPath\":\"/d\",\"readOnly\":true}]}]}",
	      "{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"},{\"containerPort\":443}],"
	      "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"3\"}],"
	      "\"volumeMounts\":[{\"mountPath\":\"/d\",\"name\":\"v\",\"readOnly\":true}]}]}");
	/* service ports by port */
	APPLY("{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080},{\"port\":443}]}}",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090}]}}",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090},{\"port\":443}]}}");
	/* volumes by name; tolerations are replaced */
	APPLY("{\"spec\":{\"volumes\":[{\"name\":\"a\",\"emptyDir\":{}}],\"tolerations\":[{\"key\":\"x\"}]}}",
	      "{\"spec\":{\"volumes\":[{\"name\":\"b\",\"emptyDir\":{}}],\"tolerations\":[{\"key\":\"y\"}]}}",
	      "{\"spec\":{\"volumes\":[{\"name\":\"a\",\"emptyDir\":{}},{\"name\":\"b\",\"emptyDir\":{}}],"
	      "\"tolerations\":[{\"key\":\"y\"}]}}");
	/* an unknown list is replaced; finalizers merge as a set */
	APPLY("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]},\"spec\":{\"args\":[\"1\",\"2\"]}}",
	      "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]},\"spec\":{\"args\":[\"3\"]}}",
	      "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]},\"spec\":{\"args\":[\"3\"]}}");
	/* a merge list the original lacks: taken from the patch */
	APPLY("{\"spec\":{}}", "{\"spec\":{\"containers\":[{\"name\":\"a\",\"x\":null}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
}
END_TEST

START_TEST(null_deletes)
{
	APPLY("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"x\":1}}",
	      "{\"metadata\":{\"labels\":{\"a\":null}},\"spec\":null}", "{\"metadata\":{\"labels\":{\"b\":\"2\"}}}");
	APPLY(DEPLOY("[{\"name\":\"web\",\"image\":\"i\",\"command\":[\"sh\"]}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"command\":null}]}}}}",
	      DEPLOY("[{\"name\":\"web\",\"image\":\"i\"}]"));
}
END_TEST

START_TEST(patch_delete_element)
{
	APPLY(DEPLOY("[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"$patch\":\"delete\"}]}}}}",
	      DEPLOY("[{\"name\":\"b\",\"image\":\"y\"}]"));
	/* deleting an element that is not there is no error */
	APPLY("{\"spec\":{\"volumes\":[{\"name\":\"a\"}]}}", "{\"spec\":{\"volumes\":[{\"name\":\"z\",\"$patch\":\"delete\"}]}}",
	      "{\"spec\":{\"volumes\":[{\"name\":\"a\"}]}}");
}
END_TEST

START_TEST(patch_replace_and_delete_map)
{
	/* $patch: replace in a map */
	APPLY("{\"spec\":{\"selector\":{\"a\":\"1\",\"b\":\"2\"}}}",
	      "{\"spec\":{\"selector\":{\"$patch\":\"replace\",\"c\":\"3\"}}}", "{\"spec\":{\"selector\":{\"c\":\"3\"}}}");
	/* $patch: delete in a map */
	APPLY("{\"spec\":{\"selector\":{\"a\":\"1\"},\"x\":1}}", "{\"spec\":{\"selector\":{\"$patch\":\"delete\"}}}",
	      "{\"spec\":{\"selector\":{},\"x\":1}}");
	/* $patch: replace as a list element: the list becomes the patch's */
	APPLY("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\"}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"$patch\":\"replace\"}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"c\"}]}}");
	/* $patch: merge is the default */
	APPLY("{\"a\":{\"b\":1}}", "{\"a\":{\"$patch\":\"merge\",\"c\":2}}", "{\"a\":{\"b\":1,\"c\":2}}");
}
END_TEST

START_TEST(set_element_order)
{
	/* the patch names the order; every element is in it */
	APPLY("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}}",
	      "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"},{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"a\"},{\"name\":\"b\"}]}}");
	/* kubectl's shape: order plus a changed element, a new one placed by the order */
	APPLY("{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":\"1\"}]}}",
	      "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"n\"},{\"name\":\"b\"}],"
	      "\"containers\":[{\"name\":\"n\",\"image\":\"2\"}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"n\",\"image\":\"2\"},"
	      "{\"name\":\"b\",\"image\":\"1\"}]}}");
	/* a server-only element keeps its place ahead of the ones it preceded */
	APPLY("{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"s\"},{\"name\":\"a\"},{\"name\":\"b\"}]}]}",
	      "{\"containers\":[{\"name\":\"c\",\"$setElementOrder/env\":[{\"name\":\"b\"},{\"name\":\"a\"}]}]}",
	      "{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"s\"},{\"name\":\"b\"},{\"name\":\"a\"}]}]}");
	/* the order of a list that is replaced, not merged, is left alone */
	APPLY("{\"env\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "{\"$setElementOrder/env\":[{\"name\":\"b\"}]}",
	      "{\"env\":[{\"name\":\"a\"},{\"name\":\"b\"}]}");
	/* scalars */
	APPLY("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	      "{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"b\",\"a\"],\"finalizers\":[\"c\"]}}",
	      "{\"metadata\":{\"finalizers\":[\"c\",\"b\",\"a\"]}}");
}
END_TEST

START_TEST(retain_keys_and_primitive_delete)
{
	APPLY("{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	      "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
	      "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	APPLY("{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
	      "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"b\",\"z\"]}}",
	      "{\"metadata\":{\"finalizers\":[\"a\",\"c\"]}}");
}
END_TEST

START_TEST(malformed)
{
	APPLY_ERROR("{}", "[]", "must be a JSON object");
	APPLY_ERROR("{\"a\":{}}", "{\"a\":{\"$patch\":\"frob\"}}", "unknown patch type");
	APPLY_ERROR("{\"a\":{}}", "{\"a\":{\"$patch\":7}}", "must be a string");
	APPLY_ERROR("{\"containers\":[{\"name\":\"a\"}]}", "{\"containers\":[{\"image\":\"x\"}]}",
		    "does not contain declared merge key: name");
	APPLY_ERROR("{\"containers\":[{\"name\":\"a\"}]}", "{\"containers\":[\"x\"]}", "merge key");
	APPLY_ERROR("{\"containers\":[{\"name\":\"a\"}]}", "{\"containers\":[{\"name\":\"a\",\"$patch\":\"x\"}]}",
		    "unknown patch type");
	APPLY_ERROR("{\"s\":{}}", "{\"s\":{\"$retainKeys\":\"type\"}}", "$retainKeys must be a list");
	APPLY_ERROR("{\"s\":{}}", "{\"s\":{\"$retainKeys\":[\"a\"],\"b\":1}}", "not in $retainKeys");
	APPLY_ERROR("{\"s\":{}}", "{\"$setElementOrder/x\":{}}", "must be a list");
	APPLY_ERROR("{\"s\":{}}", "{\"$deleteFromPrimitiveList/x\":1}", "must be a list");
}
END_TEST

/* ---- computing patches ---- */

static void DIFF(const char *o, const char *m, const char *want)
{
	cJSON *a = J(o), *b = J(m), *p = NULL, *round = NULL;
	ck_assert_int_eq(cm_smpatch_diff(a, b, &p, NULL), 0);
	SAME(p, want);
	/* applying the diff to the original gives the modified object */
	ck_assert_int_eq(cm_smpatch_apply(a, p, &round, NULL), 0);
	ck_assert_msg(cJSON_Compare(round, b, 1), "diff does not round-trip: %s", cJSON_PrintUnformatted(round));
	cJSON_Delete(a), cJSON_Delete(b), cJSON_Delete(p), cJSON_Delete(round);
}

START_TEST(two_way)
{
	DIFF("{\"a\":1,\"b\":{\"c\":2}}", "{\"a\":1,\"b\":{\"c\":2}}", "{}");
	DIFF("{\"a\":1,\"b\":2}", "{\"a\":3,\"c\":4}", "{\"a\":3,\"c\":4,\"b\":null}");
	DIFF(DEPLOY("[{\"name\":\"web\",\"image\":\"v1\",\"ports\":[{\"containerPort\":80}]}]"),
	     DEPLOY("[{\"name\":\"web\",\"image\":\"v2\",\"ports\":[{\"containerPort\":80}]}]"),
	     "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"}],"
	     "\"containers\":[{\"image\":\"v2\",\"name\":\"web\"}]}}}}");
	DIFF("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "{\"containers\":[{\"name\":\"b\"}]}",
	     "{\"$setElementOrder/containers\":[{\"name\":\"b\"}],\"containers\":[{\"$patch\":\"delete\",\"name\":\"a\"}]}");
	DIFF("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "{\"containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}",
	     "{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}]}");
	DIFF("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}", "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}",
	     "{\"metadata\":{\"$setElementOrder/finalizers\":[\"b\",\"c\"],\"finalizers\":[\"c\"],"
	     "\"$deleteFromPrimitiveList/finalizers\":[\"a\"]}}");
	DIFF("{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	     "{\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":null,\"$retainKeys\":[\"type\"]}}}");
	/* a volume's source changes: $retainKeys drops the old source even where the server filled it in */
	DIFF("{\"spec\":{\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]}}",
	     "{\"spec\":{\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\"}}]}}",
	     "{\"spec\":{\"$setElementOrder/volumes\":[{\"name\":\"v\"}],\"volumes\":[{\"configMap\":{\"name\":\"c\"},"
	     "\"emptyDir\":null,\"$retainKeys\":[\"configMap\",\"name\"],\"name\":\"v\"}]}}");
	DIFF("{\"args\":[\"1\"],\"x\":true}", "{\"args\":[\"2\"],\"x\":false}", "{\"args\":[\"2\"],\"x\":false}");
	DIFF("{\"x\":{\"a\":1}}", "{\"x\":\"s\"}", "{\"x\":\"s\"}");
}
END_TEST

static void THREE(const char *orig, const char *mod, const char *cur, const char *want_patch, const char *want_result)
{
	cJSON *o = orig ? J(orig) : NULL, *m = J(mod), *c = J(cur), *p = NULL, *res = NULL;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_msg(cm_smpatch_three_way(o, m, c, &p, &err) == 0, "%s", err.data ? err.data : "");
	SAME(p, want_patch);
	ck_assert_int_eq(cm_smpatch_apply(c, p, &res, NULL), 0);
	SAME(res, want_result);
	cJSON_Delete(o), cJSON_Delete(m), cJSON_Delete(c), cJSON_Delete(p), cJSON_Delete(res);
	cm_buf_close(&err);
}

START_TEST(three_way)
{
	/* unchanged manifest: empty patch, even though the server added status and defaults */
	THREE("{\"spec\":{\"replicas\":2}}", "{\"spec\":{\"replicas\":2}}",
	      "{\"spec\":{\"replicas\":2,\"paused\":false},\"status\":{\"replicas\":2}}", "{}",
	      "{\"spec\":{\"replicas\":2,\"paused\":false},\"status\":{\"replicas\":2}}");
	/* a field the user removed from the manifest is deleted; one the server set is kept */
	THREE("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}", "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
	      "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}}", "{\"metadata\":{\"labels\":{\"b\":null}}}",
	      "{\"metadata\":{\"labels\":{\"a\":\"1\",\"c\":\"3\"}}}");
	/* kubectl's image change: $setElementOrder and the changed field, ports and server fields kept */
	THREE(DEPLOY("[{\"name\":\"web\",\"image\":\"v1\",\"ports\":[{\"containerPort\":80}]}]"),
	      DEPLOY("[{\"name\":\"web\",\"image\":\"v2\",\"ports\":[{\"containerPort\":80}]}]"),
	      DEPLOY("[{\"name\":\"web\",\"image\":\"v1\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
		     "\"imagePullPolicy\":\"IfNotPresent\"}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"}],"
	      "\"containers\":[{\"image\":\"v2\",\"name\":\"web\"}]}}}}",
	      DEPLOY("[{\"name\":\"web\",\"image\":\"v2\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
		     "\"imagePullPolicy\":\"IfNotPresent\"}]"));
	/* a container removed from the manifest is deleted; one added by someone else is kept */
	THREE("{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "{\"containers\":[{\"name\":\"a\"}]}",
	      "{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"sidecar\"}]}",
	      "{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{\"$patch\":\"delete\",\"name\":\"b\"}]}",
	      "{\"containers\":[{\"name\":\"a\"},{\"name\":\"sidecar\"}]}");
	/* a deletion and a change inside the same element fold into one entry */
	THREE("{\"containers\":[{\"name\":\"a\",\"command\":[\"x\"],\"image\":\"1\"}]}",
	      "{\"containers\":[{\"name\":\"a\",\"image\":\"2\"}]}",
	      "{\"containers\":[{\"name\":\"a\",\"command\":[\"x\"],\"image\":\"1\"}]}",
	      "{\"$setElementOrder/containers\":[{\"name\":\"a\"}],"
	      "\"containers\":[{\"command\":null,\"name\":\"a\",\"image\":\"2\"}]}",
	      "{\"containers\":[{\"name\":\"a\",\"image\":\"2\"}]}");
	/* no last-applied: nothing is deleted */
	THREE(NULL, "{\"a\":1}", "{\"a\":0,\"b\":2}", "{\"a\":1}", "{\"a\":1,\"b\":2}");
	/* someone else changed a field the manifest sets: the manifest wins */
	THREE("{\"spec\":{\"replicas\":2}}", "{\"spec\":{\"replicas\":2}}", "{\"spec\":{\"replicas\":5}}",
	      "{\"spec\":{\"replicas\":2}}", "{\"spec\":{\"replicas\":2}}");
}
END_TEST

START_TEST(compute_errors)
{
	cJSON *a = J("{\"containers\":[{\"image\":\"x\"}]}"), *b = J("{\"containers\":[{\"name\":\"a\"}]}"), *p = NULL;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_int_eq(cm_smpatch_diff(a, b, &p, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.data, "merge key"));
	cm_buf_reset(&err);
	cJSON *arr = J("[]");
	ck_assert_int_eq(cm_smpatch_three_way(NULL, arr, b, &p, &err), -EINVAL);
	ck_assert_int_eq(cm_smpatch_diff(arr, b, &p, NULL), -EINVAL);
	ck_assert_ptr_null(p);
	cJSON_Delete(a), cJSON_Delete(b), cJSON_Delete(arr);
	cm_buf_close(&err);
}
END_TEST

START_TEST(strategy_table)
{
	const char *k = NULL;
	ck_assert_int_eq(cm_smpatch_strategy("spec", "containers", &k), CM_SM_MERGE_KEY);
	ck_assert_str_eq(k, "name");
	ck_assert_int_eq(cm_smpatch_strategy("containers", "ports", &k), CM_SM_MERGE_KEY);
	ck_assert_str_eq(k, "containerPort");
	ck_assert_int_eq(cm_smpatch_strategy("spec", "ports", &k), CM_SM_MERGE_KEY);
	ck_assert_str_eq(k, "port");
	ck_assert_int_eq(cm_smpatch_strategy("containers", "volumeMounts", &k), CM_SM_MERGE_KEY);
	ck_assert_str_eq(k, "mountPath");
	ck_assert_int_eq(cm_smpatch_strategy("spec", "tolerations", &k), CM_SM_REPLACE);
	ck_assert_int_eq(cm_smpatch_strategy("metadata", "finalizers", NULL), CM_SM_MERGE_SCALARS);
	ck_assert_int_eq(cm_smpatch_strategy(NULL, "ports", NULL), CM_SM_REPLACE);
	ck_assert(cm_smpatch_retain_keys("spec", "strategy"));
	ck_assert(!cm_smpatch_retain_keys("spec", "template"));
}
END_TEST


/* ---- malformed and random inputs never crash ---- */

static unsigned long long rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *const KEYS[] = {"name", "containers", "ports", "containerPort", "$patch", "image",
				   "$setElementOrder/containers", "$retainKeys", "metadata", "finalizers",
				   "$deleteFromPrimitiveList/finalizers", "spec", "strategy", "volumes", "a"};

static cJSON *random_json(int depth)
{
	unsigned k = rnd(depth > 3 ? 5 : 8);
	switch (k) {
	case 0: return cJSON_CreateNull();
	case 1: return cJSON_CreateNumber(rnd(4));
	case 2: {
		static const char *const s[] = {"delete", "replace", "merge", "x", "name", "a"};
		return cJSON_CreateString(s[rnd(6)]);
	}
	case 3: return cJSON_CreateBool(rnd(2));
	case 4: return cJSON_CreateString("v");
	case 5:
	case 6: {
		cJSON *o = cJSON_CreateObject();
		for (unsigned i = rnd(5); i > 0; i--)
			cJSON_AddItemToObject(o, KEYS[rnd(sizeof(KEYS) / sizeof(KEYS[0]))], random_json(depth + 1));
		return o;
	}
	default: {
		cJSON *a = cJSON_CreateArray();
		for (unsigned i = rnd(4); i > 0; i--)
			cJSON_AddItemToArray(a, random_json(depth + 1));
		return a;
	}
	}
}

START_TEST(random_inputs)
{
	rng_state = 88172645463325252ULL;
	for (int i = 0; i < 3000; i++) {
		cJSON *a = random_json(0), *b = random_json(0), *c = random_json(0), *out = NULL;
		struct cm_buf err = CM_BUF_INIT;
		int rc = cm_smpatch_apply(a, b, &out, &err);
		ck_assert(rc == 0 || rc == -EINVAL);
		cJSON_Delete(out);
		out = NULL;
		rc = cm_smpatch_diff(a, b, &out, &err);
		ck_assert(rc == 0 || rc == -EINVAL);
		cJSON_Delete(out);
		out = NULL;
		rc = cm_smpatch_three_way(a, b, c, &out, &err);
		ck_assert(rc == 0 || rc == -EINVAL);
		cJSON_Delete(out);
		cJSON_Delete(a), cJSON_Delete(b), cJSON_Delete(c);
		cm_buf_close(&err);
	}
}
END_TEST


/* A random but well-formed object: merge lists with unique keys, no nulls, no directives. */
static cJSON *random_doc(void)
{
	static const char *const names[] = {"a", "b", "c", "d"};
	static const int ports[] = {80, 443, 8080};
	cJSON *d = cJSON_CreateObject(), *spec = cJSON_AddObjectToObject(d, "spec");
	cJSON *md = cJSON_AddObjectToObject(d, "metadata");
	if (rnd(2))
		cJSON_AddNumberToObject(spec, "replicas", rnd(3));
	cJSON *cs = cJSON_AddArrayToObject(spec, "containers");
	int used = 0;
	for (unsigned i = rnd(5); i > 0; i--) {
		int n = (int)rnd(4);
		if (used & (1 << n))
			continue;
		used |= 1 << n;
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", names[n]);
		if (rnd(3))
			cJSON_AddStringToObject(c, "image", names[rnd(4)]);
		if (rnd(2)) {
			cJSON *ps = cJSON_AddArrayToObject(c, "ports");
			int pu = 0;
			for (unsigned j = rnd(4); j > 0; j--) {
				int k = (int)rnd(3);
				if (pu & (1 << k))
					continue;
				pu |= 1 << k;
				cJSON *p = cJSON_CreateObject();
				cJSON_AddNumberToObject(p, "containerPort", ports[k]);
				if (rnd(2))
					cJSON_AddStringToObject(p, "protocol", rnd(2) ? "TCP" : "UDP");
				cJSON_AddItemToArray(ps, p);
			}
		}
		if (rnd(2)) {
			cJSON *args = cJSON_AddArrayToObject(c, "args");
			for (unsigned j = rnd(3); j > 0; j--)
				cJSON_AddItemToArray(args, cJSON_CreateString(names[rnd(4)]));
		}
		cJSON_AddItemToArray(cs, c);
	}
	if (rnd(2)) {
		cJSON *f = cJSON_AddArrayToObject(md, "finalizers");
		int fu = 0;
		for (unsigned j = rnd(5); j > 0; j--) {
			int k = (int)rnd(4);
			if (!(fu & (1 << k)))
				cJSON_AddItemToArray(f, cJSON_CreateString(names[k]));
			fu |= 1 << k;
		}
	}
	if (rnd(2)) {
		cJSON *l = cJSON_AddObjectToObject(md, "labels");
		for (unsigned j = rnd(4); j > 0; j--)
			if (!cJSON_GetObjectItem(l, names[j - 1]))
				cJSON_AddStringToObject(l, names[j - 1], names[rnd(4)]);
	}
	if (rnd(2)) {
		cJSON *st = cJSON_AddObjectToObject(spec, "strategy");
		cJSON_AddStringToObject(st, "type", rnd(2) ? "Recreate" : "RollingUpdate");
		if (rnd(2))
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(st, "rollingUpdate"), "maxSurge", rnd(3));
	}
	return d;
}

START_TEST(random_round_trips)
{
	rng_state = 0x9E3779B97F4A7C15ULL;
	for (int i = 0; i < 2000; i++) {
		cJSON *a = random_doc(), *b = random_doc(), *p = NULL, *res = NULL;
		ck_assert_int_eq(cm_smpatch_diff(a, b, &p, NULL), 0);
		ck_assert_int_eq(cm_smpatch_apply(a, p, &res, NULL), 0);
		ck_assert_msg(cJSON_Compare(res, b, 1), "two-way: %s + %s = %s, want %s", cJSON_PrintUnformatted(a),
			      cJSON_PrintUnformatted(p), cJSON_PrintUnformatted(res), cJSON_PrintUnformatted(b));
		cJSON_Delete(p), cJSON_Delete(res);
		/* with the live object as last applied, apply's patch also reaches the manifest exactly */
		ck_assert_int_eq(cm_smpatch_three_way(a, b, a, &p, NULL), 0);
		ck_assert_int_eq(cm_smpatch_apply(a, p, &res, NULL), 0);
		ck_assert_msg(cJSON_Compare(res, b, 1), "three-way: %s + %s = %s, want %s", cJSON_PrintUnformatted(a),
			      cJSON_PrintUnformatted(p), cJSON_PrintUnformatted(res), cJSON_PrintUnformatted(b));
		cJSON_Delete(p), cJSON_Delete(res);
		cJSON_Delete(a), cJSON_Delete(b);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cm_smpatch");
	TCase *tc = tcase_create("apply");
	tcase_add_test(tc, image_change_keeps_ports);
	tcase_add_test(tc, merge_keys);
	tcase_add_test(tc, null_deletes);
	tcase_add_test(tc, patch_delete_element);
	tcase_add_test(tc, patch_replace_and_delete_map);
	tcase_add_test(tc, set_element_order);
	tcase_add_test(tc, retain_keys_and_primitive_delete);
	tcase_add_test(tc, malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("compute");
	tcase_add_test(tc, two_way);
	tcase_add_test(tc, three_way);
	tcase_add_test(tc, compute_errors);
	tcase_add_test(tc, strategy_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("robust");
	tcase_add_test(tc, random_inputs);
	tcase_add_test(tc, random_round_trips);
	suite_add_tcase(s, tc);
	return check_run(s);
}
