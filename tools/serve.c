#include <stdio.h>
#include "tools.h"
int tool_serve(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "synack serve: not yet built\n"); return 1; }
