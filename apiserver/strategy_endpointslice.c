/* strategy_endpointslice.c: discovery.k8s.io/v1 EndpointSlices: port defaults, Kubernetes' validation, table columns. */
#include "apiserver/strategy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/object.h"
#include "apiserver/resources.h"
#include "apiserver/table.h"
#include "common/json.h"

#define MAX_ENDPOINTS 1000
#define MAX_ADDRESSES 100
#define MAX_PORTS 100

/* A port's name is "" and its protocol TCP when not given (SetDefaults_EndpointPort). */
static int prepare(cJSON *obj)
{
	cJSON *p;
	int rc = 0;

	cJSON_ArrayForEach(p, cm_json_get(obj, "ports")) {
		if (!cJSON_IsObject(p))
			continue;
		if (!rc && (!cJSON_GetObjectItemCaseSensitive(p, "name") || cJSON_IsNull(cm_json_get(p, "name")))) {
			cJSON_DeleteItemFromObjectCaseSensitive(p, "name");
			rc = cm_json_set_str(p, "name", "");
		}
		if (!rc && cJSON_IsNull(cm_json_get(p, "protocol")))
			cJSON_DeleteItemFromObjectCaseSensitive(p, "protocol");
		if (!rc)
			rc = api_default_str(p, "protocol", "TCP");
	}
	return rc;
}

static int prepare_create(cJSON *obj, const struct api_strategy_env *env)
{
	(void)env;
	return prepare(obj);
}

static int prepare_update(cJSON *obj, const cJSON *old)
{
	(void)old;
	return prepare(obj);
}

/*
 * An address of the slice's type. Kubernetes also refuses special IPs; here
 * loopback is allowed, because pods of the process runtime without network
 * namespaces have their node's loopback address.
 */
