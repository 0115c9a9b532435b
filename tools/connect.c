/* `synack connect`: dials IP:PORT from a synack stack on a link (TUN, TAP or AF_XDP; on
 * Ethernet links the destination is on-link or reached through --gateway) and works like nc:
 * standard input goes to the connection, the connection to standard output; at the end of
 * input the sending side is shut down (our FIN) and the program goes on reading until the
 * peer's FIN. Exit status 0 after a clean close (both FINs acknowledged), 1 with a message on
 * refusal, reset, timeout, a device that went away or another error, 2 on bad usage. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common.h"
#include "synack/loop.h"
#include "tools.h"

#define PROG "synack connect"
#define IOBUF (64 * 1024)

static volatile sig_atomic_t stop_flag;

static void usage(FILE *f)
{
    fprintf(f, "usage: synack connect --tun NAME|--tap NAME|--xdp IFNAME... --addr IP[/PREFIX]\n"
               "                      [--host-addr IP/PREFIX] [--gateway IP] [--mac MAC] [--offload]\n"
               "                      [--xdp-mode native|generic|auto] [--xdp-copy] [--queues N]\n"
               "                      [--busy-poll] --to IP:PORT\n"
               "                      [--pcap FILE] [--trace] [--connect-timeout SECONDS]\n%s"
               "  --to IP:PORT          where to connect\n"
               "  --connect-timeout S   give up if not connected after S seconds (default:\n"
               "                        the stack's SYN retries, about two minutes)\n"
               "  -v, --verbose         say when the connection is up and when it closed\n"
               "  --counters            at exit, print the stack's counters to stderr\n",
            net_opts_usage);
}

/* Writes all of buf to fd 1. 0 or -1 (errno set). */
static int write_all(const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(STDOUT_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int tool_connect(int argc, char **argv)
{
    struct net_opts no;
    struct net net;
    struct synack_config cfg;
    uint32_t to_addr = 0;
    uint16_t to_port = 0;
    double ctimeout = -1;
    int verbose = 0, counters = 0, rc = 1;
    char ip[16];

    memset(&no, 0, sizeof no);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = net_opt(PROG, &no, argc, argv, &i);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) { verbose = 1; continue; }
        if (!strcmp(a, "--counters")) { counters = 1; continue; }
        if (!strcmp(a, "--to") || !strcmp(a, "--connect-timeout")) {
            if (!v) { fprintf(stderr, "%s: %s needs a value\n", PROG, a); return 2; }
            i++;
            if (!strcmp(a, "--to")) { if (opt_ip_port(PROG, a, v, &to_addr, &to_port) < 0) return 2; }
            else if (opt_double(PROG, a, v, &ctimeout) < 0) return 2;
            continue;
        }
        fprintf(stderr, "%s: unknown option '%s'\n", PROG, a);
        usage(stderr);
        return 2;
    }
    if (no.link == NET_LINK_NONE || !no.have_addr || !to_port) {
        fprintf(stderr, "%s: a link (--tun, --tap or --xdp), --addr and --to are required\n", PROG);
        usage(stderr);
        return 2;
    }
    if (net_opts_check(PROG, &no) < 0) return 2;

    uint8_t *inbuf = malloc(IOBUF), *outbuf = malloc(IOBUF);
    if (!inbuf || !outbuf) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        free(inbuf);
        free(outbuf);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    synack_config_default(&cfg);
    if (no.max_conns == 0) no.max_conns = 4;
    if (net_open(&net, PROG, &no, &cfg) < 0) { free(inbuf); free(outbuf); return 1; }
    if (synack_loop_install_stop_signals(&stop_flag) < 0) {
        fprintf(stderr, "%s: signals: %s\n", PROG, strerror(errno));
        goto out;
    }

    struct synack_stack *st = net.st;
    synack_set_now(st, net_now());
    int s = synack_socket(st, SYNACK_SOCK_STREAM);
    if (s < 0 || (synack_connect(st, s, to_addr, to_port) < 0 && errno != EINPROGRESS)) {
        fprintf(stderr, "%s: %s:%u: %s\n", PROG, synack_ip_str(to_addr, ip), (unsigned)to_port,
                errno_text(errno));
        goto out;
    }
    net_tx(&net);

    synack_time_us conn_deadline =
        ctimeout >= 0 ? net_now() + (synack_time_us)(ctimeout * 1e6) : SYNACK_TIME_NEVER;
    int connected = 0, stdin_eof = 0, peer_eof = 0, shut = 0;
    size_t inlen = 0, inoff = 0;
    for (;;) {
        if (stop_flag) {
            /* Interrupted: reset the connection rather than leave the peer hanging. */
            synack_setsockopt(st, s, SYNACK_SO_LINGER_ZERO, 1);
            synack_close(st, s);
            net_tx(&net);
            fprintf(stderr, "%s: interrupted\n", PROG);
            rc = 130;
            goto out;
        }
        int ev = synack_sock_events(st, s);
        int state = SYNACK_CLOSED, err = 0;
        synack_getsockopt(st, s, SYNACK_TCP_STATE, &state);
        if (!connected) {
            if (ev & (SYNACK_EV_ERR | SYNACK_EV_HUP) || state == SYNACK_CLOSED) {
                synack_getsockopt(st, s, SYNACK_SO_ERROR, &err);
                fprintf(stderr, "%s: %s:%u: %s\n", PROG, synack_ip_str(to_addr, ip),
                        (unsigned)to_port, errno_text(err ? err : ECONNREFUSED));
                goto out;
            }
            if (state != SYNACK_SYN_SENT && state != SYNACK_SYN_RCVD) {
                connected = 1;
                if (verbose)
                    fprintf(stderr, "%s: connected to %s:%u\n", PROG, synack_ip_str(to_addr, ip),
                            (unsigned)to_port);
            } else if (net_now() >= conn_deadline) {
                synack_close(st, s);
                net_tx(&net);
                fprintf(stderr, "%s: %s:%u: %s\n", PROG, synack_ip_str(to_addr, ip),
                        (unsigned)to_port, errno_text(ETIMEDOUT));
                goto out;
            }
        }
        if (connected) {
            /* connection -> stdout */
            while (!peer_eof) {
                ssize_t n = synack_recv(st, s, outbuf, IOBUF);
                if (n > 0) {
                    if (write_all(outbuf, (size_t)n) < 0) {
                        fprintf(stderr, "%s: standard output: %s\n", PROG, strerror(errno));
                        synack_setsockopt(st, s, SYNACK_SO_LINGER_ZERO, 1);
                        synack_close(st, s);
                        net_tx(&net);
                        goto out;
                    }
                    continue;
                }
                if (n == 0) { peer_eof = 1; break; }
                if (errno == EAGAIN) break;
                fprintf(stderr, "%s: %s\n", PROG, errno_text(errno));
                goto out;
            }
            /* stdin -> connection */
            while (inoff < inlen) {
                ssize_t n = synack_send(st, s, inbuf + inoff, inlen - inoff);
                if (n > 0) { inoff += (size_t)n; continue; }
                if (n < 0 && errno != EAGAIN) {
                    fprintf(stderr, "%s: %s\n", PROG, errno_text(errno));
                    goto out;
                }
                break;
            }
            if (inoff == inlen) inoff = inlen = 0;
            if (stdin_eof && inlen == 0 && !shut) {
                synack_shutdown(st, s, SYNACK_SHUT_WR);
                shut = 1;
            }
            synack_getsockopt(st, s, SYNACK_TCP_STATE, &state);
            if (state == SYNACK_CLOSED || state == SYNACK_TIME_WAIT) {
                synack_getsockopt(st, s, SYNACK_SO_ERROR, &err);
                if (err) {
                    fprintf(stderr, "%s: %s\n", PROG, errno_text(err));
                    goto out;
                }
                if (peer_eof && shut) {
                    if (verbose) fprintf(stderr, "%s: closed\n", PROG);
                    synack_close(st, s);
                    net_tx(&net);
                    rc = 0;
                    goto out;
                }
            }
        }
        net_tx(&net);

        /* Watch stdin only when its data has somewhere to go. */
        int want_stdin = connected && !stdin_eof && inlen == 0 &&
                         (synack_sock_events(st, s) & SYNACK_EV_OUT);
        int fd0 = want_stdin ? STDIN_FILENO : -1;
        unsigned ready;
        if (net_wait(&net, &fd0, 1, connected ? SYNACK_TIME_NEVER : conn_deadline, &ready) < 0)
            goto out;
        if ((ready & 1) && net_rx(&net) < 0) goto out;
        if (ready & 2) {
            ssize_t n = read(STDIN_FILENO, inbuf, IOBUF);
            if (n > 0) inlen = (size_t)n;
            else if (n == 0 || (errno != EINTR && errno != EAGAIN)) stdin_eof = 1;
        }
    }
out:
    if (counters) net_print_counters(&net, stderr);
    net_close(&net);
    free(inbuf);
    free(outbuf);
    return rc;
}
