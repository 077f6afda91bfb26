/* request_resp.c: etcd's error messages and codes for store errors, and the response arena. */
#include "etcdlite/request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

static const char *const messages[] = {
	[EL_EKEYNOTFOUND - EL_EKEYNOTFOUND] = "etcdserver: key not found",
	[EL_ELEASENOTFOUND - EL_EKEYNOTFOUND] = "etcdserver: requested lease not found",
	[EL_ELEASEEXISTS - EL_EKEYNOTFOUND] = "etcdserver: lease already exists",
	[EL_ETTLTOOLARGE - EL_EKEYNOTFOUND] = "etcdserver: too large lease TTL",
	[EL_EDUPKEY - EL_EKEYNOTFOUND] = "etcdserver: duplicate key given in txn request",
	[EL_EVALUEPROVIDED - EL_EKEYNOTFOUND] = "etcdserver: value is provided",
	[EL_ELEASEPROVIDED - EL_EKEYNOTFOUND] = "etcdserver: lease is provided",
	[EL_EEMPTYKEY - EL_EKEYNOTFOUND] = "etcdserver: key is not provided",
	[EL_ETOOMANYOPS - EL_EKEYNOTFOUND] = "etcdserver: too many operations in txn request",
	[EL_EMEMBERNOTFOUND - EL_EKEYNOTFOUND] = "etcdserver: member not found",
	[EL_EBADMEMBERURLS - EL_EKEYNOTFOUND] = "etcdserver: given member URLs are invalid",
	[EL_EUSERNOTFOUND - EL_EKEYNOTFOUND] = "etcdserver: user name not found",
	[EL_EROLENOTFOUND - EL_EKEYNOTFOUND] = "etcdserver: role name not found",
	[EL_EAUTHNOTENABLED - EL_EKEYNOTFOUND] = "etcdserver: authentication is not enabled",
	[EL_ENOTLEARNER - EL_EKEYNOTFOUND] = "etcdserver: can only promote a learner member",
};

/* gRPC status codes, the numbers etcd's gateway writes in "code". */
enum { GRPC_INVALID_ARGUMENT = 3, GRPC_NOT_FOUND = 5, GRPC_FAILED_PRECONDITION = 9,
       GRPC_OUT_OF_RANGE = 11, GRPC_INTERNAL = 13, GRPC_UNAVAILABLE = 14, GRPC_UNKNOWN = 2,
       GRPC_RESOURCE_EXHAUSTED = 8, GRPC_DATA_LOSS = 15, GRPC_UNIMPLEMENTED = 12 };

const char *el_strerror(int err)
{
	int code = err < 0 ? -err : err;

	if (code >= EL_EKEYNOTFOUND && code < EL_ELAST)
		return messages[code - EL_EKEYNOTFOUND];
	if (code == CM_ECOMPACTED)
		return "etcdserver: mvcc: required revision has been compacted";
	if (code == CM_EFUTUREREV)
		return "etcdserver: mvcc: required revision is a future revision";
	if (code == CM_ENOTLEADER || code == CM_ENOQUORUM)
		return "etcdserver: no leader";
	if (code == CM_ETOOLARGE)
		return "etcdserver: request is too large";
	return cm_strerror(err);
}

int el_err_grpc_code(int err)
{
	switch (err < 0 ? -err : err) {
	case EL_EKEYNOTFOUND:
	case EL_EDUPKEY:
	case EL_EVALUEPROVIDED:
	case EL_ELEASEPROVIDED:
	case EL_EEMPTYKEY:
	case EL_ETOOMANYOPS:
	case EL_EBADMEMBERURLS:
	case EINVAL:
	case CM_EBADREQUEST:
		return GRPC_INVALID_ARGUMENT;
	case EL_ELEASENOTFOUND:
	case EL_EMEMBERNOTFOUND:
		return GRPC_NOT_FOUND;
	case EL_ELEASEEXISTS:
	case EL_EUSERNOTFOUND:
	case EL_EROLENOTFOUND:
	case EL_EAUTHNOTENABLED:
	case EL_ENOTLEARNER:
		return GRPC_FAILED_PRECONDITION;
	case ENOTSUP: /* what etcdlite does not do: static membership, no auth */
		return GRPC_UNIMPLEMENTED;
	case EL_ETTLTOOLARGE:
	case CM_ECOMPACTED:
	case CM_EFUTUREREV:
		return GRPC_OUT_OF_RANGE;
	case CM_ENOTLEADER:
	case CM_ENOQUORUM:
	case CM_ESTOPPED:
	case ETIMEDOUT:
		return GRPC_UNAVAILABLE;
	case CM_ETOOLARGE:
		return GRPC_INVALID_ARGUMENT;
	case ENOMEM:
	case EMSGSIZE: /* over gRPC's message size */
	case EBUSY: /* a limit reached: --max-concurrent-streams */
		return GRPC_RESOURCE_EXHAUSTED;
	case CM_ECORRUPT:
		return GRPC_DATA_LOSS;
	default:
		return GRPC_UNKNOWN;
	}
}

/*
 * Responses hold many small arrays (kvs, nested txn responses); an arena
 * makes them one or two allocations and one free.
 */
struct el_arena_block {
	struct el_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

#define ARENA_MIN 4096

void el_response_init(struct el_response *resp)
{
	memset(resp, 0, sizeof(*resp));
}

void el_response_close(struct el_response *resp)
{
	struct el_arena_block *b = resp->arena;

	while (b) {
		struct el_arena_block *next = b->next;

		free(b);
		b = next;
	}
	memset(resp, 0, sizeof(*resp));
}

void *el_response_alloc(struct el_response *resp, size_t size)
{
	struct el_arena_block *b = resp->arena;
	size_t align = sizeof(max_align_t);
	void *p;

	size = (size + align - 1) / align * align;
	if (size == 0)
		size = align;
	if (!b || b->cap - b->used < size) {
		size_t cap = size > ARENA_MIN ? size : ARENA_MIN;

		if (b && b->cap * 2 > cap && b->cap * 2 >= size)
			cap = b->cap * 2 < (1u << 24) ? b->cap * 2 : cap;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = resp->arena;
		b->used = 0;
		b->cap = cap;
		resp->arena = b;
	}
	p = (char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}
