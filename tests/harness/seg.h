/* Segment-level test harness: one synack stack (10.77.0.2, fixed secret) and a scripted fake
 * peer (10.77.0.1) driven by the test in virtual time.
 *
 * The peer crafts TCP segments with the core's own emitters (tcp_emit/ip4_emit) and feeds them
 * through synack_input(); every packet the stack sends through synack_poll() is parsed
 * (ip4_parse/tcp_parse) into a FIFO the test reads. The on_state hook records every state
 * transition, so connections without a handle (a half-open child, an orphan after close) can be
 * followed too.
 *
 * Fixtures (fx_to_*) drive the stack into each RFC 9293 state through the real socket API and
 * peer segments, checking every step on the way, like lwIP's tcb_in_<state>() or smoltcp's
 * socket_syn_received(). After a fixture the FIFO is empty and these fields describe the
 * connection: iss/snd_nxt (the stack's ISS and SND.NXT as seen on the wire), peer_nxt (the
 * stack's RCV.NXT: what the peer has sent), wnd (the last window the stack advertised).
 *
 * Typical case:
 *   FX_TEST(fsm_example, NULL) {
 *       if (fx_to_established(f)) return;
 *       fx_in(f, SYNACK_RST, f->peer_nxt + 1, 0, NULL, 0);
 *       FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
 *       FX_EXPECT_NONE(f);
 *   }
 * FX_TEST creates the fixture, runs the body and then fx_finish(): close every handle, run
 * virtual time until no timer is left (past 2*MSL), and check that the pools are empty. */
#ifndef SYNACK_TEST_SEG_H
#define SYNACK_TEST_SEG_H
#include <stddef.h>
#include <stdint.h>
#include "synack/synack.h"
#include "synack/socket.h"
#include "core/wire.h"
#include "test.h"

#define SEG_STACK_ADDR 0x0a4d0002u  /* 10.77.0.2: the stack */
#define SEG_PEER_ADDR 0x0a4d0001u   /* 10.77.0.1: the scripted peer */
#define SEG_PORT_LISTEN 80          /* the listener of passive fixtures */
#define SEG_PORT_CLOSED 81          /* a port nobody listens on */
#define SEG_PEER_PORT 40000
#define SEG_PEER_ISS 0xfffff000u    /* near 2^32: sequence arithmetic wraps inside tests */
#define SEG_T0 10000000LL           /* virtual time at the start of a case: 10 s */
#define SEG_BUF 8192                /* rcvbuf/sndbuf: no window scaling, window == 8192 */
#define SEG_REPLY_WAIT 100000LL     /* replies are collected for 100 ms (> delayed ACK 40 ms,
                                       < the 200 ms minimum RTO) */
#define SEG_QMAX 128
#define SEG_MAX_TRANS 512
#define SEG_MAX_HANDLES 16
#define SEG_MS 1000LL
#define SEG_S 1000000LL

/* One packet the stack sent, parsed. */
struct seg {
    synack_time_us at;         /* virtual time of the synack_poll() that emitted it */
    uint8_t proto;             /* IPv4 protocol (6 = TCP) */
    uint8_t ok;                /* parsed as a valid TCP segment */
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;
    uint32_t len;              /* payload bytes */
    struct tcp_opts opts;
    uint8_t data[1500];
};

struct fx_trans { int conn, from, to; synack_time_us at; char ev[40]; };

struct fx {
    struct synack_stack *st;
    struct synack_config cfg;
    synack_time_us now;

    /* the connection under test, from the peer's point of view */
    uint16_t lport;            /* the stack's port */
    uint16_t pport;            /* the peer's port */
    uint32_t peer_iss;
    uint32_t peer_nxt;         /* the peer's SND.NXT == the stack's RCV.NXT once delivered */
    uint16_t peer_wnd;         /* window the peer advertises (default 65535) */
    uint16_t peer_mss;         /* MSS option in the peer's SYN (default 1460; 0 = none) */
    uint32_t iss;              /* the stack's ISS (read from its SYN or SYN-ACK) */
    uint32_t snd_nxt;          /* the stack's SND.NXT (highest sequence it sent + 1) */
    uint16_t wnd;              /* last window the stack advertised on the connection */
    struct seg syn;            /* the stack's SYN or SYN-ACK of the fixture */

