/* runtime.c: what every runtime backend shares. */
#include <stdlib.h>
#include <string.h>

#include "kubelet/runtime/runtime.h"

void kl_runtime_free(struct kl_runtime *rt)
{
	if (rt)
		rt->ops->free(rt);
}

void kl_runtime_shutdown(struct kl_runtime *rt)
{
	if (rt && rt->ops->shutdown)
		rt->ops->shutdown(rt);
}

void kl_sandbox_close(struct kl_sandbox *sb)
{
	free(sb->dir);
	free(sb->netns_path);
	free(sb->ip);
	memset(sb, 0, sizeof(*sb));
}
