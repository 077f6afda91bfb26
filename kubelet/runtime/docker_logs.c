/* docker_logs.c: Docker's multiplexed log stream to CRI log records. */
#include "kubelet/runtime/docker_logs.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/timeutil.h"
#include "kubelet/runtime/crilog.h"

#define FRAME_HEADER 8
#define FRAME_MAX (1u << 24) /* docker splits messages at 16 KiB: a larger frame is no frame */

void kl_docker_demux_init(struct kl_docker_demux *d, int64_t skip_until_ns)
{
	memset(d, 0, sizeof(*d));
	cm_buf_init(&d->pending);
	d->skip_until_ns = skip_until_ns;
}

void kl_docker_demux_close(struct kl_docker_demux *d)
{
	cm_buf_close(&d->pending);
}

int kl_docker_time_ns(const char *s, size_t len, int64_t *ns)
{
	char tmp[64];
	const char *dot;
	int64_t ms, frac = 0, scale = 100000000;

	if (len == 0 || len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (cm_time_parse(tmp, &ms) < 0)
		return -EINVAL;
	if ((dot = strchr(tmp, '.')))
		for (const char *p = dot + 1; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			frac += (*p - '0') * scale;
	/* ms rounds the fraction down for times after 1970, which are all a log holds */
	*ns = (ms / 1000) * 1000000000 + frac;
	return 0;
}

/* One frame's payload: "<time> <text>[\n]". Malformed messages are kept with the time they arrive. */
static int message(struct kl_docker_demux *d, int stream, const char *p, size_t len, struct cm_buf *out)
{
	const char *sp = memchr(p, ' ', len);
	bool partial = len == 0 || p[len - 1] != '\n';
	int64_t ns = 0;

	if (!sp || kl_docker_time_ns(p, (size_t)(sp - p), &ns) < 0) {
		ns = cm_time_wall_ms() * 1000000;
		sp = p - 1;
	}
	if (ns <= d->skip_until_ns)
		return 0;
	d->last_ns = ns;
	len -= (size_t)(sp + 1 - p);
	p = sp + 1;
	if (!partial)
		len--;
	return kl_crilog_format(out, ns, stream == 2 ? "stderr" : "stdout", partial, p, len);
}

int kl_docker_demux_feed(struct kl_docker_demux *d, const char *data, size_t len, struct cm_buf *out)
{
	size_t used = 0;
	int rc = 0;

	if (len && cm_buf_append(&d->pending, data, len) < 0)
		return -ENOMEM;
	while (d->pending.len - used >= FRAME_HEADER) {
		const unsigned char *h = (const unsigned char *)d->pending.data + used;
		uint32_t n = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];

		if (h[0] > 2 || h[1] || h[2] || h[3] || n > FRAME_MAX) {
			cm_buf_reset(&d->pending);
			return -EINVAL;
		}
		if (d->pending.len - used - FRAME_HEADER < n)
			break;
		if (h[0] != 0 && (rc = message(d, h[0], (const char *)h + FRAME_HEADER, n, out)) < 0)
			break;
		used += FRAME_HEADER + n;
	}
	cm_buf_consume(&d->pending, used);
	return rc;
}
