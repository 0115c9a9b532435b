/* The synack command: dispatches to its subcommands (tools/cmds.c). */
#include <stdio.h>
#include <string.h>
#include "tools.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: synack <command> [options]\n\ncommands:\n");
    for (const struct tool_cmd *c = tool_cmds; c->name; c++) fprintf(f, "  %s\n", c->usage);
    fprintf(f, "  help\n\n"
               "LINK is one of:\n"
               "  --tun NAME [--offload]       TUN device: bare IPv4, the kernel at the other end\n"
               "  --tap NAME [--mac MAC]       TAP device: Ethernet and ARP, the kernel at the other end\n"
               "  --xdp IFNAME [--xdp IFNAME...] [--xdp-mode native|generic|auto] [--xdp-copy]\n"
               "               [--queues N]    AF_XDP on interfaces without a kernel address\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const struct tool_cmd *c = tool_cmds; c->name; c++)
        if (!strcmp(argv[1], c->name)) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "synack: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
