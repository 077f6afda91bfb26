/* protobuf.h: decodes the Kubernetes protobuf bodies kubectl's typed clients send (create generators, drain's deletes) into JSON trees. */
#ifndef API_PROTOBUF_H
#define API_PROTOBUF_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/buf.h"

/* The media type of a Kubernetes protobuf body. */
#define API_PROTOBUF_TYPE "application/vnd.kubernetes.protobuf"

/*
 * kubectl 1.32's `create namespace|configmap|secret|deployment` use typed
 * clients that send protobuf without asking discovery first, so the server
 * must read it. body is the "k8s\0" envelope around runtime.Unknown; the
 * object inside is decoded by a schema of the kinds those generators make
 * (Namespace, ConfigMap, Secret, Deployment with its pod template). Fields at
 * their zero value are left out, as JSON clients leave them out; status is
 * dropped (the server sets it). A field the schema does not know, with a
 * value, fails the decode rather than being lost.
 *
 * Returns 0 and *out (the caller frees it with cJSON_Delete), or -EINVAL with
 * a message in err (not the envelope, a kind it does not decode, a truncated
 * or malformed message, an unknown field), or -ENOMEM. *out is unchanged on
 * failure.
 */
int api_protobuf_decode(const void *body, size_t len, cJSON **out, struct cm_buf *err);

#endif
