#include <stddef.h>
#include "tools.h"
const struct tool_cmd tool_cmds[] = {
    {"demo", tool_demo,
     "demo [--scenario handshake|refused|simopen|simclose|lossy] [--seed N]\n"
     "      two stacks in virtual time, drawn as a time-sequence diagram"},
    {"serve", tool_serve,
     "serve LINK --addr IP[/PREFIX] [--host-addr IP/PREFIX] [--gateway IP] --port P\n"
     "      --app echo|discard|chargen|http [--root DIR] [--backlog N] [--pcap FILE] [--trace]\n"
     "      [--duration SECONDS] [--syncookies off|auto|always] [--busy-poll]\n"
     "      (synack serve --help lists every option)"},
    {"connect", tool_connect,
     "connect LINK --addr IP[/PREFIX] [--host-addr IP/PREFIX] [--gateway IP] --to IP:PORT\n"
     "      [--pcap FILE] [--trace] [--busy-poll] (synack connect --help lists every option)"},
    {NULL, NULL, NULL},
};
