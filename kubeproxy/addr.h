/* addr.h: IP endpoint addresses as small comparable values (family, ip bytes, port). */
#ifndef KP_ADDR_H
#define KP_ADDR_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"

/*
 * A value type: copied by assignment, compared with kp_addr_equal. family is
 * AF_INET (ip[0..4) used, rest zero) or AF_INET6; 0 means "no address".
 * Keeping it zero-padded lets equality and hashing look at every byte.
 */
struct kp_addr {
	uint8_t family;
	uint16_t port;
	uint8_t ip[16];
};

/*
 * Parses a dotted IPv4 or an IPv6 literal with port into *out. Returns 0 or
 * -EINVAL (not an IP literal, or port outside 0..65535); *out unchanged then.
 */
int kp_addr_parse(const char *ip, int port, struct kp_addr *out);
/* Reads a sockaddr_in/in6. Returns 0 or -EAFNOSUPPORT. */
int kp_addr_from_sockaddr(const struct sockaddr *sa, struct kp_addr *out);
/* Writes the sockaddr for a; returns its length (0 if a has no family). */
socklen_t kp_addr_to_sockaddr(const struct kp_addr *a, struct sockaddr_storage *ss);
bool kp_addr_equal(const struct kp_addr *a, const struct kp_addr *b);
/* Same family and IP, whatever the ports. */
bool kp_addr_ip_equal(const struct kp_addr *a, const struct kp_addr *b);
/*
 * Whether a is a loopback address (IPv4 127.0.0.0/8, IPv6 ::1): local on every
 * Linux host without being added to an interface, so a proxy can bind it as it is.
 */
bool kp_addr_is_loopback(const struct kp_addr *a);
/* A hash of the IP only (with_port false) or of IP and port. */
uint32_t kp_addr_hash(const struct kp_addr *a, bool with_port);
/* Appends "1.2.3.4:80" or "[::1]:80" (or just the IP when port is 0). Returns 0 or -ENOMEM. */
int kp_addr_format(const struct kp_addr *a, struct cm_buf *out);
#endif
