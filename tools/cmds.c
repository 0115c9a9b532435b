#include <stddef.h>
#include "tools.h"
const struct tool_cmd tool_cmds[] = {
    {"demo", tool_demo},
    {NULL, NULL},
};
