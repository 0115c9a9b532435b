/* Internal definitions shared by the core's files: the stack object, the socket slot (which is
 * also the TCB), buffers, timers and the functions the files call in each other.
 *
 * Memory: everything is allocated once in synack_stack_new() from the config: socket slots
 * (cheap: a TCB without buffers), buffer pairs (receive + send rings; a connection takes one when
 * it becomes synchronized, never for a half-open SYN_RCVD), the transmit queue, the connection
 * hash table and the timer heap. Nothing is allocated per packet.
 *
 * Call order: synack_input() -> ip4 demux (stack.c) -> tcp_input() (tcp_input.c) which queues
 * immediate replies (ACK, RST, SYN-ACK) and marks connections that have data to send; then
 * synack_poll() runs due timers (tcp_timer.c), calls tcp_output() for marked connections
 * (tcp_output.c) and hands the transmit queue to the caller. */
#ifndef SYNACK_CORE_STACK_H
#define SYNACK_CORE_STACK_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "synack/synack.h"
#include "err.h"
#include "seq.h"
#include "wire.h"

/* SQLite-style defensive macros: ALWAYS(x)/NEVER(x) mark conditions believed impossible. */
#define ALWAYS(x) (x)
#define NEVER(x) (x)

/* Transmit slots keep room in front of the IPv4 packet for a link header (Ethernet II: 14),
 * so the Ethernet layer frames a packet in place. */
#define TXQ_HEADROOM 16
/* Where a queued packet goes on an Ethernet link: has_mac set = to mac on interface ifindex
 * (the source of the frame it answers); otherwise it is routed (eth.c). */
struct tx_meta { uint8_t has_mac, ifindex; uint8_t mac[6]; };

enum sock_kind { SK_FREE = 0, SK_TCP, SK_UDP };

/* Per-connection timers (OpenBSD tcp_timer.h style: one deadline per slot, NEVER = disarmed). */
enum tcp_timer {
    TT_REXMT = 0,   /* retransmission of SYN, SYN-ACK, data, FIN (RFC 6298) */
    TT_PERSIST,     /* zero-window probe (RFC 9293 §3.8.6.1) */
    TT_DELACK,      /* delayed ACK (RFC 9293 §3.8.6.3, RFC 1122 4.2.3.2) */
    TT_2MSL,        /* TIME_WAIT, and the orphaned FIN_WAIT_2 timeout */
    TT_NTIMERS
};

/* Out-of-order ranges held in the receive ring, as offsets from RCV.NXT (smoltcp Assembler). */
#define REASS_MAX 32
struct reass { uint32_t start[REASS_MAX], end[REASS_MAX]; uint8_t n; };

/* A byte ring. */
struct ring { uint8_t *data; uint32_t cap, head, len; };

struct bufpair {
    struct ring rcv, snd;
    struct reass reass;
    int next_free;
};

struct tcb {
    uint8_t kind;           /* enum sock_kind */
    uint8_t state;          /* enum synack_tcp_state */
    uint8_t user_open;      /* the user holds a handle to it */
    uint8_t bound;          /* local port assigned */
    uint8_t passive;        /* created by a listener (SYN_RCVD returns to LISTEN on RST) */
    uint8_t in_dirty;       /* on the stack's output list */
    uint8_t ws_ok, ts_ok, sack_ok;
    uint8_t snd_wscale, rcv_wscale;
    uint8_t fin_queued;     /* the user closed the write side: FIN at fin_seq */
    uint8_t tfo_connect;    /* TCP_FASTOPEN_CONNECT: the client side of RFC 7413 */
    uint8_t tfo_deferred;   /* connect() returned at once; the SYN waits for the first send */
    uint16_t tfo_syn_len;   /* bytes of data our first SYN carried */
    uint8_t ack_on_flush;   /* send a pending delayed ACK at the next output (sock.c) */
    uint8_t fin_bare;       /* the FIN first went out alone (no data in its segment) */
    uint8_t fin_pending;    /* SHUT_WR in SYN_RCVD: queue the FIN once ESTABLISHED */
    uint8_t fin_rcvd;       /* FIN received and consumed (RCV.NXT is past it) */
    uint8_t fin_ooo;        /* FIN received out of order at rcv_fin_seq */
    uint8_t shut_rd;
    uint8_t nodelay, reuseaddr, linger0;
    uint8_t dupacks, in_recovery, rexmt_count, rtt_timing, ack_pending;
    uint8_t syn_rexmit;     /* our SYN (or SYN-ACK) was retransmitted: no RTT sample from the
                               handshake (Karn), and RTO >= 3 s afterwards (RFC 6298 §5.7) */
    uint8_t persist_shift;
    uint8_t src_counted;    /* counted in the stack's per-source table (passive, established) */
    struct tx_meta l2;      /* Ethernet links: where the peer's acceptable segments came from
                               (its MAC and our interface); the connection's output goes there,
                               as a route cache would, without the neighbour cache */
    uint8_t persist_probes; /* zero-window probes since the last ACK (an answer) */
    uint8_t persist_total;  /* zero-window probes since the window closed */
    synack_time_us persist_since; /* when the window was found closed */
    synack_time_us user_timeout_us; /* SYNACK_TCP_USER_TIMEOUT (0: off) */
    synack_time_us rexmt_since;     /* first transmission of what the running RTO covers */
    synack_time_us rto_at;  /* when the running RTO fires (a tail loss probe may come first) */
    int err;                /* pending SO_ERROR (negative code) */
    int hard_err;           /* the error that closed the connection (for recv/send) */
    int idx;                /* own index */
    int hnext;              /* connection hash chain */
    int parent;             /* listener, for a child not yet accepted */
    int qnext;              /* accept-queue / listener-list / dirty-list link */
    int dnext;
    int heap_pos;           /* position in the timer heap, -1 when absent */
    int tw_prev, tw_next;   /* the TIME_WAIT list, oldest first (-2: not on it) */
    int buf;                /* buffer pair, -1 when none */