    int ls;                    /* listener handle, -1 if none */
    int s;                     /* connection handle, -1 if none */
    int orphan;                /* the user closed s: follow the connection through on_state */
    int conn;                  /* on_state id of the connection (the handle or the child's) */
    int conn_since;            /* index in tr[] where that connection was created */
    int extra[SEG_MAX_HANDLES];/* other handles to close in fx_finish */
    int nextra;

    /* packets the stack sent and the test has not read yet */
    struct seg q[SEG_QMAX];
    int qhead, qlen, qlost;
    int capture;               /* 0: discard output (fx_finish) */

    struct fx_trans tr[SEG_MAX_TRANS];
    int ntr;
};

/* A stack with the harness configuration: 10.77.0.2, fixed secret, 16 sockets, 8 buffer pairs,
 * rcvbuf = sndbuf = 8192, other values the defaults. adjust (may be NULL) edits the config
 * before the stack is made. Returns NULL (after reporting a failure) if the stack cannot be
 * made. */
struct fx *fx_new(void (*adjust)(struct synack_config *cfg));
/* Closes every handle, runs virtual time until no timer is armed (at least past 2*MSL and
 * the FIN_WAIT_2 timeout), checks that sockets, buffers and timers are all released (unless
 * the case failed already), and frees everything. */
void fx_finish(struct fx *f);

/* Registers a handle that fx_finish must close. */
void fx_track(struct fx *f, int handle);

/* ---- the peer ---- */

/* Injects one segment from the peer (10.77.0.1:sport -> 10.77.0.2:dport) at f->now, then
 * polls the stack at f->now and queues what it sent. opts may be NULL (no options). */
void fx_inject(struct fx *f, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
               uint32_t ack, uint16_t window, const struct tcp_opts *opts, const void *data,
               size_t len);
/* fx_inject on the connection's ports with the peer's window and no options. */
void fx_in(struct fx *f, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len);
/* The peer's next in-order segment: SEQ = peer_nxt, ACK = snd_nxt (when flags has ACK);
 * advances peer_nxt by len (+1 for SYN, +1 for FIN). */
void fx_peer(struct fx *f, uint8_t flags, const void *data, size_t len);
/* The peer's SYN options: MSS peer_mss (when not 0), nothing else. */
struct tcp_opts fx_peer_syn_opts(const struct fx *f);

/* ---- time ---- */

/* Polls at f->now. */
void fx_poll(struct fx *f);
/* Advances virtual time by dt, polling at every deadline the stack asks for on the way. */
void fx_run(struct fx *f, synack_time_us dt);
/* fx_run up to an absolute time. */
void fx_run_to(struct fx *f, synack_time_us t);
/* Advances virtual time deadline by deadline until the stack has sent something or max_dt has
 * passed; returns 1 if a packet is queued. */
int fx_run_until_output(struct fx *f, synack_time_us max_dt);

/* ---- what the stack sent ---- */

int fx_pending(const struct fx *f);                    /* packets queued, not read yet */
int fx_pop(struct fx *f, struct seg *out);             /* 1 if one was read */
void fx_flush(struct fx *f);                           /* forget every queued packet */
const char *fx_seg_str(const struct seg *s, char *buf, size_t len);
const char *fx_flags_str(uint8_t flags, char *buf, size_t len);

/* Reads the next packet and checks it is a TCP segment with exactly these flags, this SEQ and
 * (when check_ack) this ACK. Reports a failure at file:line and returns -1 otherwise. */
int fx_expect_(struct fx *f, const char *file, int line, uint8_t flags, uint32_t seq,
               uint32_t ack, int check_ack, struct seg *out);
/* Checks that nothing is queued. */
int fx_expect_none_(struct fx *f, const char *file, int line);
#define FX_EXPECT(f, fl, sq, ak) \
    do { if (fx_expect_((f), __FILE__, __LINE__, (fl), (sq), (ak), 1, NULL)) return; } while (0)
