/* Review of the user-facing API and resource lifecycle: cases that fail on the code as
 * reviewed (each comment says what is wrong and where). */
#include <errno.h>
#include <stdlib.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/wire.h"

/* ---- a bare stack driven by hand, recording the size of every packet it emits ---- */

#define RA_SRV 0x0a4d0002u
#define RA_CLI 0x0a4d0001u

struct ra {
    struct synack_stack *st;
    synack_time_us now;
    size_t max_len;         /* longest packet emitted */
    int npkts, nsyn;
    uint32_t syn_seq;
    uint16_t syn_sport;
};

static void ra_emit(void *ctx, const uint8_t *p, size_t len)
{
    struct ra *r = ctx;
    struct ip4_view ip;
    struct tcp_view tv;
    r->npkts++;
    if (len > r->max_len) r->max_len = len;
    if (ip4_parse(p, len, &ip) || ip.proto != IP4_PROTO_TCP ||
        tcp_parse(ip.payload, ip.payload_len, ip.src, ip.dst, &tv))
        return;
    if (tv.flags & SYNACK_SYN) { r->nsyn++; r->syn_seq = tv.seq; r->syn_sport = tv.sport; }
}

static void ra_poll(struct ra *r) { synack_poll(r->st, r->now, ra_emit, r); }

