/* Subcommands of the synack command. Each lives in its own file and is listed in cmds.c. */
#ifndef SYNACK_TOOLS_H
#define SYNACK_TOOLS_H
struct tool_cmd { const char *name; int (*run)(int argc, char **argv); };
extern const struct tool_cmd tool_cmds[];
int tool_demo(int argc, char **argv);
#endif
