/* Shared by `synack serve` and `synack connect`: option parsing helpers, the link + stack
 * plumbing (one struct synack_netdev per interface: TUN carries bare IPv4 into synack_input(),
 * TAP and AF_XDP carry Ethernet frames into the core's Ethernet layer, synack_eth_input()),
 * the wait, receive and transmit steps of the loop, pcap and --impair on the way, the --trace
 * hooks, and a tally of connection states fed by the on_state hook. */
#ifndef SYNACK_TOOLS_COMMON_H
#define SYNACK_TOOLS_COMMON_H
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "synack/eth.h"
#include "synack/link.h"
#include "synack/netdev.h"
#include "synack/socket.h"
#include "synack/synack.h"
#include "synack/tun.h"

/* Frames taken from each ready device per receive step, at most. */
#define NET_BATCH 64
/* Received frames held between reading and the stack: while the stack's poll emits a long
 * burst, the kernel answers with ACKs faster than a TUN queue (txqueuelen packets) can hold
 * them, so the emit callback reads them out into this queue every NET_DRAIN_EVERY frames. */
#define NET_RXQ_BYTES (8u << 20)
#define NET_RXQ_MAX 8192
#define NET_DRAIN_EVERY 16
/* Interfaces at most (several only with --xdp). */
#define NET_MAX_DEVS SYNACK_ETH_MAX_IFS
/* A device that went away while nothing arrived is noticed within this long. */
#define NET_CHECK_US 250000

enum net_link { NET_LINK_NONE = 0, NET_LINK_TUN, NET_LINK_TAP, NET_LINK_XDP };

/* Options both commands share. */
struct net_opts {
    enum net_link link;         /* which of --tun, --tap, --xdp */
    const char *ifname[NET_MAX_DEVS]; /* --tun NAME / --tap NAME / --xdp IFNAME... */
    int nif;
    uint32_t addr;              /* --addr IP[/PREFIX] (synack's own) */
    int have_addr;
    int addr_prefix;            /* 0 = not given */
    uint32_t host_addr;         /* --host-addr IP/PREFIX (kernel side, TUN/TAP), optional */
    int host_prefix;            /* 0 = not given */
    uint32_t gateway;           /* --gateway IP (Ethernet links), 0 = none */
    uint8_t mac[6];             /* --mac (TAP) */
    int have_mac;
    int offload;                /* --offload (TUN) */
    int xdp_mode;               /* --xdp-mode: SYNACK_XDP_MODE_* */
    int have_xdp_mode;
    int xdp_copy;               /* --xdp-copy */
    unsigned queues;            /* --queues N (XDP; 0 = every rx queue) */
    int busy_poll;              /* --busy-poll */
    const char *pcap;           /* --pcap FILE */
    int trace;                  /* --trace */
    unsigned mtu;               /* --mtu (0 = the device's, or 1500 when we configure it) */
    unsigned rcvbuf, sndbuf;    /* --rcvbuf/--sndbuf bytes (0 = default) */
    unsigned max_conns;         /* --max-conns (0 = default) */
    const char *impair;         /* --impair SPEC (user-space netem, see common.c) */
};

/* Frames held back by --impair in one direction, in release order. */
struct impair_q {
    uint8_t *buf;
    uint32_t *len;
    uint8_t *ifx;               /* the interface (index into struct net's devices) */
    synack_time_us *at;
    unsigned cap, slot, head, count;
};

/* --impair: loss, duplication, delay and reordering applied by the tool itself between the
 * device and the stack, in either or both directions (like tc netem, whose reorder means:
 * this share of packets skips the delay), to IPv4 packets or Ethernet frames alike. For
 * kernels without sch_netem. */
struct impair {
    int on, dirs;               /* dirs: bit 0 = in (device to stack), bit 1 = out */
    double loss, dup, reorder;  /* probabilities */
    synack_time_us delay;
    uint64_t rng;
    struct impair_q q[2];       /* [0] in, [1] out */
    uint64_t lost[2], duped[2], reordered[2], overflow[2];
};

