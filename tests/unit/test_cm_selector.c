/* test_cm_selector.c: label selector grammar, LabelSelector objects, matching; field selectors. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/fieldsel.h"
#include "common/selector.h"
#include "tests/lib/check_run.h"

static cJSON *J(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	ck_assert_ptr_nonnull(j);
	return j;
}

/* Parses sel and matches it against labels given as JSON text. */
static bool M(const char *sel, const char *labels)
{
	struct cm_selector *s = NULL;
	struct cm_buf err = CM_BUF_INIT;
	int rc = cm_selector_parse(sel, &s, &err);
	ck_assert_msg(rc == 0, "parse %s: %s", sel, err.data ? err.data : "");
	cJSON *l = labels ? J(labels) : NULL;
	bool m = cm_selector_matches(s, l);
	cJSON_Delete(l);
	cm_selector_free(s);
	cm_buf_close(&err);
	return m;
}

static void PARSE_ERROR(const char *sel, const char *msg_part)
{
	struct cm_selector *s = (struct cm_selector *)0x1;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_int_eq(cm_selector_parse(sel, &s, &err), -EINVAL);
	ck_assert_ptr_eq(s, (struct cm_selector *)0x1);
	ck_assert_msg(err.data && strstr(err.data, msg_part), "%s: got '%s'", sel, err.data ? err.data : "");
	cm_buf_close(&err);
}

static void FORMAT(const char *sel, const char *want)
{
	struct cm_selector *s;
	struct cm_buf out = CM_BUF_INIT;
	ck_assert_int_eq(cm_selector_parse(sel, &s, NULL), 0);
	ck_assert_int_eq(cm_selector_format(s, &out), 0);
	ck_assert_str_eq(out.data ? out.data : "", want);
	cm_buf_close(&out);
	cm_selector_free(s);
}

START_TEST(equality)
{
	ck_assert(M("app=web", "{\"app\":\"web\"}"));
	ck_assert(M("app==web", "{\"app\":\"web\",\"x\":\"y\"}"));
	ck_assert(!M("app=web", "{\"app\":\"db\"}"));
	ck_assert(!M("app=web", "{}"));
	ck_assert(M("app!=web", "{\"app\":\"db\"}"));
	ck_assert(M("app!=web", "{}"));
	ck_assert(!M("app!=web", "{\"app\":\"web\"}"));
	ck_assert(M("app=", "{\"app\":\"\"}"));
	ck_assert(!M("app=", "{}"));
}
END_TEST

START_TEST(set_based)
{
	ck_assert(M("env in (prod, staging)", "{\"env\":\"staging\"}"));
	ck_assert(!M("env in (prod,staging)", "{\"env\":\"dev\"}"));
	ck_assert(!M("env in (prod)", "{}"));
	ck_assert(M("env notin (prod)", "{}"));
	ck_assert(M("env notin (prod)", "{\"env\":\"dev\"}"));
	ck_assert(!M("env notin (prod,dev)", "{\"env\":\"dev\"}"));
	ck_assert(M("canary", "{\"canary\":\"\"}"));
	ck_assert(!M("canary", "{}"));
	ck_assert(M("!canary", "{}"));
	ck_assert(!M("!canary", "{\"canary\":\"x\"}"));
	ck_assert(M("n>5", "{\"n\":\"6\"}"));
	ck_assert(!M("n>5", "{\"n\":\"5\"}"));
	ck_assert(!M("n<5", "{\"n\":\"abc\"}"));
}
END_TEST

START_TEST(and_of_terms)
{
	const char *sel = " app = web , tier!=db,env in(prod),!canary, track ";
	ck_assert(M(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"a\"}"));
	ck_assert(!M(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"a\",\"canary\":\"1\"}"));
	ck_assert(!M(sel, "{\"app\":\"web\",\"env\":\"prod\",\"track\":\"a\",\"tier\":\"db\"}"));
	ck_assert(!M(sel, "{\"app\":\"web\",\"env\":\"prod\"}"));
	ck_assert(M("app.kubernetes.io/name=web", "{\"app.kubernetes.io/name\":\"web\"}"));
}
END_TEST

