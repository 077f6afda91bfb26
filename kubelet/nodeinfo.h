/* nodeinfo.h: the Node's status.nodeInfo (OS image, kernel, architecture, machine and boot ids), as Kubernetes' kubelet reports it. */
#ifndef KL_NODEINFO_H
#define KL_NODEINFO_H

#include <cjson/cJSON.h>

#define KL_VERSION "v1.32.0-minik8s"

/* What the machine says about itself; any field may be NULL when it could not be read. */
struct kl_node_facts {
	char *os_release;  /* the text of /etc/os-release (or /usr/lib/os-release) */
	char *machine_id;  /* /etc/machine-id */
	char *boot_id;     /* /proc/sys/kernel/random/boot_id */
	char *system_uuid; /* /sys/class/dmi/id/product_uuid (root only on most machines) */
	char *kernel;      /* uname's release */
	char *machine;     /* uname's machine: x86_64, aarch64, ... */
};

/*
 * The nodeInfo object of facts: osImage is os-release's PRETTY_NAME
 * ("Linux" without one), architecture is the Go name of the machine
 * (amd64, arm64, ...), operatingSystem "linux", containerRuntimeVersion
 * "RUNTIME://VERSION", kubeletVersion and kubeProxyVersion KL_VERSION, ids
 * trimmed of white space. *out is the caller's. Returns 0 or -ENOMEM.
 */
int kl_node_info(const struct kl_node_facts *facts, const char *runtime, const char *runtime_version, cJSON **out);

/*
 * The value of key in os-release text (KEY=value lines, the value bare or
 * quoted with backslash escapes, as os-release(5) says) into a new string
 * the caller frees, or NULL when absent (or out of memory).
 */
char *kl_os_release_value(const char *text, const char *key);

/* Reads this machine's facts into f; what it could not read stays NULL. kl_node_facts_free frees the strings. */
void kl_node_facts_read(struct kl_node_facts *f);
void kl_node_facts_free(struct kl_node_facts *f);

#endif
