/* volwatch.h: watches on the ConfigMaps and Secrets this node's pods mount, so their volumes follow changes. */
#ifndef KL_VOLWATCH_H
#define KL_VOLWATCH_H

#include "kubelet/kubelet.h"

/*
 * As Kubernetes' kubelet with its Watch change detection: one informer per
 * ConfigMap or Secret a pod on this node mounts (a list and watch of its
 * namespace's collection with fieldSelector metadata.name=NAME, as the Node
 * authorizer allows a kubelet), shared by every pod that mounts it and
 * stopped with the last one. An event only marks those pods' volumes for a
 * rewrite (w->vol_dirty) and kicks the tick; the tick pulls the informer's
 * copy into the pod's deps and rewrites (volumes.c, voldir.c): level
 * triggered, so events that come close together cost one rewrite.
 */
struct kl_volwatch;
struct kl_pod_worker;

/* Makes an empty set of watches for s's pods over s->client. 0 and *out, or -ENOMEM. */
int kl_volwatch_new(struct kl_server *s, struct kl_volwatch **out);
/* Stops every watch and frees vw (workers' records of what they watch stay theirs). NULL does nothing. */
void kl_volwatch_free(struct kl_volwatch *vw);
/*
 * Watches the ConfigMaps and Secrets w's volumes name (recorded in
 * w->watched). vw NULL does nothing. 0 or -ENOMEM (some may be watched:
 * kl_volwatch_remove stops them).
 */
int kl_volwatch_add(struct kl_volwatch *vw, struct kl_pod_worker *w);
/* Drops w's watches; the last pod of a source stops its informer. vw NULL does nothing. */
void kl_volwatch_remove(struct kl_volwatch *vw, struct kl_pod_worker *w);
/*
 * Copies into w->deps the informers' current copy of each source w
 * watches that changed; one deleted is dropped from deps only when every
 * reference of w to it is optional (a required one keeps its last files,
 * as Kubernetes' kubelet does). Informers not listed yet are skipped.
 */
void kl_volwatch_pull(struct kl_volwatch *vw, struct kl_pod_worker *w);

#endif