static void ra_seg(struct ra *r, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                   uint32_t ack, const struct tcp_opts *opts)
{
    uint8_t p[256];
    struct tcp_opts o;
    size_t n;
    if (opts) o = *opts; else memset(&o, 0, sizeof o);
    n = tcp_emit(p + 20, RA_CLI, RA_SRV, sport, dport, seq, ack, flags, 65535, &o, NULL, 0);
    ip4_emit(p, RA_CLI, RA_SRV, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
    synack_input(r->st, r->now, p, 20 + n);
}

/* BUG (src/core/tcp_input.c:syn_options, src/core/tcp_syncache.c:make_child, accepted by
 * src/core/stack.c:synack_stack_new): synack_stack_new accepts any mtu >= 68, but the send
 * MSS is floored at 64 bytes after being clamped to mtu - 40, so with an mtu below 104 a
 * data segment is 40 + 64 (or 40 + 12 + 52 with timestamps) = 104 bytes. emit_segment
 * (src/core/tcp_output.c) computes `room = mtu - 40 - len` in size_t, which wraps, so the
 * segment is written past its mtu-sized transmit slot: into the next queued packet, or past
 * the end of the transmit queue allocation (heap-buffer-overflow under ASan). */
TEST(reviewapi_small_mtu_data_segment_overflows_tx_slot)
{
    static struct ra r;
    struct synack_config cfg;
    struct tcp_opts o;
    static char data[2000];
    int s;
    memset(&r, 0, sizeof r);
    synack_config_default(&cfg);
    cfg.addr = RA_SRV;
    cfg.mtu = 100;                  /* accepted by synack_stack_new (>= 68) */
    cfg.tx_queue_frames = 4;        /* the 4th slot is the end of the queue's allocation */
    cfg.timestamps = 0;
    cfg.window_scaling = 0;
    CHECK_EQ(synack_stack_new(&cfg, &r.st), 0);
    r.now = 1000000;
    synack_set_now(r.st, r.now);
    s = synack_socket(r.st, SYNACK_SOCK_STREAM);
    CHECK(s >= 0);
    CHECK_EQ(synack_connect(r.st, s, RA_CLI, 5000), -1);
    CHECK_EQ(errno, EINPROGRESS);
    ra_poll(&r);
    CHECK_EQ(r.nsyn, 1);
    memset(&o, 0, sizeof o);
    o.has_mss = 1;
    o.mss = 1460;                   /* the peer's link is bigger than ours */
    ra_seg(&r, 5000, r.syn_sport, SYNACK_SYN | SYNACK_ACK, 7000, r.syn_seq + 1, &o);
    ra_poll(&r);
    CHECK_EQ(synack_getsockopt(r.st, s, SYNACK_TCP_STATE, &(int){0}), 0);
    memset(data, 'x', sizeof data);
    CHECK(synack_send(r.st, s, data, sizeof data) > 0);
    r.max_len = 0;
    ra_poll(&r);
    synack_stack_free(r.st);
    CHECK_MSG(r.max_len <= cfg.mtu, "emitted a %zu-byte packet with mtu %u", r.max_len, cfg.mtu);
}

/* BUG (same place): with 68 <= mtu < 80, emit_segment reserves 40 bytes of options for a SYN
 * and finds no room, so connect() returns EINPROGRESS but no SYN is ever sent (every
 * retransmission fails the same way) until ETIMEDOUT. A config the stack cannot use should
 * be refused by synack_stack_new (or the SYN built to fit). */
TEST(reviewapi_mtu_68_accepted_but_connect_never_sends_syn)
{
    static struct ra r;
    struct synack_config cfg;
    int s, rc;
    memset(&r, 0, sizeof r);
    synack_config_default(&cfg);
    cfg.addr = RA_SRV;
    cfg.mtu = 68;
    rc = synack_stack_new(&cfg, &r.st);
    if (rc != 0) return;            /* refusing the config is a fine answer */
    r.now = 1000000;
    synack_set_now(r.st, r.now);
    s = synack_socket(r.st, SYNACK_SOCK_STREAM);
    CHECK(s >= 0);
    CHECK_EQ(synack_connect(r.st, s, RA_CLI, 5000), -1);
    CHECK_EQ(errno, EINPROGRESS);
    ra_poll(&r);
    synack_stack_free(r.st);
    CHECK_MSG(r.nsyn == 1, "mtu 68 accepted, connect() in progress, but no SYN sent (%d packets)",
              r.npkts);
}

/* BUG (src/core/sock.c:synack__sock_send): once a connection has ended cleanly while the user
 * still holds the handle (here: CLOSE_WAIT, shutdown(SHUT_WR), the peer ACKs our FIN ->
 * CLOSED), send() returns ENOTCONN because the CLOSED check comes before the fin_queued
 * check. Linux (and POSIX) say EPIPE: the socket is shut down for writing / no longer
 * connected; ENOTCONN means "never connected". */
FX_TEST(reviewapi_send_after_clean_end_is_epipe, NULL)
{
    struct seg fin;
    if (fx_to_close_wait(f)) return;
    CHECK_EQ(synack_shutdown(f->st, f->s, SYNACK_SHUT_WR), 0);
    fx_poll(f);
    CHECK(fx_pop(f, &fin) && fin.ok && (fin.flags & SYNACK_FIN));
    f->snd_nxt = fin.seq + 1;
    fx_peer(f, SYNACK_ACK, NULL, 0);        /* ACK of our FIN: LAST_ACK -> CLOSED */
    CHECK_EQ(fx_sockopt(f, f->s, SYNACK_TCP_STATE), SYNACK_CLOSED);
    errno = 0;
    CHECK_EQ(synack_send(f->st, f->s, "x", 1), -1);
    CHECK_MSG(errno == EPIPE, "send after the connection ended: errno %d, want EPIPE (%d)", errno,
              EPIPE);
}

/* BUG (src/core/sock.c:synack__sock_shutdown): shutdown(SHUT_WR) is accepted in SYN_RCVD
 * (returns 0) but only queues a FIN in ESTABLISHED/CLOSE_WAIT, and records nothing: the
 * request is silently lost. When the handshake completes no FIN is sent and send() still
 * succeeds. Linux moves SYN_RECV to FIN_WAIT1 (the FIN goes once the SYN is ACKed). */
FX_TEST(reviewapi_shutdown_wr_in_syn_rcvd_is_lost, NULL)
{
    struct seg s;
    int got_fin = 0;
    if (fx_to_syn_rcvd_active(f)) return;
    CHECK_EQ(synack_shutdown(f->st, f->s, SYNACK_SHUT_WR), 0);
    fx_poll(f);
    fx_flush(f);
    fx_peer(f, SYNACK_ACK, NULL, 0);        /* ACK of our SYN: the handshake completes */
    fx_run(f, 50 * SEG_MS);
    while (fx_pop(f, &s))
        if (s.ok && (s.flags & SYNACK_FIN)) got_fin = 1;
    CHECK_MSG(got_fin, "shutdown(SHUT_WR) in SYN_RCVD returned 0 but no FIN was sent (state %s)",
              synack_state_name(fx_sockopt(f, f->s, SYNACK_TCP_STATE)));
    errno = 0;
    CHECK_EQ(synack_send(f->st, f->s, "x", 1), -1);
    CHECK_EQ(errno, EPIPE);
}

/* BUG (src/core/sock.c:synack__sock_accept): accept() on a datagram socket returns EINVAL;
 * Linux returns EOPNOTSUPP ("the referenced socket is not of type SOCK_STREAM"), as this
 * stack's own listen() already does for UDP. */
TEST(reviewapi_accept_on_udp_is_eopnotsupp)
{
    struct synack_config cfg;
    struct synack_stack *st;
    int u, rc, e;
    synack_config_default(&cfg);
    CHECK_EQ(synack_stack_new(&cfg, &st), 0);
    u = synack_socket(st, SYNACK_SOCK_DGRAM);
    CHECK(u >= 0);
    CHECK_EQ(synack_bind(st, u, 0, 5353), 0);
    errno = 0;
    CHECK_EQ(synack_listen(st, u, 4), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    errno = 0;
    rc = synack_accept(st, u, NULL, NULL);
    e = errno;
    synack_close(st, u);
    synack_stack_free(st);
    CHECK_EQ(rc, -1);
    CHECK_MSG(e == EOPNOTSUPP, "accept on UDP: errno %d, want EOPNOTSUPP (%d)", e, EOPNOTSUPP);
}