static void validate_address(const char *type, const char *a, const char *field, struct api_ferrs *errs)
{
	unsigned char ip[16];

	if (!strcmp(type, "IPv4")) {
		if (inet_pton(AF_INET, a, ip) != 1)
			api_ferr_invalid(errs, field, a, "must be a valid IPv4 address");
		else if (!ip[0] && !ip[1] && !ip[2] && !ip[3])
			api_ferr_invalid(errs, field, a, "may not be unspecified (0.0.0.0)");
		else if (ip[0] == 169 && ip[1] == 254)
			api_ferr_invalid(errs, field, a, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
		else if (ip[0] == 224 && !ip[1] && !ip[2])
			api_ferr_invalid(errs, field, a,
					 "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
	} else if (!strcmp(type, "IPv6")) {
		if (!strchr(a, ':') || inet_pton(AF_INET6, a, ip) != 1)
			api_ferr_invalid(errs, field, a, "must be a valid IPv6 address");
		else if (!memcmp(ip, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16))
			api_ferr_invalid(errs, field, a, "may not be unspecified (::)");
		else if (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80)
			api_ferr_invalid(errs, field, a, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
	} else if (!strcmp(type, "FQDN") && (!strchr(a, '.') || !api_name_ok(a, API_NAME_DNS1123_SUBDOMAIN))) {
		api_ferr_invalid(errs, field, a, "should be a domain with at least two segments separated by dots");
	}
}

static void validate_endpoints(const cJSON *obj, const char *type, struct api_ferrs *errs)
{
	const cJSON *eps = cm_json_get(obj, "endpoints"), *e, *a;
	char field[96];
	int i = 0;

	if (cJSON_GetArraySize(eps) > MAX_ENDPOINTS) {
		api_ferr_too_many(errs, "endpoints", cJSON_GetArraySize(eps), MAX_ENDPOINTS);
		return;
	}
	cJSON_ArrayForEach(e, eps) {
		const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(e, "addresses"), *list;
		const char *host = cm_json_get_str(e, "hostname"), *node = cm_json_get_str(e, "nodeName");
		int n = cJSON_GetArraySize(addrs), k = 0;

		snprintf(field, sizeof(field), "endpoints[%d].addresses", i);
		if (!cJSON_IsArray(addrs) || n == 0)
			api_ferr_required(errs, field, "must contain at least 1 address");
		else if (n > MAX_ADDRESSES)
			api_ferr_too_many(errs, field, n, MAX_ADDRESSES);
		list = cJSON_IsArray(addrs) ? addrs : NULL;
		cJSON_ArrayForEach(a, list) {
			snprintf(field, sizeof(field), "endpoints[%d].addresses[%d]", i, k++);
			validate_address(type, cJSON_IsString(a) ? a->valuestring : "", field, errs);
		}
		if (host) {
			snprintf(field, sizeof(field), "endpoints[%d].hostname", i);
			api_validate_name(errs, field, host, API_NAME_DNS1123_LABEL, false);
		}
		if (node) {
			snprintf(field, sizeof(field), "endpoints[%d].nodeName", i);
			api_validate_name(errs, field, node, API_NAME_DNS1123_SUBDOMAIN, false);
		}
		i++;
	}
}

static void validate_ports(const cJSON *obj, struct api_ferrs *errs)
{
	static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
	const cJSON *ports = cm_json_get(obj, "ports"), *p, *q;
	char field[64];
	int i = 0;

	if (cJSON_GetArraySize(ports) > MAX_PORTS) {
		api_ferr_too_many(errs, "ports", cJSON_GetArraySize(ports), MAX_PORTS);
		return;
	}
	cJSON_ArrayForEach(p, ports) {
		const char *name = cm_json_str_or(p, "name", ""), *proto = cm_json_get_str(p, "protocol");

		snprintf(field, sizeof(field), "ports[%d].name", i);
		if (*name)
			api_validate_name(errs, field, name, API_NAME_DNS1123_LABEL, false);
		for (q = ports->child; q != p; q = q->next)
			if (!strcmp(cm_json_str_or(q, "name", ""), name)) {
				api_ferr_duplicate(errs, field, name);
				break;
			}
		snprintf(field, sizeof(field), "ports[%d].protocol", i);
		if (!proto)
			api_ferr_required(errs, field, NULL);
		else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP"))
			api_ferr_not_supported(errs, field, proto, protocols);
		i++;
	}
}

static void validate(const cJSON *obj, const cJSON *old, struct api_ferrs *errs)
{
	static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
	const char *type = cm_json_get_str(obj, "addressType");

	if (!type || !*type)
		api_ferr_required(errs, "addressType", NULL);
	else if (strcmp(type, "IPv4") && strcmp(type, "IPv6") && strcmp(type, "FQDN") &&
		 !(old && !strcmp(type, "IP"))) /* the deprecated "IP" only where it is already stored */
		api_ferr_not_supported(errs, "addressType", type, types);
	if (old && type && strcmp(type, cm_json_str_or(old, "addressType", "")))
		api_ferr_invalid(errs, "addressType", type, "field is immutable");
	validate_endpoints(obj, type ? type : "", errs);
	validate_ports(obj, errs);
}

/* "a,b,c + 2 more..." as kubectl's listWithMoreString; "<unset>" when empty. */
static int add_list_cell(cJSON *out, struct cm_buf *b, int count)
{
	if (count > 3)
		cm_buf_printf(b, " + %d more...", count - 3);
	return api_table_add_str(out, count ? (b->data ? b->data : "") : "<unset>");
}

static int cells(const cJSON *obj, cJSON *out, int64_t now_ms)
{
	struct cm_buf ports = CM_BUF_INIT, addrs = CM_BUF_INIT;
	const cJSON *p, *e, *a;
	int np = 0, na = 0, rc;

	cJSON_ArrayForEach(p, cm_json_get(obj, "ports")) {
		const cJSON *port = cJSON_GetObjectItemCaseSensitive(p, "port");

		if (np++ >= 3)
			continue;
		if (cJSON_IsNumber(port))
			cm_buf_printf(&ports, "%s%d", ports.len ? "," : "", port->valueint);
		else
			cm_buf_printf(&ports, "%s%s", ports.len ? "," : "",
				      cm_json_get_str(p, "name") ? cm_json_get_str(p, "name") : "*");
	}
	cJSON_ArrayForEach(e, cm_json_get(obj, "endpoints")) {
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(e, "addresses")) {
			if (na++ < 3)
				cm_buf_printf(&addrs, "%s%s", addrs.len ? "," : "", cJSON_IsString(a) ? a->valuestring : "");
		}
	}
	rc = api_table_add_str(out, api_obj_meta_str(obj, "name"));
	if (!rc)
		rc = api_table_add_str(out, cm_json_str_or(obj, "addressType", ""));
	if (!rc)
		rc = add_list_cell(out, &ports, np);
	if (!rc)
		rc = add_list_cell(out, &addrs, na);
	if (!rc)
		rc = api_table_add_age(out, obj, now_ms);
	cm_buf_close(&ports);
	cm_buf_close(&addrs);
	return rc;
}

#define COL(n, f) "{\"name\":\"" n "\",\"type\":\"string\",\"format\":\"" f "\",\"description\":\"\",\"priority\":0}"

const struct api_strategy api_strategy_endpointslice = {
	.prepare_create = prepare_create,
	.prepare_update = prepare_update,
	.validate = validate,
	.columns = "[" COL("Name", "name") "," COL("AddressType", "") "," COL("Ports", "") "," COL("Endpoints", "") ","
		   COL("Age", "") "]",
	.cells = cells,
};
