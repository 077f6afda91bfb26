/* path.c: request paths classified and split, pure functions the gate, rest.c and a fuzzer share. */
#include "apiserver/path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 6

bool api_path_is_resource(const char *path)
{
	const char *p;
	int segs = 0;

	if (!strncmp(path, "/api/v1/", 8))
		return path[8] != '\0';
	if (strncmp(path, "/apis/", 6))
		return false;
	/* /apis/{group}/{version}/{something}: a group-version's resources */
	for (p = path + 6; *p && segs < 2; p++)
		if (*p == '/' && p[-1] != '/')
			segs++;
	return segs == 2 && *p && *p != '/';
}

int api_path_split(const char *rest, struct api_path *out)
{
	char *segs[MAX_SEGS], *save = NULL, *tok, *buf = strdup(rest ? rest : "");
	int n = 0, i = 0;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -ENOMEM;
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (n == MAX_SEGS) {
			free(buf);
			return -ENOENT;
		}
		segs[n++] = tok;
	}
	if (n >= 3 && !strcmp(segs[0], "namespaces") &&
	    !(n == 3 && (!strcmp(segs[2], "status") || !strcmp(segs[2], "finalize"))))
		i = 2;
	if (n - i < 1 || n - i > 3) {
		free(buf);
		return -ENOENT;
	}
	out->buf = buf;
	out->ns = i ? segs[1] : NULL;
	out->plural = segs[i];
	out->name = n - i > 1 ? segs[i + 1] : NULL;
	out->sub = n - i > 2 ? segs[i + 2] : NULL;
	return 0;
}

void api_path_close(struct api_path *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}
