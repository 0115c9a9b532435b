/* Shared by `synack serve` and `synack connect`: option parsing helpers, the TUN + stack
 * plumbing (open, configure, read batches into synack_input, emit to the TUN and a pcap), the
 * --trace hooks, and a tally of connection states fed by the on_state hook. */
#ifndef SYNACK_TOOLS_COMMON_H
#define SYNACK_TOOLS_COMMON_H
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "synack/link.h"
#include "synack/socket.h"
#include "synack/synack.h"
#include "synack/tun.h"

/* Packets read from the TUN per loop step, at most. */
#define NET_BATCH 64
/* Received packets held between reading and synack_input(): while synack_poll() writes a
 * long burst, the kernel answers with ACKs faster than its TUN queue (txqueuelen packets) can
 * hold them, so the emit callback reads them out into this queue as it goes. */
#define NET_RXQ_BYTES (8u << 20)
#define NET_RXQ_MAX 8192

/* Options both commands share. */
struct net_opts {
    const char *tun;            /* --tun NAME */
    uint32_t addr;              /* --addr IP (synack's own) */
    int have_addr;
    uint32_t host_addr;         /* --host-addr IP/PREFIX (kernel side), optional */
    int host_prefix;            /* 0 = not given */
    const char *pcap;           /* --pcap FILE */
    int trace;                  /* --trace */
    unsigned mtu;               /* --mtu (0 = the device's, or 1500 when we configure it) */
    unsigned rcvbuf, sndbuf;    /* --rcvbuf/--sndbuf bytes (0 = default) */
    unsigned max_conns;         /* --max-conns (0 = default) */
    const char *impair;         /* --impair SPEC (user-space netem, see common.c) */
};

/* Packets held back by --impair in one direction, in release order. */
struct impair_q {
    uint8_t *buf;
    uint32_t *len;
    synack_time_us *at;
    unsigned cap, slot, head, count;
};

/* --impair: loss, duplication, delay and reordering applied by the tool itself between the
 * TUN device and the stack, in either or both directions (like tc netem, whose reorder means:
 * this share of packets skips the delay). For kernels without sch_netem. */
struct impair {
    int on, dirs;               /* dirs: bit 0 = in (TUN to stack), bit 1 = out */
    double loss, dup, reorder;  /* probabilities */
    synack_time_us delay;
    uint64_t rng;
    struct impair_q q[2];       /* [0] in, [1] out */
    uint64_t lost[2], duped[2], reordered[2], overflow[2];
};

struct net {
    const char *prog;           /* "synack serve" / "synack connect", for messages */
    struct synack_stack *st;
    struct synack_tun *tun;
    struct synack_pcap *pcap;
    int trace;
    synack_time_us t0;          /* start (monotonic), for trace timestamps */
    synack_time_us wall_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, for pcap stamps */
    unsigned mtu;
    uint8_t *rxq;               /* rxq_cap slots of rxq_slot bytes */
    uint32_t *rxq_len;
    unsigned rxq_cap, rxq_slot, rxq_head, rxq_count;
    unsigned since_fill;        /* packets written since the emit callback last read */
    unsigned rx_budget;         /* packets fed to the stack per net_rx(), at most */
    struct impair imp;
    uint64_t tx_errors;
    /* connections by state, kept by the on_state hook from the transitions of handles >= 0
     * (half-open entries reported as conn -1 are not counted) */
    long nstate[SYNACK_NSTATES];
    uint8_t *conn_state;        /* last state seen per handle */
    unsigned nconn_state;
};

/* Parsing. Each returns 0, or -1 after printing "prog: bad VALUE for --opt". */
int opt_ip(const char *prog, const char *opt, const char *s, uint32_t *out);
int opt_ip_prefix(const char *prog, const char *opt, const char *s, uint32_t *addr, int *prefix);
int opt_ip_port(const char *prog, const char *opt, const char *s, uint32_t *addr, uint16_t *port);
int opt_uint(const char *prog, const char *opt, const char *s, unsigned long lo, unsigned long hi,
             unsigned long *out);
int opt_double(const char *prog, const char *opt, const char *s, double *out);

/* Handles the options of struct net_opts at argv[*i] (advancing *i past a value).
 * Returns 1 if it was one of them, 0 if not, -1 on a bad or missing value (message printed). */
int net_opt(const char *prog, struct net_opts *o, int argc, char **argv, int *i);
/* Usage lines of those options. */
extern const char net_opts_usage[];

/* Opens the TUN device, configures the host side when asked, creates the stack with cfg
 * (addr, secret, mtu, hooks and the buffer sizes from o filled in here). 0 or -1 (printed). */
int net_open(struct net *n, const char *prog, const struct net_opts *o, struct synack_config *cfg);
void net_close(struct net *n);

/* Waits for the TUN fd (index 0) and extra fds (indices 1..), until the stack's deadline or
 * `deadline`, whichever is earlier. Returns the ready mask (bit 0 = TUN, bit 1+i = extra[i]),
 * 0 on timeout or a signal, -1 on an error (printed). */
int net_wait(struct net *n, const int *extra, int nextra, synack_time_us deadline, unsigned *ready);
/* Reads up to one batch of packets and feeds them, with those already read, to the stack
 * (at most half the stack's transmit queue, so that its replies fit until net_tx()).
 * Returns packets fed. */
int net_rx(struct net *n);
/* synack_poll(now) with packets going to the TUN and the pcap. */
void net_tx(struct net *n);
synack_time_us net_now(void);

/* Connections not CLOSED, LISTEN or TIME_WAIT. */
long net_active_conns(const struct net *n);

/* Prints every counter as "name value", then the TUN driver's as "tun_name value". */
void net_print_counters(struct net *n, FILE *f);

const char *errno_text(int e); /* "connection refused", ... (lower case) */
#endif