    uint32_t laddr, raddr;
    uint16_t lport, rport;

    /* listener */
    uint16_t backlog, n_accept, n_half, syn_backlog;
    int acc_head, acc_tail;

    /* RFC 9293 §3.3.1 send sequence variables */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t fin_seq;
    uint16_t snd_mss, rcv_mss, user_mss;
    /* receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv, rcv_fin_seq;
    /* RFC 2018 §4: SACK blocks in order of recency. sack_mru holds a sequence number inside
     * each of the most recently received/reported out-of-order ranges, newest first. */
    uint32_t sack_mru[4];
    uint8_t sack_mru_n;
    uint32_t last_ack_sent;

    /* congestion control (RFC 5681, NewReno RFC 6582) and SACK loss recovery (RFC 6675):
     * `sacked` holds what the peer SACKed, as offsets from SND.UNA; high_rxt is HighRxt. */
    uint32_t cwnd, ssthresh, recover, high_rxt, ca_acked;
    struct reass sacked;
    /* Spurious retransmission undo (RFC 3522 Eifel detection, RFC 4015 response): the TSval
     * our first retransmission carried and the window before we reduced it. undo: 0 none,
     * 1 fast retransmit, 2 timeout. dupthresh grows when reordering fooled us. */
    uint32_t undo_tsval, prior_cwnd, prior_ssthresh;
    uint8_t undo, dupthresh;
    /* RFC 8985 §7 tail loss probe: the REXMT slot holds a probe timeout (tlp_armed), and at
     * most one probe is outstanding until new data is acknowledged (tlp_sent). */
    uint8_t tlp_armed, tlp_sent;
    uint8_t quickack;       /* data segments still to ACK at once (Linux's quick-ACK mode) */
    uint32_t snd_limit;     /* SO_SNDBUF: bytes the send ring may hold (<= its capacity) */

    /* RTO (RFC 6298) */
    synack_time_us srtt, rttvar, rto, rtt_start;
    uint32_t rtt_seq;

    /* timestamps (RFC 7323) */
    uint32_t ts_recent, ts_offset;
    synack_time_us ts_recent_age;

    /* RFC 5961 §7 challenge ACK rate limit (per connection: no global counter to leak) */
    synack_time_us chack_window_start;
    uint32_t chack_count;
    synack_time_us oow_last; /* last ACK to an out-of-window segment (tcp_input.c) */

    synack_time_us timer[TT_NTIMERS];
    synack_time_us deadline;
};

#define SRC_BUCKETS 4096

/* UDP datagrams are stored in the receive ring as records: len(2) addr(4) port(2) data. */
#define UDP_REC_HDR 8

/* RFC 7413 §4.1.3: the client's cache of Fast Open cookies, by server address (with the MSS
 * the server announced, to size the data of the next SYN). Fixed size, oldest replaced. */
