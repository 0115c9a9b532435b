#include <stddef.h>
#include "tools.h"
const struct tool_cmd tool_cmds[] = {
    {"demo", tool_demo,
     "demo [--scenario handshake|refused|simopen|simclose|lossy] [--seed N]\n"
     "      two stacks in virtual time, drawn as a time-sequence diagram"},
    {"serve", tool_serve,
     "serve --tun NAME --addr IP [--host-addr IP/PREFIX] --port P --app echo|discard|chargen|http\n"
     "      [--root DIR] [--backlog N] [--pcap FILE] [--trace] [--duration SECONDS]\n"
     "      [--syncookies off|auto|always] (synack serve --help lists every option)"},
    {"connect", tool_connect,
     "connect --tun NAME --addr IP [--host-addr IP/PREFIX] --to IP:PORT [--pcap FILE] [--trace]"},
    {NULL, NULL, NULL},
};
