/* err.h: the project's error codes beyond errno, and their one table of messages. */
#ifndef CM_ERR_H
#define CM_ERR_H

/*
 * Functions return 0 or a negative error: a negative errno (-ENOMEM, -EINVAL,
 * -ENOENT, -EEXIST, -ETIMEDOUT, ...) or one of these project codes, which sit
 * above errno's range so the two never collide.
 */
enum cm_err {
	CM_ENOTLEADER = 10000, /* this member is not the Raft leader */
	CM_ENOQUORUM,          /* no leader or no majority reachable */
	CM_ECONFLICT,          /* a compare or resourceVersion precondition failed */
	CM_ECOMPACTED,         /* the revision asked for has been compacted */
	CM_EFUTUREREV,         /* the revision asked for is beyond the current one */
	CM_ECORRUPT,           /* stored data failed its checksum or framing */
	CM_ETOOLARGE,          /* a request or value is over its size limit */
	CM_EBADREQUEST,        /* the request could not be parsed or is invalid */
	CM_ESTOPPED,           /* the component is shutting down */
	CM_EHTTP,              /* an HTTP exchange failed (see the status code) */
	CM_ESTORETOOLARGE,     /* etcd refused a request as over its size limit (--max-request-bytes) */
	CM_ELAST
};

/* The message for err (negative errno or -CM_E*); never NULL, static storage. */
const char *cm_strerror(int err);

#endif
