/* cmd.c: `kubelet images`: import archives into the store, list it, remove names from it. */
#include "kubelet/image/cmd.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/flags.h"
#include "kubelet/image/store.h"

#define SYNOPSIS                                                                                          \
	"kubelet images --image-dir DIR import FILE [--tag NAME] | list | remove NAME...\n"                \
	"  import: a docker save archive (either layout) or an OCI image layout (a directory or a tar,\n" \
	"  gzip or not); re-importing a name replaces it"

static void print_one(const char *name, const char *id, const char *alias_of, int64_t ms, void *ud)
{
	FILE *out = ud;
	char when[32] = "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!strncmp(id, "sha256:", 7))
		id += 7;
	fprintf(out, "%-40s %-12.12s %-20s %s\n", name, id, when, alias_of ? alias_of : "");
}

int kl_images_main(int argc, char **argv, FILE *out, FILE *errf)
{
	const char *dir = NULL, *tag = NULL;
	const struct cm_flag flags[] = {
		{"image-dir", CM_FLAG_STRING, &dir, "the image store (the kubelet's --image-dir)"},
		{"tag", CM_FLAG_STRING, &tag, "import: the image's name (needed when the archive names none)"},
	};
	struct cm_buf err = CM_BUF_INIT, report = CM_BUF_INIT;
	int nargs = 0, rc, code = 0;

	rc = cm_flags_parse(flags, sizeof(flags) / sizeof(flags[0]), argc, argv, &nargs, &err);
	if (rc == 1) {
		fputs(err.data, out);
		goto done;
	}
	if (rc < 0 || nargs < 1 || !dir || !*dir) {
		fprintf(errf, "kubelet images: %s\nusage: %s\n",
			rc < 0 ? err.data : !dir || !*dir ? "--image-dir is required" : "no subcommand", SYNOPSIS);
		code = 2;
		goto done;
	}
	if (!strcmp(argv[1], "import") && nargs == 2) {
		if ((rc = kl_image_store_import(dir, argv[2], tag, &report, &err)) < 0) {
			fprintf(errf, "kubelet images import %s: %s\n", argv[2], err.len ? err.data : cm_strerror(rc));
			code = 1;
		} else {
			fprintf(out, "%s", report.data ? report.data : "");
		}
	} else if (!strcmp(argv[1], "list") && nargs == 1) {
		fprintf(out, "%-40s %-12s %-20s %s\n", "NAME", "ID", "IMPORTED", "ALIAS OF");
		if ((rc = kl_image_store_list(dir, print_one, out)) < 0 && rc != -ENOENT) {
			fprintf(errf, "kubelet images list: %s: %s\n", dir, cm_strerror(rc));
			code = 1;
		}
	} else if (!strcmp(argv[1], "remove") && nargs >= 2) {
		for (int i = 2; i <= nargs; i++) {
			if ((rc = kl_image_store_remove(dir, argv[i])) < 0) {
				fprintf(errf, "kubelet images remove %s: %s\n", argv[i],
					rc == -ENOENT ? "no such image" : cm_strerror(rc));
				code = 1;
			} else {
				fprintf(out, "removed %s\n", argv[i]);
			}
		}
	} else {
		fprintf(errf, "kubelet images: bad command\nusage: %s\n", SYNOPSIS);
		code = 2;
	}
done:
	cm_buf_close(&err);
	cm_buf_close(&report);
	return code;
}