#define SYNACK_TFO_CACHE 16
struct tfo_entry {
    uint32_t raddr;
    uint16_t mss;
    uint8_t len;            /* 0: empty slot */
    uint8_t cookie[16];
};

struct synack_stack {
    struct synack_config cfg;
    struct tfo_entry tfo[SYNACK_TFO_CACHE];
    unsigned tfo_next;
    uint64_t counters[SYNACK_NCOUNTERS];
    uint8_t hash_key[16];

    struct tcb *tcbs;
    unsigned ntcbs, tcbs_in_use;
    int free_tcb;           /* free list via qnext */

    struct bufpair *bufs;
    uint8_t *buf_mem;
    unsigned nbufs, bufs_in_use;
    int free_buf;

    int *hash;              /* connection hash buckets */
    uint32_t hash_mask;
    int listeners;          /* listening sockets, linked through qnext */
    int udp_socks;          /* UDP sockets, linked through qnext */

    struct synack_syncache *sc; /* half-open connections (tcp_syncache.c) */
    int *heap;              /* timer heap of tcb indices ordered by deadline */
    unsigned heap_len;

    int dirty_head;         /* connections with output pending */
    uint16_t *src_conns;    /* SRC_BUCKETS counters: passive connections per source hash */
    int tw_head, tw_tail;   /* connections in TIME_WAIT, in the order they entered it */
    unsigned tw_count;

    uint8_t *txq;           /* transmit queue: slots of TXQ_HEADROOM + mtu bytes */
    uint16_t *txq_len;
    struct tx_meta *txq_meta;
    unsigned txq_cap, txq_head, txq_count;
    size_t txq_stride;
    /* The link-layer source of the frame being processed (set by eth.c around synack_input):
     * replies queued to rx_l2.src_ip meanwhile are tagged to go back to that MAC. */
    struct rx_l2 { uint8_t valid, ifindex; uint8_t mac[6]; uint32_t src_ip; } rx_l2;

    uint16_t ip_id;
    uint32_t port_counter;
    synack_time_us now;

    /* Rate limits: token buckets (Linux icmp_ratelimit; FreeBSD badport_bandlim for RSTs) */
    struct synack__bucket { synack_time_us last; uint32_t tokens; } icmp_bucket, rst_bucket;

    size_t bytes_reserved;
};

#define CNT(st, name) ((st)->counters[SYNACK_C_##name]++)
#define CNT_ADD(st, name, n) ((st)->counters[SYNACK_C_##name] += (n))

/* stack.c */
/* Token bucket: rate_per_s tokens a second, at most burst; returns 1 and takes one if there is. */
int synack__bucket_take(struct synack_stack *st, struct synack__bucket *b, uint32_t rate_per_s,
                        uint32_t burst);
uint8_t *synack__tx_alloc(struct synack_stack *st);      /* NULL when the queue is full */
void synack__tx_commit(struct synack_stack *st, size_t len);
/* The same for a connection's segment: without a frame to answer, it goes where the peer's
 * segments come from (tcb.l2), when that is known. */
void synack__tx_commit_l2(struct synack_stack *st, size_t len, const struct tx_meta *l2);
/* Records where an acceptable segment of t came from (Ethernet links). */
static inline void synack__tcp_learn_l2(struct synack_stack *st, struct tcb *t);
/* synack_poll() whose emit sees each packet's tx_meta; pkt has TXQ_HEADROOM writable bytes in
 * front of it (for eth.c). */
typedef void (*synack__emit_meta_fn)(void *ctx, uint8_t *pkt, size_t len, const struct tx_meta *m);
void synack__poll_meta(struct synack_stack *st, synack_time_us now, synack__emit_meta_fn emit,
                       void *ctx);
int synack__ip_send(struct synack_stack *st, uint32_t dst, uint8_t proto,
                    const uint8_t *payload, size_t len);
void synack__icmp_error(struct synack_stack *st, uint8_t type, uint8_t code,
                        const uint8_t *orig_ip, size_t orig_len);
int synack__buf_alloc(struct synack_stack *st);
void synack__buf_free(struct synack_stack *st, int b);
struct tcb *synack__tcb_alloc(struct synack_stack *st);
void synack__tcb_free(struct synack_stack *st, struct tcb *t);
void synack__udp_input(struct synack_stack *st, const struct ip4_view *ip, const uint8_t *raw,
                       size_t rawlen);
void synack__trace_seg(struct synack_stack *st, enum synack_dir dir, uint32_t saddr,
                       uint32_t daddr, const struct tcp_view *tv);

