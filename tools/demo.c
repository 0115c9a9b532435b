#include <stdio.h>
#include "tools.h"
int tool_demo(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "demo: not yet\n"); return 1; }