#define FX_EXPECT_SEG(f, fl, sq, ak, out) \
    do { if (fx_expect_((f), __FILE__, __LINE__, (fl), (sq), (ak), 1, (out))) return; } while (0)
#define FX_EXPECT_RST(f, sq) \
    do { if (fx_expect_((f), __FILE__, __LINE__, SYNACK_RST, (sq), 0, 0, NULL)) return; } while (0)
#define FX_EXPECT_NONE(f) do { if (fx_expect_none_((f), __FILE__, __LINE__)) return; } while (0)

/* ---- states ---- */

/* State of the connection under test: SYNACK_TCP_STATE on the handle while the user holds
 * it, otherwise the last transition of that connection recorded by on_state (CLOSED once it
 * ended, even if its slot was reused since). -1 if unknown. */
int fx_state(struct fx *f);
/* Same, for the connection created by transition index `since` with on_state id `conn`. */
int fx_conn_state(const struct fx *f, int conn, int since);
/* Index in tr[] of the first CLOSED -> SYN_RCVD transition at or after `since` (a new
 * half-open child), or -1. */
int fx_new_child(const struct fx *f, int since);
/* Pending SO_ERROR of handle s (positive errno, 0 for none), clearing it; -1 on EBADF. */
int fx_so_error(struct fx *f, int s);
/* Integer socket option, or -1000 on failure. */
int fx_sockopt(struct fx *f, int s, int opt);
/* "CLOSED SYN_RCVD ESTABLISHED ..." for the connection created at transition `since`. */
const char *fx_states_str(const struct fx *f, int conn, int since, char *buf, size_t len);
uint64_t fx_counter(const struct fx *f, enum synack_counter c);
/* Sockets in use in the stack (listener, connections). */
unsigned fx_sockets(const struct fx *f);

/* ---- fixtures: each returns 0, or -1 after reporting what went wrong ---- */

int fx_to_closed(struct fx *f);          /* no connection: port 81 has no listener */
int fx_to_listen(struct fx *f);          /* listener on port 80, backlog 8 */
int fx_to_syn_sent(struct fx *f);        /* connect(): our SYN sent */
int fx_to_syn_rcvd(struct fx *f);        /* passive: peer SYN to the listener, SYN-ACK sent */
int fx_to_syn_rcvd_active(struct fx *f); /* simultaneous open: connect, then a bare peer SYN */
int fx_to_established(struct fx *f);     /* passive, accepted (handle s) */
int fx_to_established_active(struct fx *f); /* connect + SYN-ACK + our ACK */
int fx_to_close_wait(struct fx *f);      /* established + peer FIN */
int fx_to_last_ack(struct fx *f);        /* close_wait + close(): our FIN not acked; orphan */
int fx_to_fin_wait_1(struct fx *f);      /* established + close(): our FIN not acked; orphan */
int fx_to_fin_wait_2(struct fx *f);      /* fin_wait_1 + peer ACK of our FIN */
int fx_to_closing(struct fx *f);         /* fin_wait_1 + peer FIN that does not ACK ours */
int fx_to_time_wait(struct fx *f);       /* fin_wait_2 + peer FIN */

/* CHECK_MSG for helpers that return int: fail the test and return -1. */
#define FX_REQUIRE(c, ...) do { if (!(c)) { test_fail(__FILE__, __LINE__, __VA_ARGS__); return -1; } } while (0)

/* A case with a fixture: the body gets `struct fx *f`, fx_finish runs afterwards. */
#define FX_TEST(name, adjust)                                                 \
    static void fxbody_##name(struct fx *f);                                 \
    TEST(name)                                                               \
    {                                                                        \
        struct fx *f_ = fx_new(adjust);                                      \
        if (!f_) return;                                                     \
        fxbody_##name(f_);                                                   \
        fx_finish(f_);                                                       \
    }                                                                        \
    static void fxbody_##name(struct fx *f)
#endif
