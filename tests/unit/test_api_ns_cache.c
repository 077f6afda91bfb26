/* test_api_ns_cache.c: NamespaceLifecycle's table: reads and watch events, newest revision wins, resets. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/ns_cache.h"
#include "tests/lib/check_run.h"

static struct api_nscache nc;

static void setup(void)
{
	api_nscache_init(&nc);
}

static void teardown(void)
{
	api_nscache_close(&nc);
}

#define ACTIVE(name) ck_assert_msg(api_nscache_active(&nc, name), "%s should be active", name)
#define NOT_ACTIVE(name) ck_assert_msg(!api_nscache_active(&nc, name), "%s should not be active", name)

static const char active_obj[] = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}";
static const char terminating_obj[] = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\","
				      "\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"finalizers\":[\"kubernetes\"]}}";

static void event(bool deleted, const char *key, int64_t rev, const char *obj)
{
	api_nscache_on_event(&nc, deleted, key, rev, obj, obj ? strlen(obj) : 0);
}

START_TEST(unknown_is_not_active)
{
	NOT_ACTIVE("default");
}
END_TEST

START_TEST(read_records_state)
{
	ck_assert_int_eq(api_nscache_set(&nc, "a", 5, true), 0);
	ck_assert_int_eq(api_nscache_set(&nc, "b", 6, false), 0);
	ACTIVE("a");
	NOT_ACTIVE("b");
	NOT_ACTIVE("c");
}
END_TEST

START_TEST(events_add_terminate_delete)
{
	event(false, "/registry/namespaces/a", 10, active_obj);
	ACTIVE("a");
	event(false, "/registry/namespaces/a", 11, terminating_obj);
	NOT_ACTIVE("a");
	event(false, "/registry/namespaces/a", 12, active_obj); /* a new namespace of the same name */
	ACTIVE("a");
	event(true, "/registry/namespaces/a", 13, active_obj);
	NOT_ACTIVE("a");
}
END_TEST

START_TEST(late_read_cannot_revive)
{
	/* the watch delivered the delete before an older read answered */
	event(true, "/registry/namespaces/a", 20, NULL);
	ck_assert_int_eq(api_nscache_set(&nc, "a", 15, true), 0);
	NOT_ACTIVE("a");
	/* a later state does replace it */
	ck_assert_int_eq(api_nscache_set(&nc, "a", 21, true), 0);
	ACTIVE("a");
}
END_TEST

START_TEST(unparsable_event_is_not_active)
{
	ck_assert_int_eq(api_nscache_set(&nc, "a", 1, true), 0);
	event(false, "/registry/namespaces/a", 2, "{not json");
	NOT_ACTIVE("a");
}
END_TEST

START_TEST(reset_forgets)
{
	for (int i = 0; i < 100; i++) {
		char name[16];
		snprintf(name, sizeof(name), "ns%d", i);
		ck_assert_int_eq(api_nscache_set(&nc, name, i + 1, true), 0);
	}
	ACTIVE("ns0");
	ACTIVE("ns99");
	api_nscache_on_reset(&nc);
	NOT_ACTIVE("ns0");
	NOT_ACTIVE("ns99");
	ck_assert_int_eq(api_nscache_set(&nc, "ns0", 1, true), 0);
	ACTIVE("ns0");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_ns_cache");
	TCase *tc = tcase_create("ns_cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unknown_is_not_active);
	tcase_add_test(tc, read_records_state);
	tcase_add_test(tc, events_add_terminate_delete);
	tcase_add_test(tc, late_read_cannot_revive);
	tcase_add_test(tc, unparsable_event_is_not_active);
	tcase_add_test(tc, reset_forgets);
	suite_add_tcase(s, tc);
	return check_run(s);
}
