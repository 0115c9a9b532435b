/* Hostile input that must not start a storm or be answered (issue 10): datagrams from our own
 * address (LAND), from non-unicast sources (RFC 1122 3.2.1.3), with malformed IP options or
 * source routes (RFC 791, RFC 7126); ACKs to out-of-window segments rate-limited per
 * connection (Linux's tcp_invalid_ratelimit); RSTs for segments that find no connection
 * rate-limited in all (FreeBSD's badport_bandlim). Each case fails with its mechanism off. */
#include <errno.h>
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/stack.h"
#include "core/wire.h"

static uint64_t cnt(struct fx *f, enum synack_counter c) { return synack_counter_get(f->st, c); }

/* A TCP segment from src:sport to the stack at f->now, with IP options opt[0..optlen). */
static void raw_tcp(struct fx *f, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const uint8_t *opt, size_t optlen)
{
    uint8_t pkt[256];
    struct tcp_opts o;
    size_t ihl = 20 + optlen, n;
    memset(&o, 0, sizeof o);
    n = tcp_emit(pkt + ihl, src, SEG_STACK_ADDR, sport, dport, seq, ack, flags, 65535, &o, NULL, 0);
    ip4_emit(pkt, src, SEG_STACK_ADDR, IP4_PROTO_TCP, (uint16_t)(n + optlen), 1, 64);
    if (optlen) {
        pkt[0] = (uint8_t)(0x40 | ihl / 4);
        memcpy(pkt + 20, opt, optlen);
        pkt[10] = pkt[11] = 0;
        wr16(pkt + 10, csum_fold(csum_partial(pkt, ihl, 0)));
    }
    synack_input(f->st, f->now, pkt, ihl + n);
    fx_poll(f);
}

static void prefix24(struct synack_config *c) { c->prefix_len = 24; }

/* LAND: a SYN from our own address to our own listening port. Answering it would send the
 * SYN-ACK to ourselves; on a forwarding host the two directions then ping-pong. */
FX_TEST(hostile_land_syn_dropped, NULL)
{
    if (fx_to_listen(f)) return;
    raw_tcp(f, SEG_STACK_ADDR, SEG_PORT_LISTEN, SEG_PORT_LISTEN, 1000, 0, SYNACK_SYN, NULL, 0);
    FX_EXPECT_NONE(f);
    CHECK_EQ(cnt(f, SYNACK_C_ip_drop_own_src), 1);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_syn_in), 0);
}

/* RFC 1122 3.2.1.3: the prefix's network and broadcast addresses, and 169.254/16 unless
 * configured, are no unicast hosts: nothing is answered. */
FX_TEST(hostile_non_unicast_sources_dropped, prefix24)
{
    static const uint32_t bad[] = { 0x0a4d0000u, 0x0a4d00ffu, 0xa9fe0001u, 0x00000001u,
                                    0x7f000001u, 0xe0000001u, 0xffffffffu };
    if (fx_to_listen(f)) return;
    for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        raw_tcp(f, bad[k], 5000, SEG_PORT_LISTEN, 1, 0, SYNACK_SYN, NULL, 0);
        raw_tcp(f, bad[k], 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, NULL, 0);
    }
    FX_EXPECT_NONE(f);
    CHECK_EQ(cnt(f, SYNACK_C_ip_drop_bad_src), 14);
    /* 10.77.0.3 is a host of the prefix: answered. */
    raw_tcp(f, 0x0a4d0003u, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, NULL, 0);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 2);
}

static void ll_ok(struct synack_config *c) { c->accept_link_local = 1; }

FX_TEST(hostile_link_local_accepted_when_configured, ll_ok)
{
    if (fx_to_listen(f)) return;
    raw_tcp(f, 0xa9fe0001u, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, NULL, 0);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 2);
}

/* RFC 791 §3.1 option format: a malformed list is dropped; a well-formed one is ignored; a
 * source route is dropped (RFC 7126 §4.3, §4.4) unless configured. */
