/* nft_rules.c: service ports to an nft script: DNAT by numgen round robin, resets for stale flows. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "kubeproxy/nft_rules.h"

bool kp_nft_handles(const struct kp_service_port *sp)
{
	if (sp->affinity || !sp->nendpoints)
		return false;
	if (sp->cluster.family && sp->cluster.family != AF_INET)
		return false;
	for (size_t i = 0; i < sp->nendpoints; i++)
		if (sp->endpoints[i].family != AF_INET)
			return false;
	return sp->cluster.family || sp->node_port;
}

static bool valid_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

static int ip(struct cm_buf *out, const struct kp_addr *a)
{
	struct kp_addr x = *a;

	x.port = 0;
	return kp_addr_format(&x, out);
}

/* "dnat to numgen inc mod N map { 0 : ip . port, ... }" */
static int dnat(struct cm_buf *out, const struct kp_service_port *sp)
{
	int rc = cm_buf_printf(out, " dnat to numgen inc mod %zu map { ", sp->nendpoints);

	for (size_t i = 0; rc == 0 && i < sp->nendpoints; i++) {
		rc = cm_buf_printf(out, "%s%zu : ", i ? ", " : "", i);
		rc = rc ? rc : ip(out, &sp->endpoints[i]);
		rc = rc ? rc : cm_buf_printf(out, " . %u", sp->endpoints[i].port);
	}
	return rc ? rc : cm_buf_puts(out, " }\n");
}

static const char *proto(const struct kp_service_port *sp)
{
	return sp->protocol == IPPROTO_UDP ? "udp" : "tcp";
}

/* The DNAT rules of one port, for one nat chain. */
static int nat_rules(struct cm_buf *out, const struct kp_addr *node, const struct kp_service_port *sp)
{
	int rc = 0;

	if (sp->cluster.family) {
		rc = cm_buf_puts(out, "\t\tip daddr ");
		rc = rc ? rc : ip(out, &sp->cluster);
		rc = rc ? rc : cm_buf_printf(out, " %s dport %u", proto(sp), sp->cluster.port);
		rc = rc ? rc : dnat(out, sp);
	}
	if (rc == 0 && sp->node_port) {
		if (node->family == AF_INET) {
			rc = cm_buf_puts(out, "\t\tip daddr ");
			rc = rc ? rc : ip(out, node);
		} else {
			rc = cm_buf_puts(out, "\t\tfib daddr type local");
		}
		rc = rc ? rc : cm_buf_printf(out, " %s dport %u", proto(sp), sp->node_port);
		rc = rc ? rc : dnat(out, sp);
	}
	return rc;
}

/* Resets packets of translated flows of sp whose endpoint is gone. */
static int stale_rule(struct cm_buf *out, const struct kp_service_port *sp, bool node_port)
{
	int rc = cm_buf_printf(out, "\t\tmeta l4proto %s ct direction original ct status dnat ",
			       proto(sp));

	if (node_port)
		rc = rc ? rc : cm_buf_printf(out, "ct original proto-dst %u", sp->node_port);
	else {
		rc = rc ? rc : cm_buf_puts(out, "ct original ip daddr ");
		rc = rc ? rc : ip(out, &sp->cluster);
		rc = rc ? rc : cm_buf_printf(out, " ct original proto-dst %u", sp->cluster.port);
	}
	if (sp->nendpoints) /* with none left, every translated flow of the port is stale */
		rc = rc ? rc : cm_buf_printf(out, " ip daddr . %s dport != {", proto(sp));
	for (size_t i = 0; rc == 0 && i < sp->nendpoints; i++) {
		rc = cm_buf_puts(out, i ? ", " : " ");
		rc = rc ? rc : ip(out, &sp->endpoints[i]);
		rc = rc ? rc : cm_buf_printf(out, " . %u", sp->endpoints[i].port);
	}
	if (rc == 0 && sp->nendpoints)
		rc = cm_buf_puts(out, " }");
	if (rc == 0)
		rc = cm_buf_printf(out, " %s\n",
				   sp->protocol == IPPROTO_TCP ? "reject with tcp reset" : "drop");
	return rc;
}

int kp_nft_render_delete(const char *table, struct cm_buf *out)
{
	if (!valid_name(table))
		return -EINVAL;
	/* Declaring it first makes the delete succeed whether or not it existed. */
	return cm_buf_printf(out, "table ip %s {}\ndelete table ip %s\n", table, table);
}

int kp_nft_render(const char *table, const struct kp_addr *node, const struct kp_service_port *ports,
		  size_t n, struct cm_buf *out)
{
	const char *chains[2][2] = {{"output", "nat_out"}, {"prerouting", "nat_pre"}};
	int rc = kp_nft_render_delete(table, out);

	if (rc)
		return rc;
	rc = cm_buf_printf(out, "table ip %s {\n", table);
	for (int c = 0; rc == 0 && c < 2; c++) {
		rc = cm_buf_printf(out, "\tchain %s {\n\t\ttype nat hook %s priority -100; policy accept;\n",
				   chains[c][1], chains[c][0]);
		for (size_t i = 0; rc == 0 && i < n; i++)
			if (kp_nft_handles(&ports[i]))
				rc = nat_rules(out, node, &ports[i]);
		rc = rc ? rc : cm_buf_puts(out, "\t}\n");
	}
	/* Every IPv4 port without affinity gets its reset rule, also with no endpoint left. */
	for (int c = 0; rc == 0 && c < 2; c++) {
		rc = cm_buf_printf(out, "\tchain %s {\n\t\ttype filter hook %s priority 0; "
					"policy accept;\n", c ? "stale_fwd" : "stale_out",
				   c ? "forward" : "output");
		for (size_t i = 0; rc == 0 && i < n; i++) {
			const struct kp_service_port *sp = &ports[i];
			if (sp->affinity || (sp->cluster.family && sp->cluster.family != AF_INET))
				continue;
			if (rc == 0 && sp->cluster.family)
				rc = stale_rule(out, sp, false);
			if (rc == 0 && sp->node_port)
				rc = stale_rule(out, sp, true);
		}
		rc = rc ? rc : cm_buf_puts(out, "\t}\n");
	}
	return rc ? rc : cm_buf_puts(out, "}\n");
}