START_TEST(empty_matches_everything)
{
	struct cm_selector *s;
	ck_assert_int_eq(cm_selector_parse("", &s, NULL), 0);
	ck_assert(cm_selector_empty(s));
	ck_assert(cm_selector_matches(s, NULL));
	cm_selector_free(s);
	ck_assert(M("  ", "{\"a\":\"b\"}"));
	ck_assert(M("", "{}"));
}
END_TEST

START_TEST(bad_syntax)
{
	PARSE_ERROR("app=web,", "identifier");
	PARSE_ERROR(",app", "identifier");
	PARSE_ERROR("env in prod", "'('");
	PARSE_ERROR("env in (prod", "')'");
	PARSE_ERROR("env foo (a)", "expected: in, notin");
	PARSE_ERROR("!", "identifier");
	PARSE_ERROR("app=web x", "','");
	PARSE_ERROR("bad key!=x=y", "");
	PARSE_ERROR("-app=web", "invalid label key");
	PARSE_ERROR("a/b/c=x", "invalid label key");
	PARSE_ERROR("app=bad$value", "invalid label value");
	PARSE_ERROR("n>abc", "integer");
	PARSE_ERROR("=web", "identifier");
}
END_TEST

START_TEST(format_canonical)
{
	FORMAT("tier!=db,app=web", "app=web,tier!=db");
	FORMAT("env in (staging,prod)", "env in (prod,staging)");
	FORMAT("!canary,track,a notin (x)", "a notin (x),!canary,track");
	FORMAT("", "");
}
END_TEST

static struct cm_selector *FROM(const char *json, int want_rc)
{
	struct cm_selector *s = NULL;
	struct cm_buf err = CM_BUF_INIT;
	cJSON *j = json ? J(json) : NULL;
	ck_assert_int_eq(cm_selector_from_json(j, &s, &err), want_rc);
	if (want_rc)
		ck_assert_ptr_nonnull(err.data);
	cJSON_Delete(j);
	cm_buf_close(&err);
	return s;
}

START_TEST(label_selector_object)
{
	struct cm_selector *s = FROM("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
				     "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"qa\"]},"
				     "{\"key\":\"old\",\"operator\":\"DoesNotExist\"},"
				     "{\"key\":\"tier\",\"operator\":\"Exists\"},"
				     "{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
				     0);
	cJSON *l = J("{\"app\":\"web\",\"env\":\"qa\",\"tier\":\"fe\",\"zone\":\"b\"}");
	ck_assert(cm_selector_matches(s, l));
	cJSON_ReplaceItemInObject(l, "zone", cJSON_CreateString("a"));
	ck_assert(!cm_selector_matches(s, l));
	cJSON_Delete(l);
	ck_assert_int_eq(cm_selector_count(s), 5);
	cm_selector_free(s);
}
END_TEST

START_TEST(label_selector_null_and_empty)
{
	struct cm_selector *s = FROM(NULL, 0);
	cJSON *l = J("{}");
	ck_assert(!cm_selector_matches(s, l));
	ck_assert(!cm_selector_empty(s));
	cm_selector_free(s);
	s = FROM("null", 0);
	ck_assert(!cm_selector_matches(s, l));
	cm_selector_free(s);
	s = FROM("{}", 0);
	ck_assert(cm_selector_matches(s, l));
	ck_assert(cm_selector_empty(s));
	cm_selector_free(s);
	cJSON_Delete(l);
}
END_TEST

START_TEST(label_selector_malformed)
{
	FROM("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}", -EINVAL);
	FROM("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}", -EINVAL);
	FROM("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Like\",\"values\":[\"x\"]}]}", -EINVAL);
	FROM("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[1]}]}", -EINVAL);
	FROM("{\"matchExpressions\":[42]}", -EINVAL);
	FROM("{\"matchExpressions\":{}}", -EINVAL);
	FROM("{\"matchLabels\":{\"a\":1}}", -EINVAL);
	FROM("{\"matchLabels\":{\"a b\":\"x\"}}", -EINVAL);
	FROM("[]", -EINVAL);
}
END_TEST