FX_TEST(hostile_ip_options, NULL)
{
    static const uint8_t len0[4] = { 7, 0, 0, 0 };          /* RR with length 0 */
    static const uint8_t len1[4] = { 7, 1, 0, 0 };          /* length 1 */
    static const uint8_t past[4] = { 7, 9, 4, 0 };          /* runs past the header */
    static const uint8_t trunc[4] = { 1, 1, 1, 68 };        /* type with no length byte */
    static const uint8_t good[8] = { 1, 7, 7, 4, 0, 0, 0, 0 }; /* NOP, RR (room for 1), EOL */
    static const uint8_t lsrr[8] = { 131, 7, 4, 10, 77, 0, 9, 0 };
    static const uint8_t ssrr[8] = { 1, 137, 6, 4, 0, 0, 0, 0 };
    if (fx_to_listen(f)) return;
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, len0, 4);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, len1, 4);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, past, 4);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, trunc, 4);
    FX_EXPECT_NONE(f);
    CHECK_EQ(cnt(f, SYNACK_C_ip_drop_options), 4);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, lsrr, 8);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, ssrr, 8);
    FX_EXPECT_NONE(f);
    CHECK_EQ(cnt(f, SYNACK_C_ip_drop_options), 6);
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, good, 8);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 2);
    f->st->cfg.accept_source_route = 1;
    raw_tcp(f, SEG_PEER_ADDR, 5000, SEG_PORT_CLOSED, 1, 0, SYNACK_SYN, lsrr, 8);
    FX_EXPECT(f, SYNACK_RST | SYNACK_ACK, 0, 2);
}

/* Out-of-window pure ACKs (Linux tcp_oow_rate_limited, tcp_invalid_ratelimit = 500 ms): one
 * ACK per 500 ms per connection, however many arrive. */
FX_TEST(hostile_oow_acks_rate_limited_linux, NULL)
{
    struct seg s;
    int acks = 0;
    if (fx_to_established(f)) return;
    for (int k = 0; k < 1000; k++) {
        fx_in(f, SYNACK_ACK, f->peer_nxt + 100000 + (uint32_t)k * 977, f->snd_nxt, NULL, 0);
        while (fx_pop(f, &s)) acks++;
        f->now += 1000;                         /* 1000 in one second */
    }
    CHECK(acks >= 2 && acks <= 3);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_oow_acks_limited), 1000 - acks);
    CHECK_EQ(fx_state(f), SYNACK_ESTABLISHED);
}

/* A blind sweep of SYNs over the sequence space against a connection: out-of-window ones
 * share the 500 ms limit, in-window ones get RFC 5961 challenge ACKs (10 a second). */
FX_TEST(hostile_blind_syn_sweep_gets_a_trickle, NULL)
{
    struct seg s;
    int acks = 0;
    if (fx_to_established(f)) return;
    for (uint32_t k = 0; k < 65536; k++) {
        fx_in(f, SYNACK_SYN, f->peer_nxt + k * 65536u, 0, NULL, 0);
        while (fx_pop(f, &s)) acks++;
        if (k % 64 == 63) f->now += 1000;       /* about 1 s in all */
    }
    CHECK_MSG(acks <= 3 + 10 * 2, "%d ACKs for 65536 SYNs", acks);
    CHECK(cnt(f, SYNACK_C_tcp_oow_acks_limited) > 60000);
    CHECK_EQ(fx_state(f), SYNACK_ESTABLISHED);
}

/* Duplicate data (a retransmission below RCV.NXT) always gets its duplicate ACK: recovery
 * depends on it, and a data segment is no ACK loop (Linux exempts it the same way). */
FX_TEST(hostile_oow_data_always_acked, NULL)
{
    struct seg s;
    int acks = 0;
    if (fx_to_established(f)) return;
    fx_peer(f, SYNACK_ACK, "0123456789", 10);
    fx_flush(f);
    for (int k = 0; k < 20; k++) {
        fx_in(f, SYNACK_ACK, f->peer_nxt - 10, f->snd_nxt, "0123456789", 10);
        while (fx_pop(f, &s)) acks++;
        f->now += 1000;
    }
    CHECK_EQ(acks, 20);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_oow_acks_limited), 0);
}

/* RSTs for segments to closed ports: rst_ratelimit_per_s (200) a second in all, FreeBSD's
 * badport_bandlim default; the next second brings new ones. */
FX_TEST(hostile_rst_for_closed_ports_rate_limited_freebsd, NULL)
{
    struct seg s;
    int rsts = 0;
    for (int k = 0; k < 1000; k++) {
        raw_tcp(f, SEG_PEER_ADDR, (uint16_t)(1024 + k), SEG_PORT_CLOSED, (uint32_t)k, 0, SYNACK_SYN, NULL, 0);
        while (fx_pop(f, &s)) rsts++;
    }
    CHECK_EQ(rsts, 200);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_rst_ratelimited), 800);
    f->now += 500000;
    for (int k = 0; k < 1000; k++) {
        raw_tcp(f, SEG_PEER_ADDR, (uint16_t)(1024 + k), SEG_PORT_CLOSED, (uint32_t)k, 0, SYNACK_SYN, NULL, 0);
        while (fx_pop(f, &s)) rsts++;
    }
    CHECK_EQ(rsts, 300);                        /* half a second later: 100 more */
}

