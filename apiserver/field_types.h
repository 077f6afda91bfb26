/* field_types.h: type checks of chosen fields, answered as kube-apiserver's decoder answers (400). */
#ifndef API_FIELD_TYPES_H
#define API_FIELD_TYPES_H

#include <cjson/cJSON.h>

#include "apiserver/resources.h"

/*
 * A 400 Status when a field of obj that r's Go type would not decode holds the
 * wrong JSON type (a ConfigMap's data value that is not a string, replicas that
 * is not an int32), else NULL. The caller owns the Status.
 */
cJSON *api_field_types_check(const struct api_resource *r, const cJSON *obj);

#endif
