/* nodeinfo.c: the Node's status.nodeInfo from os-release, uname and the machine's ids. */
#include "kubelet/nodeinfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/buf.h"

#define SMALL_FILE_MAX 65536

char *kl_os_release_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *v;
		struct cm_buf b = CM_BUF_INIT;
		char quote = 0;

		if (!end)
			end = line + strlen(line);
		if (strncmp(line, key, klen) || line[klen] != '=') {
			line = *end ? end + 1 : end;
			continue;
		}
		v = line + klen + 1;
		if (v < end && (*v == '"' || *v == '\''))
			quote = *v++;
		for (; v < end && *v != quote; v++) {
			/* inside double quotes a backslash keeps the next of $ " \ ` as it is, as the shell does */
			if (*v == '\\' && quote != '\'' && v + 1 < end && strchr("$\"\\`", v[1]))
				v++;
			if (cm_buf_putc(&b, *v) < 0) {
				cm_buf_close(&b);
				return NULL;
			}
		}
		if (!b.data) /* an empty value */
			return strdup("");
		return cm_buf_take(&b);
	}
	return NULL;
}

/* The Go name of uname's machine, as runtime.GOARCH says it. */
static const char *go_arch(const char *machine)
{
	static const char *const names[][2] = {
		{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"armv6l", "arm"},
		{"i686", "386"},     {"i386", "386"},      {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
		{"riscv64", "riscv64"},
	};

	for (size_t i = 0; machine && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(machine, names[i][0]))
			return names[i][1];
	return machine ? machine : "";
}

/* s without leading and trailing white space, as a new string; "" for NULL. */
static char *trimmed(const char *s)
{
	size_t n;
	char *out;

	if (!s)
		s = "";
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	out = malloc(n + 1);
	if (out) {
		memcpy(out, s, n);
		out[n] = 0;
	}
	return out;
}

static int add_trimmed(cJSON *o, const char *name, const char *value)
{
	char *t = trimmed(value);
	int rc = t && cJSON_AddStringToObject(o, name, t) ? 0 : -ENOMEM;

	free(t);
	return rc;
}

int kl_node_info(const struct kl_node_facts *facts, const char *runtime, const char *runtime_version, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	char *image = facts->os_release ? kl_os_release_value(facts->os_release, "PRETTY_NAME") : NULL;
	struct cm_buf rt = CM_BUF_INIT;
	int rc = o ? 0 : -ENOMEM;

	if (!rc)
		rc = cm_buf_printf(&rt, "%s://%s", runtime, runtime_version);
	if (!rc)
		rc = add_trimmed(o, "machineID", facts->machine_id);
	if (!rc)
		rc = add_trimmed(o, "systemUUID", facts->system_uuid);
	if (!rc)
		rc = add_trimmed(o, "bootID", facts->boot_id);
	if (!rc)
		rc = add_trimmed(o, "kernelVersion", facts->kernel);
	if (!rc)
		rc = add_trimmed(o, "osImage", image && *image ? image : "Linux");
	if (!rc)
		rc = add_trimmed(o, "containerRuntimeVersion", rt.data);
	if (!rc)
		rc = add_trimmed(o, "kubeletVersion", KL_VERSION);
	if (!rc)
		rc = add_trimmed(o, "kubeProxyVersion", KL_VERSION);
	if (!rc)
		rc = add_trimmed(o, "operatingSystem", "linux");
	if (!rc)
		rc = add_trimmed(o, "architecture", go_arch(facts->machine));
	free(image);
	cm_buf_close(&rt);
	if (rc) {
		cJSON_Delete(o);
		return rc;
	}
	*out = o;
	return 0;
}

/* A small file's text, or NULL (missing, unreadable, out of memory). */
static char *read_small(const char *path)
{
	FILE *f = fopen(path, "re");
	struct cm_buf b = CM_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f)
		return NULL;
	while (b.len < SMALL_FILE_MAX && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (cm_buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	if (!b.data)
		return strdup("");
	return cm_buf_take(&b);
}

void kl_node_facts_read(struct kl_node_facts *f)
{
	struct utsname u;

	memset(f, 0, sizeof(*f));
	f->os_release = read_small("/etc/os-release");
	if (!f->os_release)
		f->os_release = read_small("/usr/lib/os-release");
	f->machine_id = read_small("/etc/machine-id");
	if (!f->machine_id)
		f->machine_id = read_small("/var/lib/dbus/machine-id");
	f->boot_id = read_small("/proc/sys/kernel/random/boot_id");
	f->system_uuid = read_small("/sys/class/dmi/id/product_uuid");
	if (uname(&u) == 0) {
		f->kernel = strdup(u.release);
		f->machine = strdup(u.machine);
	}
}

void kl_node_facts_free(struct kl_node_facts *f)
{
	free(f->os_release);
	free(f->machine_id);
	free(f->boot_id);
	free(f->system_uuid);
	free(f->kernel);
	free(f->machine);
	memset(f, 0, sizeof(*f));
}