static void one_buffer(struct synack_config *c) { c->max_buffers = 1; }

/* Admission control: with no buffers free, the final ACK of a handshake is dropped and the
 * half-open entry kept (Linux's tcp_abort_on_overflow = 0), never a connection completed and
 * then reset on its first byte. Once a buffer frees, the client's next segment gets in. */
FX_TEST(hostile_final_ack_waits_for_buffers, one_buffer)
{
    struct seg s;
    struct synack_mem_stats m;
    struct tcp_opts o;
    uint32_t iss2;
    if (fx_to_established(f)) return;                /* holds the only buffer */
    o = fx_peer_syn_opts(f);
    fx_inject(f, 40001, SEG_PORT_LISTEN, SYNACK_SYN, 5000, 0, 65535, &o, NULL, 0);
    CHECK(fx_pop(f, &s));
    CHECK_EQ(s.flags, SYNACK_SYN | SYNACK_ACK);
    iss2 = s.seq;
    fx_inject(f, 40001, SEG_PORT_LISTEN, SYNACK_ACK, 5001, iss2 + 1, 65535, NULL, NULL, 0);
    FX_EXPECT_NONE(f);
    fx_inject(f, 40001, SEG_PORT_LISTEN, SYNACK_ACK | SYNACK_PSH, 5001, iss2 + 1, 65535, NULL, "GET", 3);
    FX_EXPECT_NONE(f);                               /* no RST: the client just waits */
    CHECK_EQ(cnt(f, SYNACK_C_tcp_admission_deferred), 2);
    synack_mem_stats(f->st, &m);
    CHECK_EQ(m.half_open, 1);
    /* The first connection ends: its buffer is free again. */
    synack_setsockopt(f->st, f->s, SYNACK_SO_LINGER_ZERO, 1);
    synack_close(f->st, f->s);
    f->s = -1;
    fx_poll(f);
    fx_flush(f);
    fx_inject(f, 40001, SEG_PORT_LISTEN, SYNACK_ACK | SYNACK_PSH, 5001, iss2 + 1, 65535, NULL, "GET", 3);
    int h = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h >= 0);
    fx_track(f, h);
    char buf[8];
    CHECK_EQ(synack_recv(f->st, h, buf, sizeof buf), 3);
    CHECK(!memcmp(buf, "GET", 3));
}

/* TIME_WAIT churn: short connections that the server closes first leave it one TIME_WAIT
 * connection each for 2*MSL. With 16 socket slots, 100 of them in a row must all get in: a
 * new connection takes the slot of the oldest TIME_WAIT one, and their number stays within
 * max_timewait (Linux's tcp_max_tw_buckets policy; RFC 6191 guards the 4-tuple's reuse).
 * Returns the connections accepted (-1 after a failed check). */
static int timewait_churn(struct fx *f, int n)
{
    struct seg s;
    struct synack_mem_stats m;
    struct tcp_opts o = fx_peer_syn_opts(f);
    int accepted = 0;
    if (fx_to_listen(f)) return -1;
    for (int k = 0; k < n; k++) {
        uint16_t port = (uint16_t)(41000 + k);
        fx_inject(f, port, SEG_PORT_LISTEN, SYNACK_SYN, 1000, 0, 65535, &o, NULL, 0);
        if (!fx_pop(f, &s) || s.flags != (SYNACK_SYN | SYNACK_ACK)) goto bad;
        uint32_t iss = s.seq;
        fx_inject(f, port, SEG_PORT_LISTEN, SYNACK_ACK, 1001, iss + 1, 65535, NULL, NULL, 0);
        int h = synack_accept(f->st, f->ls, NULL, NULL);
        if (h < 0) continue;
        accepted++;
        synack_close(f->st, h);                     /* the server closes first */
        fx_poll(f);
        if (!fx_pop(f, &s) || !(s.flags & SYNACK_FIN)) goto bad;
        fx_inject(f, port, SEG_PORT_LISTEN, SYNACK_FIN | SYNACK_ACK, 1001, iss + 2, 65535, NULL, NULL, 0);
        if (!fx_pop(f, &s) || s.flags != SYNACK_ACK) goto bad;   /* its ACK of our FIN: TIME_WAIT */
        synack_mem_stats(f->st, &m);
        if (m.timewait > f->st->cfg.max_timewait) goto bad;
        f->now += 10 * SEG_MS;
    }
    return accepted;
bad:
    test_fail(__FILE__, __LINE__, "connection %d of the churn went wrong", accepted);
    return -1;
}