struct net {
    const char *prog;           /* "synack serve" / "synack connect", for messages */
    struct synack_stack *st;
    struct synack_eth *eth;     /* Ethernet links: the core's Ethernet layer over st */
    enum net_link link;
    struct synack_netdev *dev[NET_MAX_DEVS];
    int ethif[NET_MAX_DEVS];    /* synack_eth_add_if() index of each device */
    unsigned ifindex[NET_MAX_DEVS]; /* the kernel's, to notice a deleted interface */
    int txdirty[NET_MAX_DEVS];  /* frames queued by tx since the last flush */
    int ndev;
    unsigned dev_ready;         /* devices to read (bit i = dev[i]), set by net_wait() */
    unsigned fd_ready;          /* ... of those, the ones whose fd was readable */
    unsigned idle_wakes;        /* consecutive wakes of a ready fd that gave nothing */
    synack_time_us next_check;  /* when to look for deleted interfaces again */
    int failed;                 /* a device failed (message printed): stop */
    int busy_poll;
    struct synack_pcap *pcap;
    int trace;
    synack_time_us t0;          /* start (monotonic), for trace timestamps */
    synack_time_us wall_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, for pcap stamps */
    unsigned mtu;               /* the stack's IP MTU */
    unsigned frame_max;         /* largest frame a device hands over */
    uint8_t *rxq;               /* rxq_cap slots of rxq_slot bytes */
    uint32_t *rxq_len;
    uint8_t *rxq_if;
    unsigned rxq_cap, rxq_slot, rxq_head, rxq_count;
    unsigned since_fill;        /* frames emitted since the emit callback last read */
    unsigned rx_budget;         /* frames fed to the stack per net_rx(), at most */
    int rx_fill_dev;            /* device being drained into rxq (rx callback context) */
    int rx_feed_dev;            /* device being fed directly */
    synack_time_us rx_now;
    struct impair imp;
    uint64_t tx_errors;
    /* connections by state, kept by the on_state hook from the transitions of handles >= 0
     * (half-open entries reported as conn -1 are not counted) */
    long nstate[SYNACK_NSTATES];
    uint8_t *conn_state;        /* last state seen per handle */
    unsigned nconn_state;
    char desc[128];             /* "tun syn0", "xdp veth0,veth1", for messages */
};

/* Parsing. Each returns 0, or -1 after printing "prog: bad VALUE for --opt". */
int opt_ip(const char *prog, const char *opt, const char *s, uint32_t *out);
int opt_ip_prefix(const char *prog, const char *opt, const char *s, uint32_t *addr, int *prefix);
int opt_ip_port(const char *prog, const char *opt, const char *s, uint32_t *addr, uint16_t *port);
int opt_uint(const char *prog, const char *opt, const char *s, unsigned long lo, unsigned long hi,
             unsigned long *out);
int opt_double(const char *prog, const char *opt, const char *s, double *out);
int opt_mac(const char *prog, const char *opt, const char *s, uint8_t mac[6]);

/* Handles the options of struct net_opts at argv[*i] (advancing *i past a value).
 * Returns 1 if it was one of them, 0 if not, -1 on a bad or missing value (message printed). */
int net_opt(const char *prog, struct net_opts *o, int argc, char **argv, int *i);
/* After parsing: a link and --addr given, and the options fit the link. 0, or -1 (printed). */
int net_opts_check(const char *prog, const struct net_opts *o);
/* Usage lines of those options. */
extern const char net_opts_usage[];

/* Opens the devices, configures the host side when asked, creates the stack with cfg
 * (addr, secret, mtu, hooks and the buffer sizes from o filled in here) and, for Ethernet
 * links, its Ethernet layer with one interface per device. 0 or -1 (printed). */
int net_open(struct net *n, const char *prog, const struct net_opts *o, struct synack_config *cfg);
void net_close(struct net *n);

/* Waits for the devices' fds and extra fds (indices 0..), until the stack's deadline or
 * `deadline`, whichever is earlier (with --busy-poll: does not sleep). Returns the ready
 * mask (bit 0 = some device has frames, bit 1+i = extra[i]), 0 on timeout or a signal, -1 on
 * an error or after a device failed (printed). */
int net_wait(struct net *n, const int *extra, int nextra, synack_time_us deadline, unsigned *ready);
/* Feeds the frames already read, then a batch from each ready device, to the stack (at most
 * half the stack's transmit queue, so that its replies fit until net_tx()). Returns frames
 * fed, or -1 when a device failed (printed; the command must stop). */
int net_rx(struct net *n);
/* Polls the stack (now) with frames going to the devices and the pcap, then flushes each
 * device once. 0, or -1 when a device failed (printed). */
int net_tx(struct net *n);
synack_time_us net_now(void);

/* Connections not CLOSED, LISTEN or TIME_WAIT. */
long net_active_conns(const struct net *n);

/* Prints every counter as "name value", then the devices' as "dev_name value" (summed over
 * the devices; TUN also as the older "tun_name value"). */
void net_print_counters(struct net *n, FILE *f);

const char *errno_text(int e); /* "connection refused", ... (lower case) */
#endif