/* ring.c */
uint32_t ring_free(const struct ring *r);
void ring_write_at(struct ring *r, uint32_t off, const uint8_t *p, uint32_t n); /* off from head */
void ring_read_at(const struct ring *r, uint32_t off, uint8_t *p, uint32_t n);
void ring_consume(struct ring *r, uint32_t n);
/* Out-of-order bookkeeping: add [start,end) (offsets from RCV.NXT); returns 0 or -1 if full.
 * reass_advance(n) shifts after RCV.NXT moved by n, returns bytes now contiguous at 0. */
int reass_add(struct reass *a, uint32_t start, uint32_t end);
uint32_t reass_take_front(struct reass *a, uint32_t contiguous);
/* The origin moved forward by n: drop what lies before it, rebase the rest. */
void reass_shift(struct reass *a, uint32_t n);
/* The first gap at or after offset `from` that lies below the highest range's end, as
 * [*start, *start + *len); returns 0 when there is none. */
int reass_next_gap(const struct reass *a, uint32_t from, uint32_t *start, uint32_t *len);

/* tcp_conn.c */
uint32_t synack__tuple_hash(const struct synack_stack *st, uint32_t laddr, uint16_t lport,
                            uint32_t raddr, uint16_t rport);
struct tcb *synack__tcp_lookup(struct synack_stack *st, uint32_t laddr, uint16_t lport,
                               uint32_t raddr, uint16_t rport);
struct tcb *synack__tcp_listener(struct synack_stack *st, uint32_t laddr, uint16_t lport);
struct tcb *synack__tcp_lookup_hashed(struct synack_stack *st, uint32_t h, uint32_t laddr,
                                      uint16_t lport, uint32_t raddr, uint16_t rport);
void synack__tcp_hash_insert(struct synack_stack *st, struct tcb *t);
void synack__tcp_hash_remove(struct synack_stack *st, struct tcb *t);
void synack__tcp_set_state(struct synack_stack *st, struct tcb *t, int new_state,
                           const char *event);
void synack__tcp_close_conn(struct synack_stack *st, struct tcb *t, int err, const char *event);
/* Ends the oldest TIME_WAIT connection the user has closed; 1 if there was one. */
int synack__timewait_recycle(struct synack_stack *st);
void synack__tw_unlink(struct synack_stack *st, struct tcb *t);
void synack__tcp_init_conn(struct synack_stack *st, struct tcb *t);
int synack__tcp_attach_buffers(struct synack_stack *st, struct tcb *t);
void synack__tcp_established(struct synack_stack *st, struct tcb *t);
const struct tfo_entry *synack__tfo_lookup(const struct synack_stack *st, uint32_t raddr);
void synack__tfo_store(struct synack_stack *st, uint32_t raddr, const uint8_t *cookie, uint8_t len,
                       uint16_t mss);
void synack__tcp_mark_dirty(struct synack_stack *st, struct tcb *t);
void synack__tcp_queue_fin(struct synack_stack *st, struct tcb *t, const char *event);
int synack__tcp_port_bound(struct synack_stack *st, uint16_t port);
uint16_t synack__tcp_ephemeral_port(struct synack_stack *st, uint32_t raddr, uint16_t rport);

/* tcp_syncache.c */
struct synack_syncache;
size_t synack__syncache_size(unsigned entries);
struct synack_syncache *synack__syncache_init(void *mem, unsigned entries, unsigned bucket_limit);
unsigned synack__syncache_used(const struct synack_stack *st);
/* h: synack__tuple_hash of the segment's 4-tuple (local, remote). isn_floor: NULL, or (for a
 * SYN that replaces a TIME_WAIT connection) a value the new ISN must lie above (RFC 6191). */
void synack__syncache_syn(struct synack_stack *st, struct tcb *l, const struct ip4_view *ip,
                          const struct tcp_view *tv, uint32_t h, const uint32_t *isn_floor);
void synack__syncache_segment(struct synack_stack *st, struct tcb *l, const struct ip4_view *ip,
                              struct tcp_view *tv, uint32_t h);
void synack__syncache_timers(struct synack_stack *st, synack_time_us now);
synack_time_us synack__syncache_next(const struct synack_stack *st);
void synack__syncache_drop_listener(struct synack_stack *st, struct tcb *l);
uint32_t synack__cookie_generate(struct synack_stack *st, uint32_t laddr, uint32_t raddr, uint16_t lport,
                                 uint16_t rport, uint32_t irs, uint16_t mss, uint64_t *h);