FX_TEST(hostile_timewait_churn_never_locks_out, NULL)
{
    struct synack_mem_stats m;
    CHECK_EQ(timewait_churn(f, 100), 100);
    synack_mem_stats(f->st, &m);
    CHECK_EQ(m.timewait, f->st->cfg.max_timewait);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_timewait_overflow), 100 - f->st->cfg.max_timewait);
}

static void tw_unbounded(struct synack_config *c) { c->max_timewait = c->max_sockets; }

/* The same with no bound but the slots: each new connection takes the oldest TIME_WAIT slot. */
FX_TEST(hostile_timewait_slots_taken_by_new_connections, tw_unbounded)
{
    CHECK_EQ(timewait_churn(f, 100), 100);
    CHECK(cnt(f, SYNACK_C_tcp_timewait_overflow) >= 100 - 16);
}

static void two_per_source(struct synack_config *c) { c->per_source_limit = 2; }

/* One host cannot take every connection: past per_source_limit its final ACKs wait (entry
 * kept, no RST) while other hosts still get in; when one of its connections ends, it can. */
FX_TEST(hostile_per_source_limit, two_per_source)
{
    struct seg s;
    struct tcp_opts o = fx_peer_syn_opts(f);
    uint32_t iss[3];
    int h[3];
    if (fx_to_listen(f)) return;
    for (int k = 0; k < 3; k++) {
        uint16_t port = (uint16_t)(42000 + k);
        fx_inject(f, port, SEG_PORT_LISTEN, SYNACK_SYN, 1000, 0, 65535, &o, NULL, 0);
        CHECK(fx_pop(f, &s) && s.flags == (SYNACK_SYN | SYNACK_ACK));
        iss[k] = s.seq;
        fx_inject(f, port, SEG_PORT_LISTEN, SYNACK_ACK, 1001, iss[k] + 1, 65535, NULL, NULL, 0);
        FX_EXPECT_NONE(f);
        h[k] = synack_accept(f->st, f->ls, NULL, NULL);
        if (h[k] >= 0) fx_track(f, h[k]);
    }
    CHECK(h[0] >= 0 && h[1] >= 0);
    CHECK_EQ(h[2], -1);
    CHECK_EQ(cnt(f, SYNACK_C_tcp_source_limited), 1);
    /* Another host is not affected. */
    {
        uint8_t pkt[128];
        struct tcp_view tv;
        struct ip4_view ip;
        size_t n = tcp_emit(pkt + 20, 0x0a4d0005u, SEG_STACK_ADDR, 43000, SEG_PORT_LISTEN, 7000, 0,
                            SYNACK_SYN, 65535, &o, NULL, 0);
        ip4_emit(pkt, 0x0a4d0005u, SEG_STACK_ADDR, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
        synack_input(f->st, f->now, pkt, 20 + n);
        fx_poll(f);
        CHECK(fx_pop(f, &s) && s.flags == (SYNACK_SYN | SYNACK_ACK));
        struct tcp_opts none;
        memset(&none, 0, sizeof none);
        n = tcp_emit(pkt + 20, 0x0a4d0005u, SEG_STACK_ADDR, 43000, SEG_PORT_LISTEN, 7001, s.seq + 1,
                     SYNACK_ACK, 65535, &none, NULL, 0);
        ip4_emit(pkt, 0x0a4d0005u, SEG_STACK_ADDR, IP4_PROTO_TCP, (uint16_t)n, 1, 64);
        synack_input(f->st, f->now, pkt, 20 + n);
        fx_poll(f);
        (void)tv; (void)ip;
        int other = synack_accept(f->st, f->ls, NULL, NULL);
        CHECK(other >= 0);
        fx_track(f, other);
    }
    /* One of the first two ends; the third's next ACK gets in. */
    synack_setsockopt(f->st, h[0], SYNACK_SO_LINGER_ZERO, 1);
    synack_close(f->st, h[0]);
    fx_poll(f);
    fx_flush(f);
    fx_inject(f, 42002, SEG_PORT_LISTEN, SYNACK_ACK, 1001, iss[2] + 1, 65535, NULL, NULL, 0);
    h[2] = synack_accept(f->st, f->ls, NULL, NULL);
    CHECK(h[2] >= 0);
    fx_track(f, h[2]);
}
