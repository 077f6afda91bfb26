/* docker_follow.c: the docker backend follows each container's log stream into the CRI file the kubelet API reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fileio.h"
#include "common/log.h"
#include "kubelet/runtime/docker.h"

void dk_log_file(struct dk *d, const struct kl_docker_info *i, struct cm_buf *out)
{
	kl_runtime_log_file(d->root, i->pod_uid, i->ctr, i->attempt, out);
}

static void log_data(const char *data, size_t len, void *ud)
{
	struct dk_ctr *c = ud;
	struct cm_buf out = CM_BUF_INIT, path = CM_BUF_INIT;
	int fd, rc = kl_docker_demux_feed(&c->demux, data, len, &out);

	if (rc < 0) {
		cm_warn("container %s: log stream not understood: %s", c->name, cm_strerror(rc));
		cm_http_call_cancel(c->log_call);
	}
	if (out.len) {
		dk_log_file(c->d, &c->info, &path);
		/* a few small appends per line of output: cheap enough on the loop, as the shim's are */
		fd = open(path.data, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || cm_write_all(fd, out.data, out.len) < 0)
			cm_warn("container %s: log not written to %s", c->name, path.data);
		if (fd >= 0)
			close(fd);
	}
	cm_buf_close(&out);
	cm_buf_close(&path);
}

static void log_ended(const struct cm_http_response *r, void *ud)
{
	struct dk_ctr *c = ud;

	c->log_call = NULL;
	/* the stream ends when the container stops; an error is retried on the resync */
	if (!r->err && (r->status == 200 || r->status == 404)) /* 404: docker never made it */
		c->logs_done = true;
	else if (r->err != -ECANCELED)
		cm_debug(1, "container %s: log stream ended: %s (%ld)", c->name, cm_strerror(r->err), r->status);
	dk_ctr_unref(c);
}

/* The time of the last record in path, so that a restarted follower writes no line twice. */
static int64_t last_logged_ns(const char *path)
{
	char tail[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end;
	ssize_t n;
	int64_t ns = 0;

	if (fd < 0)
		return 0;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && (n = pread(fd, tail, sizeof(tail) - 1, end > (off_t)sizeof(tail) - 1 ? end - (off_t)sizeof(tail) + 1 : 0)) > 0) {
		char *line;

		tail[n] = '\0';
		if (tail[n - 1] == '\n')
			tail[--n] = '\0';
		line = strrchr(tail, '\n');
		line = line ? line + 1 : tail;
		if (strchr(line, ' '))
			kl_docker_time_ns(line, (size_t)(strchr(line, ' ') - line), &ns);
	}
	close(fd);
	return ns;
}

void dk_logs_follow(struct dk_ctr *c)
{
	struct dk *d = c->d;
	struct cm_buf path = CM_BUF_INIT, file = CM_BUF_INIT;
	int64_t since;

	if (c->log_call || c->logs_done || c->info.sandbox || c->dropped || c->removing || d->closing)
		return;
	dk_log_file(d, &c->info, &file);
	since = c->demux.last_ns ? c->demux.last_ns : last_logged_ns(file.data);
	kl_docker_demux_close(&c->demux);
	kl_docker_demux_init(&c->demux, since);
	cm_buf_printf(&path, "/containers/%s/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=%lld.%09lld", c->name,
		      (long long)(since / 1000000000), (long long)(since % 1000000000));
	if (dk_send(d, "GET", path.data, NULL, 0, NULL, log_data, log_ended, c, &c->log_call) == 0)
		c->refs++;
	else
		c->log_call = NULL;
	cm_buf_close(&path);
	cm_buf_close(&file);
}
