/* cmd_edit.c: minictl edit: the object as YAML in $KUBE_EDITOR/$EDITOR, then the difference sent as a strategic merge patch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "common/smpatch.h"
#include "common/yaml.h"
#include "ctl/cli.h"
#include "ctl/target.h"

static const char header[] =
	"# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
	"# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
	"# reopened with the relevant failures.\n"
	"#\n";

/* Runs the editor on path through the shell, so "code --wait" works as an editor. Returns its exit status or -1. */
static int run_editor(const char *path)
{
	const char *ed = getenv("KUBE_EDITOR");
	struct cm_buf cmd = CM_BUF_INIT;
	int st;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	cm_buf_printf(&cmd, "%s '%s'", ed, path);
	st = system(cmd.data);
	cm_buf_close(&cmd);
	return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int edit_one(struct mc_ctx *c, const struct mc_target *t)
{
	struct cm_buf path = CM_BUF_INIT, text = CM_BUF_INIT, err = CM_BUF_INIT, ref = CM_BUF_INIT;
	char tmpl[] = "/tmp/minictl-edit-XXXXXX.yaml";
	cJSON *orig = NULL, *docs = NULL, *patch = NULL;
	const cJSON *edited;
	FILE *f;
	int fd = -1, rc;

	mc_resource_path(t->res, c->ns, t->name, &path);
	if ((rc = mc_get_json(c, path.data, false, &orig)))
		goto done;
	cm_buf_puts(&text, header);
	cm_yaml_emit(orig, &text);
	fd = mkstemps(tmpl, 5);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = mc_errorf(c, "cannot make a temporary file: %s", strerror(errno));
		goto done;
	}
	fd = -1;
	fwrite(text.data, 1, text.len, f);
	fclose(f);
	if (run_editor(tmpl) != 0) {
		rc = mc_errorf(c, "there was a problem with the editor");
		goto done;
	}
	cm_buf_reset(&text);
	f = fopen(tmpl, "rb");
	if (f) {
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			cm_buf_append(&text, chunk, n);
		fclose(f);
	}
	if (cm_yaml_parse_all(text.data ? text.data : "", text.len, tmpl, &docs, &err)) {
		rc = mc_errorf(c, "%s", err.data);
		goto done;
	}
	edited = cJSON_GetArrayItem(docs, 0);
	if (!edited || cm_json_equal(edited, orig)) {
		fputs("Edit cancelled, no changes made.\n", c->out);
		goto done;
	}
	if ((rc = cm_smpatch_diff(orig, edited, &patch, &err))) {
		rc = mc_errorf(c, "%s", err.data ? err.data : "cannot compute the patch");
		goto done;
	}
	if ((rc = mc_send_json(c, "PATCH", path.data, "application/strategic-merge-patch+json", patch, NULL))) {
		fprintf(c->errout, "A copy of your changes has been stored to \"%s\"\n", tmpl);
		tmpl[0] = '\0'; /* keep the file for the user */
		goto done;
	}
	mc_object_ref(t->res, t->name, &ref);
	fprintf(c->out, "%s edited\n", ref.data);
done:
	if (fd >= 0)
		close(fd);
	if (tmpl[0])
		unlink(tmpl);
	cJSON_Delete(orig);
	cJSON_Delete(docs);
	cJSON_Delete(patch);
	cm_buf_close(&path);
	cm_buf_close(&text);
	cm_buf_close(&err);
	cm_buf_close(&ref);
	return rc;
}

int mc_run_edit(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv)
{
	struct mc_strv pos = {0}, dash = {0};
	struct mc_targets ts = {0};
	int rc = mc_cmd_parse(c, cmd, NULL, 0, argc, argv, &pos, &dash);

	if (rc)
		goto done;
	if ((rc = mc_targets_parse(c, &pos, 0, &ts)))
		goto done;
	for (size_t i = 0; i < ts.n && !rc; i++) {
		if (!ts.v[i].name)
			rc = mc_errorf(c, "edit needs a name: TYPE NAME or TYPE/NAME");
		else
			rc = edit_one(c, &ts.v[i]);
	}
done:
	mc_targets_close(&ts);
	mc_strv_close(&pos);
	mc_strv_close(&dash);
	return rc;
}
