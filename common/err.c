/* err.c: messages for the project's error codes; errno values go to strerror. */
#include "common/err.h"

#include <string.h>

static const char *const messages[] = {
	[CM_ENOTLEADER - CM_ENOTLEADER] = "not the leader",
	[CM_ENOQUORUM - CM_ENOTLEADER] = "no quorum",
	[CM_ECONFLICT - CM_ENOTLEADER] = "conflict",
	[CM_ECOMPACTED - CM_ENOTLEADER] = "revision has been compacted",
	[CM_EFUTUREREV - CM_ENOTLEADER] = "revision is a future revision",
	[CM_ECORRUPT - CM_ENOTLEADER] = "data corrupted",
	[CM_ETOOLARGE - CM_ENOTLEADER] = "request too large",
	[CM_EBADREQUEST - CM_ENOTLEADER] = "bad request",
	[CM_ESTOPPED - CM_ENOTLEADER] = "stopped",
	[CM_EHTTP - CM_ENOTLEADER] = "http exchange failed",
	/* etcd's own words: clients (helm and others) recognise the failure by them */
	[CM_ESTORETOOLARGE - CM_ENOTLEADER] = "etcdserver: request is too large",
};

const char *cm_strerror(int err)
{
	int code = err < 0 ? -err : err;

	if (code >= CM_ENOTLEADER && code < CM_ELAST)
		return messages[code - CM_ENOTLEADER];
	if (code == 0)
		return "success";
	/* strerror is not thread-safe in theory, but every daemon runs one loop. */
	return strerror(code);
}
