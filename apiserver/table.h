/* table.h: helpers the strategies use to fill rows of kubectl's Table answers. */
#ifndef API_TABLE_H
#define API_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * Whether a request wants a Table, and what each row's object holds: the
 * includeObject query parameter of meta.k8s.io/v1 TableOptions. Metadata (a
 * PartialObjectMetadata, the default), Object (the whole object, as kubectl
 * asks for --sort-by), None (no object). API_TABLE_OFF is a plain answer.
 */
enum api_table_mode { API_TABLE_OFF = 0, API_TABLE_METADATA, API_TABLE_OBJECT, API_TABLE_NONE };

/*
 * The mode asked by an Accept header and an includeObject value (either may
 * be NULL). Returns 0, or -EINVAL for an includeObject Kubernetes does not
 * know (the caller answers 400); *out is unchanged then.
 */
int api_table_mode_parse(const char *accept, const char *include, enum api_table_mode *out);

/* The age of obj (its creationTimestamp) as kubectl prints it: "5s", "3m20s", "4h", "2d3h". */
void api_table_age(int64_t now_ms, const cJSON *obj, char *out, size_t n);
/* Append one cell to cells. Each returns 0 or -ENOMEM. */
int api_table_add_age(cJSON *cells, const cJSON *obj, int64_t now_ms);
int api_table_add_str(cJSON *cells, const char *s);
int api_table_add_int(cJSON *cells, int64_t v);
/* A map of labels as kubectl prints one (labels.FormatLabels): "a=1,b=2", keys sorted; "<none>" when empty. */
int api_table_add_labels(cJSON *cells, const cJSON *map);
/*
 * A LabelSelector as kubectl prints one (metav1.FormatLabelSelector): its
 * requirements sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k",
 * "!k", joined by ","; "<none>" when it selects everything.
 */
int api_table_add_selector(cJSON *cells, const cJSON *selector);
/* Two cells, the CONTAINERS and IMAGES of -o wide: the names and the images of containers, joined by ",". */
int api_table_add_containers(cJSON *cells, const cJSON *containers);

#endif
