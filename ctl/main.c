/* main.c: minictl, the command-line client: hands argv to the library's dispatcher. */
#include <signal.h>
#include <stdio.h>

#include "ctl/cli.h"

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	return mc_main(argc, argv, stdout, stderr);
}
