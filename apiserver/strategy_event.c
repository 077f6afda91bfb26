/* strategy_event.c: events: kubectl's columns (LAST SEEN, TYPE, REASON, OBJECT, MESSAGE). */
#include "apiserver/strategy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

/* The age of the event's last occurrence: lastTimestamp, else eventTime, else creation. */
static void last_seen(const cJSON *obj, int64_t now_ms, char *out, size_t n)
{
	const char *ts = cm_json_get_str(obj, "lastTimestamp");
	cJSON *fake;

	if (!ts)
		ts = cm_json_get_str(obj, "eventTime");
	if (!ts) {
		api_table_age(now_ms, obj, out, n);
		return;
	}
	fake = cJSON_CreateObject();
	if (!fake || cm_json_set_str(fake, "metadata.creationTimestamp", ts) < 0) {
		snprintf(out, n, "<unknown>");
	} else {
		api_table_age(now_ms, fake, out, n);
	}
	cJSON_Delete(fake);
}

static int cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	char seen[32], object[320];
	const char *kind = cm_json_str_or(obj, "involvedObject.kind", "");
	size_t i;
	int rc;

	last_seen(obj, now_ms, seen, sizeof(seen));
	snprintf(object, sizeof(object), "%s/%s", kind, cm_json_str_or(obj, "involvedObject.name", ""));
	for (i = 0; object[i] && object[i] != '/'; i++)
		object[i] = (char)tolower((unsigned char)object[i]);
	rc = api_table_add_str(out, seen);
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "type", ""));
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "reason", ""));
	if (!rc)
		rc = api_table_add_str(out, object);
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "message", ""));
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "source.component", ""));
	if (!rc)
		rc = api_table_add_int(out, cm_json_int64_or(obj, "count", 1));
	if (!rc)
		rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	return rc;
}

#define COL(n, t, p) "{\"name\":\"" n "\",\"type\":\"" t "\",\"format\":\"\",\"description\":\"\",\"priority\":" #p "}"

const struct api_strategy api_strategy_event = {
	.columns = "[" COL("Last Seen", "string", 0) "," COL("Type", "string", 0) "," COL("Reason", "string", 0) ","
		   COL("Object", "string", 0) "," COL("Message", "string", 0) "," COL("Source", "string", 1) ","
		   COL("Count", "integer", 1) ","
		   "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"description\":\"\",\"priority\":1}]",
	.cells = cells,
};
