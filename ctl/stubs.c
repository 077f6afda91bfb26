/* stubs.c: temporary */
#include "ctl/cli.h"
int mc_run_logs(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_wait(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_cluster_info(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_api_resources(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_version(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_config(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_completion(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_edit(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
int mc_run_top(struct mc_ctx *c, const struct mc_cmd *cmd, int argc, char **argv) { (void)c; (void)cmd; (void)argc; (void)argv; return 1; }
