/* Subcommands of the synack command. Each lives in its own file and is listed in cmds.c. */
#ifndef SYNACK_TOOLS_H
#define SYNACK_TOOLS_H
struct tool_cmd { const char *name; int (*run)(int argc, char **argv); const char *usage; };
extern const struct tool_cmd tool_cmds[];
int tool_demo(int argc, char **argv);     /* tools/demo.c */
int tool_serve(int argc, char **argv);    /* tools/serve.c */
int tool_connect(int argc, char **argv);  /* tools/connect.c */
#endif
