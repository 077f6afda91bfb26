/* cmd.h: `kubelet images import|list|remove`, the image store's command line. */
#ifndef KL_IMAGE_CMD_H
#define KL_IMAGE_CMD_H

#include <stdio.h>

/*
 * argv[0] is "images". Writes results to out and errors to errf. Returns the
 * process exit code: 0, 1 (the operation failed), 2 (bad usage).
 */
int kl_images_main(int argc, char **argv, FILE *out, FILE *errf);

#endif