int synack__cookie_validate(struct synack_stack *st, uint32_t laddr, uint32_t raddr, uint16_t lport,
                            uint16_t rport, uint32_t irs, uint32_t iss, uint16_t *mss, uint64_t *h);

/* tcp_timer.c */
void synack__timer_set(struct synack_stack *st, struct tcb *t, enum tcp_timer which,
                       synack_time_us when);
void synack__timers_clear(struct synack_stack *st, struct tcb *t);
void synack__timers_run(struct synack_stack *st, synack_time_us now);
void synack__tcp_arm_rexmt(struct synack_stack *st, struct tcb *t);
void synack__tcp_rearm_after_send(struct synack_stack *st, struct tcb *t);
void synack__rto_sample(struct synack_stack *st, struct tcb *t, synack_time_us rtt);
synack_time_us synack__rto_backoff(struct synack_stack *st, struct tcb *t);

/* tcp_output.c */
void synack__tcp_output(struct synack_stack *st, struct tcb *t);
int synack__tcp_send_ctl(struct synack_stack *st, struct tcb *t, uint32_t seq, uint8_t flags);
int synack__tcp_send_ack(struct synack_stack *st, struct tcb *t);
int synack__tcp_send_syn(struct synack_stack *st, struct tcb *t);
/* how: SYNACK_SD_REXMIT counts a retransmission; SYNACK_SD_PUSH sets PSH (the last segment
 * of a burst of new data), besides the segment that empties the send buffer, which always has it. */
#define SYNACK_SD_REXMIT 1u
#define SYNACK_SD_PUSH 2u
int synack__tcp_send_data(struct synack_stack *st, struct tcb *t, uint32_t seq, uint32_t len,
                          unsigned how);
void synack__tcp_send_rst_for(struct synack_stack *st, uint32_t laddr, uint32_t raddr,
                              const struct tcp_view *tv);
uint32_t synack__tcp_ts_now(const struct synack_stack *st, const struct tcb *t);
uint32_t synack__tcp_rcv_window(const struct synack_stack *st, const struct tcb *t);
uint32_t synack__tcp_data_start(const struct tcb *t);
uint32_t synack__tcp_snd_buffered(const struct synack_stack *st, const struct tcb *t);

/* tcp_input.c */
void synack__tcp_input(struct synack_stack *st, const struct ip4_view *ip);
void synack__tcp_sync_input(struct synack_stack *st, struct tcb *t, const struct ip4_view *ip,
                            struct tcp_view *tv);
void synack__tcp_icmp_error(struct synack_stack *st, uint8_t type, uint8_t code,
                            const uint8_t *orig, size_t len);

static inline unsigned src_bucket(const struct synack_stack *st, uint32_t raddr)
{
    uint32_t k;
    memcpy(&k, st->hash_key + 4, sizeof k);
    return ((raddr ^ k) * 0x9e3779b1u) >> 20 & (SRC_BUCKETS - 1);
}

static inline void synack__tcp_learn_l2(struct synack_stack *st, struct tcb *t)
{
    if (!st->rx_l2.valid || st->rx_l2.src_ip != t->raddr) return;
    t->l2.has_mac = 1;
    t->l2.ifindex = st->rx_l2.ifindex;
    memcpy(t->l2.mac, st->rx_l2.mac, 6);
}

static inline struct bufpair *tcb_buf(const struct synack_stack *st, const struct tcb *t)
{
    return t->buf >= 0 ? &st->bufs[t->buf] : NULL;
}

/* State predicates (OpenBSD tcp_fsm.h ordering: states before ESTABLISHED are unsynchronized,
 * states after CLOSE_WAIT mean the user has closed). */
static inline int tcp_have_rcvd_syn(int s) { return s >= SYNACK_SYN_RCVD; }
static inline int tcp_synchronized(int s) { return s >= SYNACK_ESTABLISHED; }
static inline int tcp_user_closed(int s) { return s > SYNACK_CLOSE_WAIT; }
/* States in which received text is delivered (RFC 9293 §3.10.7.4 seventh). */
static inline int tcp_can_rcv_data(int s)
{ return s == SYNACK_ESTABLISHED || s == SYNACK_FIN_WAIT_1 || s == SYNACK_FIN_WAIT_2; }
/* States in which the user may still send. */
static inline int tcp_can_send(int s)
{ return s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT; }
#endif