/* ---- field selectors ---- */

static bool FM(const char *sel, const char *obj)
{
	struct cm_fieldsel *s;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_msg(cm_fieldsel_parse(sel, &s, &err) == 0, "%s", err.data ? err.data : "");
	ck_assert_int_eq(cm_fieldsel_check(s, NULL), 0);
	cJSON *o = J(obj);
	bool m = cm_fieldsel_matches(s, o);
	cJSON_Delete(o);
	cm_fieldsel_free(s);
	cm_buf_close(&err);
	return m;
}

static const char *POD = "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"},"
			 "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true},\"status\":{\"phase\":\"Running\"}}";

START_TEST(field_match)
{
	ck_assert(FM("metadata.name=web-1", POD));
	ck_assert(FM("metadata.name==web-1,metadata.namespace=default", POD));
	ck_assert(!FM("metadata.name=web-2", POD));
	ck_assert(FM("spec.nodeName!=n2,status.phase=Running", POD));
	ck_assert(!FM("spec.nodeName!=n1", POD));
	ck_assert(FM("spec.hostNetwork=true", POD));
	ck_assert(FM("", POD));
	/* a missing field reads as "": unscheduled pods have spec.nodeName="" */
	ck_assert(FM("spec.nodeName=", "{\"spec\":{}}"));
	ck_assert(FM("spec.nodeName!=", POD));
	ck_assert(FM("spec.unschedulable=false", "{\"spec\":{}}"));
	ck_assert(FM("involvedObject.name=x,involvedObject.namespace=ns,involvedObject.uid=u1,"
		     "involvedObject.kind=Pod,type=Normal,source=kubelet",
		     "{\"involvedObject\":{\"name\":\"x\",\"namespace\":\"ns\",\"uid\":\"u1\",\"kind\":\"Pod\"},"
		     "\"type\":\"Normal\",\"source\":{\"component\":\"kubelet\"}}"));
}
END_TEST

START_TEST(field_escapes)
{
	ck_assert(FM("metadata.name=a\\,b", "{\"metadata\":{\"name\":\"a,b\"}}"));
	ck_assert(FM("metadata.name=a\\=b\\\\", "{\"metadata\":{\"name\":\"a=b\\\\\"}}"));
}
END_TEST

static void FIELD_ERROR(const char *sel, const char *part)
{
	struct cm_fieldsel *s = NULL;
	struct cm_buf err = CM_BUF_INIT;
	int rc = cm_fieldsel_parse(sel, &s, &err);
	if (rc == 0) {
		rc = cm_fieldsel_check(s, &err);
		cm_fieldsel_free(s);
	}
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_msg(err.data && strstr(err.data, part), "%s: '%s'", sel, err.data ? err.data : "");
	cm_buf_close(&err);
}

START_TEST(field_errors)
{
	FIELD_ERROR("foo=bar", "field label not supported: foo");
	FIELD_ERROR("metadata.name=a,spec.bogus=1", "field label not supported: spec.bogus");
	FIELD_ERROR("metadata.name", "can't understand 'metadata.name'");
	FIELD_ERROR("=x", "can't understand");
	FIELD_ERROR("metadata.name=a=b", "unescaped '='");
	FIELD_ERROR("metadata.name=a\\x", "invalid escape");
}
END_TEST

START_TEST(field_required)
{
	struct cm_fieldsel *s;
	ck_assert_int_eq(cm_fieldsel_parse("spec.nodeName=n1,metadata.name!=x", &s, NULL), 0);
	ck_assert_str_eq(cm_fieldsel_required(s, "spec.nodeName"), "n1");
	ck_assert_ptr_null(cm_fieldsel_required(s, "metadata.name"));
	ck_assert(!cm_fieldsel_empty(s));
	cm_fieldsel_free(s);
	const char *v;
	ck_assert_int_eq(cm_field_get(NULL, "nope", &v), -EINVAL);
}
END_TEST


