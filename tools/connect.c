#include <stdio.h>
#include "tools.h"
int tool_connect(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "synack connect: not yet built\n"); return 1; }
