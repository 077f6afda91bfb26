/* addr.c: parsing, converting, comparing and printing kp_addr values. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "kubeproxy/addr.h"

int kp_addr_parse(const char *ip, int port, struct kp_addr *out)
{
	struct kp_addr a;

	if (!ip || port < 0 || port > 65535)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, ip, a.ip) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a.ip) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	a.port = (uint16_t)port;
	*out = a;
	return 0;
}

int kp_addr_from_sockaddr(const struct sockaddr *sa, struct kp_addr *out)
{
	struct kp_addr a;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a.family = AF_INET;
		a.port = ntohs(in->sin_port);
		memcpy(a.ip, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		a.family = AF_INET6;
		a.port = ntohs(in6->sin6_port);
		memcpy(a.ip, &in6->sin6_addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	*out = a;
	return 0;
}

socklen_t kp_addr_to_sockaddr(const struct kp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		memcpy(&in->sin_addr, a->ip, 4);
		return sizeof(*in);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		memcpy(&in6->sin6_addr, a->ip, 16);
		return sizeof(*in6);
	}
	return 0;
}

bool kp_addr_ip_equal(const struct kp_addr *a, const struct kp_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

bool kp_addr_equal(const struct kp_addr *a, const struct kp_addr *b)
{
	return kp_addr_ip_equal(a, b) && a->port == b->port;
}

bool kp_addr_is_loopback(const struct kp_addr *a)
{
	static const uint8_t v6[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->ip[0] == 127;
	return a->family == AF_INET6 && memcmp(a->ip, v6, sizeof(v6)) == 0;
}

uint32_t kp_addr_hash(const struct kp_addr *a, bool with_port)
{
	/* FNV-1a: tables here are small and keys short; spread matters, speed barely. */
	uint32_t h = 2166136261u;
	size_t n = a->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a->ip[i]) * 16777619u;
	if (with_port) {
		h = (h ^ (a->port & 0xff)) * 16777619u;
		h = (h ^ (a->port >> 8)) * 16777619u;
	}
	return h;
}

int kp_addr_format(const struct kp_addr *a, struct cm_buf *out)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family != AF_INET && a->family != AF_INET6)
		return cm_buf_puts(out, "<none>");
	inet_ntop(a->family, a->ip, ip, sizeof(ip));
	if (!a->port)
		return cm_buf_puts(out, ip);
	if (a->family == AF_INET6)
		return cm_buf_printf(out, "[%s]:%u", ip, a->port);
	return cm_buf_printf(out, "%s:%u", ip, a->port);
}