START_TEST(field_allowed)
{
	static const char *const pod_fields[] = {"spec.nodeName", "status.phase", NULL};
	struct cm_fieldsel *s;
	struct cm_buf err = CM_BUF_INIT;
	ck_assert_int_eq(cm_fieldsel_parse("metadata.name=a,spec.nodeName=n", &s, NULL), 0);
	ck_assert_int_eq(cm_fieldsel_check_allowed(s, pod_fields, &err), 0);
	ck_assert_int_eq(cm_fieldsel_check_allowed(s, NULL, &err), -EINVAL);
	ck_assert_str_eq(err.data, "field label not supported: spec.nodeName");
	cm_fieldsel_free(s);
	cm_buf_close(&err);
}
END_TEST

static unsigned long long rng_state = 0x2545F4914F6CDD1DULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

START_TEST(random_strings)
{
	static const char *const pieces[] = {"a", "b", "=", "==", "!=", "!", "in", "notin", "(", ")", ",", " ",
					     "x/y", ".", "-", "_", "<", ">", "5", "\\", "\\,", "metadata.name", ""};
	cJSON *labels = J("{\"a\":\"b\",\"x/y\":\"5\"}");
	for (int i = 0; i < 20000; i++) {
		struct cm_buf in = CM_BUF_INIT, err = CM_BUF_INIT, out = CM_BUF_INIT;
		for (unsigned k = rnd(10); k > 0; k--)
			cm_buf_puts(&in, pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
		const char *str = in.data ? in.data : "";
		struct cm_selector *s = NULL;
		int rc = cm_selector_parse(str, &s, &err);
		ck_assert(rc == 0 || rc == -EINVAL);
		if (rc == 0) {
			cm_selector_matches(s, labels);
			ck_assert_int_eq(cm_selector_format(s, &out), 0);
			/* the canonical form parses back to a selector that prints the same */
			struct cm_selector *again = NULL;
			struct cm_buf out2 = CM_BUF_INIT;
			ck_assert_msg(cm_selector_parse(out.data ? out.data : "", &again, NULL) == 0, "%s -> %s", str, out.data);
			cm_selector_format(again, &out2);
			ck_assert_str_eq(out.data ? out.data : "", out2.data ? out2.data : "");
			cm_selector_free(again);
			cm_buf_close(&out2);
		} else {
			ck_assert_ptr_nonnull(err.data);
		}
		cm_selector_free(s);
		struct cm_fieldsel *f = NULL;
		rc = cm_fieldsel_parse(str, &f, NULL);
		ck_assert(rc == 0 || rc == -EINVAL);
		if (!rc) {
			cm_fieldsel_check(f, NULL);
			cm_fieldsel_matches(f, labels);
		}
		cm_fieldsel_free(f);
		cm_buf_close(&in), cm_buf_close(&err), cm_buf_close(&out);
	}
	cJSON_Delete(labels);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cm_selector");
	TCase *tc = tcase_create("labels");
	tcase_add_test(tc, equality);
	tcase_add_test(tc, set_based);
	tcase_add_test(tc, and_of_terms);
	tcase_add_test(tc, empty_matches_everything);
	tcase_add_test(tc, bad_syntax);
	tcase_add_test(tc, format_canonical);
	tcase_add_test(tc, label_selector_object);
	tcase_add_test(tc, label_selector_null_and_empty);
	tcase_add_test(tc, label_selector_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("fields");
	tcase_add_test(tc, field_match);
	tcase_add_test(tc, field_escapes);
	tcase_add_test(tc, field_errors);
	tcase_add_test(tc, field_required);
	tcase_add_test(tc, field_allowed);
	suite_add_tcase(s, tc);
	tc = tcase_create("robust");
	tcase_add_test(tc, random_strings);
	suite_add_tcase(s, tc);
	return check_run(s);
}
