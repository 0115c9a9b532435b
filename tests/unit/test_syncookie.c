/* SYN cookies and the syncache (issue 4), segment by segment: a server stack driven by hand
 * (crafted SYNs and ACKs in, every packet it sends captured and parsed), the cookie functions
 * called directly, and real client stacks for the options a cookie must carry. */
#include <errno.h>
#include <stdlib.h>
#include "../harness/test.h"
#include "../harness/flood.h"
#include "synack/socket.h"
#include "core/stack.h"

#define CLI 0x0a4d0001u    /* 10.77.0.1: the hand-driven client */
#define SRV FLOOD_SERVER_ADDR
#define PORT 80
#define T0 (100 * 1000000LL)

static uint64_t cnt(struct synack_stack *st, enum synack_counter c) { return synack_counter_get(st, c); }

/* Stacks and worlds a test creates are freed after it, also when a CHECK ended it early. */
static struct synack_stack *owned[16];
static struct flood_world *owned_w[4];
static int nowned, nowned_w;
static struct synack_stack *own(struct synack_stack *st)
{
    if (st && nowned < 16) owned[nowned++] = st;
    return st;
}
static void release_all(void)
{
    while (nowned) synack_stack_free(owned[--nowned]);
    while (nowned_w) flood_world_free(owned_w[--nowned_w]);
}
/* TEST whose stacks are released afterwards. */
#define STEST(name)                                       \
    static void body_##name(void);                        \
    TEST(name) { body_##name(); release_all(); }          \
    static void body_##name(void)

/* ---- a server driven by hand ---- */

struct fx {
    struct synack_stack *st;
    struct flood_cap cap;
    synack_time_us now;
    int ls;
    uint64_t rng;
};

static void fx_poll(struct fx *f)
{
    f->cap.now = f->now;
    synack_poll(f->st, f->now, flood_cap_emit, &f->cap);
}

static void fx_in(struct fx *f, const uint8_t *pkt, size_t len)
{
    synack_input(f->st, f->now, pkt, len);
    fx_poll(f);
}

static void fx_at(struct fx *f, synack_time_us t)
{
    if (t > f->now) f->now = t;
    fx_poll(f);
}

static int fx_init(struct fx *f, int mode, void (*adj)(struct synack_config *))
{
    struct synack_config cfg;
    memset(f, 0, sizeof *f);
    synack_config_default(&cfg);
    cfg.addr = SRV;
    cfg.max_buffers = 16;
    cfg.syncookies = mode;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(0x40 + i * 3);
    if (adj) adj(&cfg);
    if (synack_stack_new(&cfg, &f->st)) return -1;
    own(f->st);
    f->now = T0;
    f->rng = 42;
    synack_set_now(f->st, f->now);
    f->ls = synack_socket(f->st, SYNACK_SOCK_STREAM);
    if (f->ls < 0 || synack_bind(f->st, f->ls, 0, PORT) || synack_listen(f->st, f->ls, 128)) return -1;
    fx_poll(f);
    return 0;
}

/* Sends a crafted segment from CLI:sport. */
static void fx_seg(struct fx *f, uint32_t src, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, uint16_t wnd, const struct tcp_opts *o, const void *data, size_t len)
{
    uint8_t pkt[1600];
    size_t n = flood_craft(pkt, src, SRV, sport, dport, seq, ack, flags, wnd, o, data, len);
    fx_in(f, pkt, n);
}

/* The single packet the last call emitted, parsed. */
static int fx_one(struct fx *f, struct ip4_view *ip, struct tcp_view *tv)
{
    if (f->cap.n != 1) return -1;
    return flood_cap_parse(&f->cap, 0, ip, tv);
}

/* SYN from CLI:sport with ISN isn and options o; *sa receives the SYN-ACK. */
static void handshake_start(struct fx *f, uint16_t sport, uint32_t isn, const struct tcp_opts *o,
                            struct tcp_view *sa)
{
    struct ip4_view ip;
    f->cap.n = 0;
    fx_seg(f, CLI, sport, PORT, isn, 0, SYNACK_SYN, 64240, o, NULL, 0);
    CHECK_MSG(fx_one(f, &ip, sa) == 0, "expected one SYN-ACK, got %d packets", f->cap.n);
    CHECK_EQ(ip.dst, CLI);
    CHECK_EQ(sa->dport, sport);
    CHECK_EQ(sa->sport, PORT);
    CHECK_EQ(sa->flags, SYNACK_SYN | SYNACK_ACK);
    CHECK_EQ(sa->ack, isn + 1);
}

/* The final ACK (with TS echoing the SYN-ACK's TSval when both had TS), optional data. */
static void final_ack(struct fx *f, uint16_t sport, uint32_t isn, const struct tcp_view *sa, int ts,
                      uint32_t tsval, const void *data, size_t len, uint16_t wnd)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    if (ts) { o.has_ts = 1; o.tsval = tsval; o.tsecr = sa->opts.tsval; }
    f->cap.n = 0;
    fx_seg(f, CLI, sport, PORT, isn + 1, sa->seq + 1, SYNACK_ACK | (len ? SYNACK_PSH : 0), wnd, &o,
           data, len);
}

/* Fills the listener's half-open share (syn_backlog) with spoofed SYNs. */
static void fill_cache(struct fx *f)
{
    uint8_t pkt[128];
    struct synack_mem_stats m;
    for (int i = 0; i < 100000; i++) {
        synack_mem_stats(f->st, &m);
        if (m.half_open >= f->st->cfg.syn_backlog) break;
        synack_input(f->st, f->now, pkt, flood_spoofed_syn(pkt, &f->rng, SRV, PORT));
        if (i % 256 == 255) fx_poll(f);
    }
    f->cap.n = 0;
    fx_poll(f);
    f->cap.n = 0;
}

/* Checks that the last call emitted exactly <SEQ=ack><CTL=RST> to src:sport. */
static void expect_rst(struct fx *f, uint32_t src, uint16_t sport, uint32_t ack)
{
    struct ip4_view ip;
    struct tcp_view tv;
    CHECK_MSG(fx_one(f, &ip, &tv) == 0, "expected one RST, got %d packets", f->cap.n);
    CHECK_EQ(ip.dst, src);
    CHECK_EQ(tv.dport, sport);
    CHECK_EQ(tv.flags, SYNACK_RST);
    CHECK_EQ(tv.seq, ack);
}

static struct tcb *conn(struct synack_stack *st, int fd) { return &st->tcbs[fd]; }

/* ---- the cookie functions ---- */

static struct synack_stack *plain_stack(synack_time_us now)
{
    struct synack_config cfg;
    struct synack_stack *st;
    synack_config_default(&cfg);
    cfg.max_buffers = 4;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(7 * i + 1);
    if (synack_stack_new(&cfg, &st)) return NULL;
    synack_set_now(st, now);
    return own(st);
}

/* The MSS comes back as the largest table value not above the client's. */
STEST(cookie_mss_table)
{
    static const struct { uint16_t in, out; } cases[] = {
        {64, 64}, {100, 64}, {216, 64}, {535, 64}, {536, 536}, {1000, 536}, {1199, 536}, {1200, 1200},
        {1359, 1200}, {1360, 1360}, {1400, 1400}, {1420, 1400}, {1440, 1440}, {1459, 1440},
        {1460, 1460}, {1500, 1460}, {8959, 1460}, {8960, 8960}, {9000, 8960}, {65535, 8960},
    };
    struct synack_stack *st = plain_stack(T0);
    CHECK(st);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t h1 = 0, h2 = 0;
        uint16_t mss = 0;
        uint32_t c = synack__cookie_generate(st, SRV, CLI, PORT, 40000, 12345, cases[i].in, &h1);
        CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 12345, c, &mss, &h2), 0);
        CHECK_MSG(mss == cases[i].out, "MSS %u came back as %u, expected %u", cases[i].in, mss, cases[i].out);
        CHECK(h1 == h2);
    }
}

/* A client MSS below the table's smallest entry must not give a larger MSS (RFC 9293
 * §3.7.1, MUST-16: never send segments above the peer's MSS). */
STEST(cookie_mss_below_table_not_exceeded)
{
    struct synack_stack *st = plain_stack(T0);
    CHECK(st);
    for (uint16_t in = 64; in < 216; in += 19) {
        uint16_t mss = 0;
        uint32_t c = synack__cookie_generate(st, SRV, CLI, PORT, 40000, 777, in, NULL);
        CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 777, c, &mss, NULL), 0);
        CHECK_MSG(mss <= in, "client MSS %u, cookie MSS %u", in, mss);
    }
}

/* A cookie is bound to the 4-tuple, the client's ISN and its MSS index. */
STEST(cookie_bound_to_tuple_isn_mss)
{
    struct synack_stack *st = plain_stack(T0);
    uint32_t c;
    int bad = 0;
    CHECK(st);
    c = synack__cookie_generate(st, SRV, CLI, PORT, 40000, 0xdeadbeef, 1460, NULL);
    CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 0xdeadbeef, c, NULL, NULL), 0);
    CHECK_EQ(synack__cookie_validate(st, SRV + 1, CLI, PORT, 40000, 0xdeadbeef, c, NULL, NULL), -1);
    CHECK_EQ(synack__cookie_validate(st, SRV, CLI + 1, PORT, 40000, 0xdeadbeef, c, NULL, NULL), -1);
    CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT + 1, 40000, 0xdeadbeef, c, NULL, NULL), -1);
    CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40001, 0xdeadbeef, c, NULL, NULL), -1);
    CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 0xdeadbef0, c, NULL, NULL), -1);
    for (uint32_t low = 0; low < 16; low++)     /* another MSS index or period bit */
        if (low != (c & 15))
            CHECK_EQ(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 0xdeadbeef, (c & ~15u) | low, NULL, NULL), -1);
    /* Every single-bit change of the MAC is caught. */
    for (int b = 4; b < 32; b++)
        bad += synack__cookie_validate(st, SRV, CLI, PORT, 40000, 0xdeadbeef, c ^ (1u << b), NULL, NULL) == -1;
    CHECK_EQ(bad, 28);
    /* Another secret, another cookie. */
    {
        struct synack_config cfg;
        struct synack_stack *st2;
        synack_config_default(&cfg);
        cfg.max_buffers = 4;
        for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(7 * i + 2);
        CHECK_EQ(synack_stack_new(&cfg, &st2), 0);
        own(st2);
        synack_set_now(st2, T0);
        CHECK_EQ(synack__cookie_validate(st2, SRV, CLI, PORT, 40000, 0xdeadbeef, c, NULL, NULL), -1);
    }
}

/* Lifetime: a cookie made at the start of a 16 s period lives until the end of the next one
 * (32 s), one made at its end lives 16 s; after that it is stale, later simply wrong. */
STEST(cookie_lifetime_16_to_32_s)
{
    const synack_time_us P = 16 * 1000000LL;
    const struct { synack_time_us gen, check; int rc; } cases[] = {
        {20 * P, 22 * P - 1, 0},                   /* made at a period's start: 32 s */
        {20 * P, 22 * P, -2},
        {21 * P - 1, 22 * P - 1, 0},               /* made at its end: 16 s */
        {21 * P - 1, 22 * P, -2},
        {20 * P + 5000000, 20 * P + 5000000 + 16000000, 0},
        {20 * P + 5000000, 20 * P + 5000000 + 33000000, -2},
        {20 * P + 5000000, 25 * P, -1},            /* long gone: just a wrong MAC */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct synack_stack *st = plain_stack(cases[i].gen);
        uint32_t c;
        CHECK(st);
        c = synack__cookie_generate(st, SRV, CLI, PORT, 40000, 99, 1460, NULL);
        synack_set_now(st, cases[i].check);
        CHECK_MSG(synack__cookie_validate(st, SRV, CLI, PORT, 40000, 99, c, NULL, NULL) == cases[i].rc,
                  "case %zu: made at %" PRId64 ", checked %" PRId64 " us later: expected %d", i,
                  cases[i].gen, cases[i].check - cases[i].gen, cases[i].rc);
    }
}

/* ---- cookies on the wire ---- */

static void ack_with_data(int mode)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa, tv;
    struct ip4_view ip;
    const char msg[] = "GET / HTTP/1.0\r\n\r\n (data on the final ACK)";
    char buf[256];
    uint32_t isn = 0x11223344, addr;
    uint16_t port;
    int fd, v, acked = 0;
    struct tcb *t;
    CHECK(fx_init(&f, mode, NULL) == 0);
    if (mode == SYNACK_SYNCOOKIES_AUTO) fill_cache(&f);
    flood_linux_syn_opts(&o, 1000);
    handshake_start(&f, 40000, isn, &o, &sa);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_sent), 1);
    /* The SYN-ACK answers every option the client offered; the 6 low bits of TSval carry its
     * window scale (7) and SACK-permitted (0x10). */
    CHECK(sa.opts.has_mss);
    CHECK_EQ(sa.opts.mss, 1460);
    CHECK(sa.opts.has_ws);
    CHECK_EQ(sa.opts.ws, 1);                 /* 64 KiB receive buffer */
    CHECK(sa.opts.sack_ok);
    CHECK(sa.opts.has_ts);
    CHECK_EQ(sa.opts.tsecr, 1000);
    CHECK_EQ(sa.opts.tsval & 0x3f, 7 | 0x10);
    f.now += 2000;
    final_ack(&f, 40000, isn, &sa, 1, 1002, msg, sizeof msg - 1, 1000);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 1);
    fd = synack_accept(f.st, f.ls, &addr, &port);
    CHECK(fd >= 0);
    CHECK_EQ(addr, CLI);
    CHECK_EQ(port, 40000);
    CHECK_EQ(synack_recv(f.st, fd, buf, sizeof buf), (long long)(sizeof msg - 1));
    CHECK(memcmp(buf, msg, sizeof msg - 1) == 0);
    /* The options are the client's. */
    t = conn(f.st, fd);
    CHECK_EQ(t->state, SYNACK_ESTABLISHED);
    CHECK_EQ(t->ws_ok, 1);
    CHECK_EQ(t->snd_wscale, 7);
    CHECK_EQ(t->rcv_wscale, 1);
    CHECK_EQ(t->sack_ok, 1);
    CHECK_EQ(t->ts_ok, 1);
    CHECK_EQ(t->ts_recent, 1002);
    CHECK_EQ(t->snd_wnd, 1000u << 7);
    CHECK_EQ(t->irs, isn);
    CHECK_EQ(t->iss, sa.seq);
    CHECK_EQ(synack_getsockopt(f.st, fd, SYNACK_TCP_MAXSEG, &v), 0);
    CHECK_EQ(v, 1460 - 12);
    /* The data is acknowledged, and the server's timestamps go on from the SYN-ACK's. */
    f.now += 200000;
    fx_poll(&f);
    for (int i = 0; i < f.cap.n; i++) {
        CHECK(flood_cap_parse(&f.cap, i, &ip, &tv) == 0);
        if ((tv.flags & SYNACK_ACK) && tv.ack == isn + 1 + sizeof msg - 1) {
            acked = 1;
            CHECK(tv.opts.has_ts);
            CHECK_EQ(tv.opts.tsecr, 1002);
            CHECK((int32_t)(tv.opts.tsval - sa.opts.tsval) >= 0);
        }
    }
    CHECK(acked);
    CHECK_EQ(synack_send(f.st, fd, "reply", 5), 5);
    f.cap.n = 0;
    fx_poll(&f);
    CHECK(fx_one(&f, &ip, &tv) == 0);
    CHECK_EQ(tv.payload_len, 5);
    CHECK_EQ(tv.seq, sa.seq + 1);
    CHECK((int32_t)(tv.opts.tsval - sa.opts.tsval) >= 0);
}

STEST(cookie_final_ack_data_delivered_always) { ack_with_data(SYNACK_SYNCOOKIES_ALWAYS); }
STEST(cookie_final_ack_data_delivered_auto_full) { ack_with_data(SYNACK_SYNCOOKIES_AUTO); }

/* The TSval of a cookie SYN-ACK never runs ahead of the clock the connection then uses, so the
 * client's PAWS check (RFC 7323 §5.3) never drops the server's next segments. */
STEST(cookie_tsval_not_ahead_of_connection_clock)
{
    struct fx f;
    int ahead = 0, n = 0;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_ALWAYS, NULL) == 0);
    for (int i = 0; i < 256; i++) {
        struct tcp_opts o;
        struct tcp_view sa;
        uint32_t isn = (uint32_t)flood_rand(&f.rng);
        uint16_t sport = (uint16_t)(20000 + i);
        int fd;
        flood_linux_syn_opts(&o, 5000 + (uint32_t)i);
        f.now += 997;
        handshake_start(&f, sport, isn, &o, &sa);
        CHECK_OK();
        final_ack(&f, sport, isn, &sa, 1, 6000 + (uint32_t)i, NULL, 0, 500);
        fd = synack_accept(f.st, f.ls, NULL, NULL);
        CHECK(fd >= 0);
        /* What the connection would stamp at the SYN-ACK's time. */
        if ((int32_t)(sa.opts.tsval - ((uint32_t)(f.now / 1000) + conn(f.st, fd)->ts_offset)) > 0) ahead++;
        n++;
        synack_setsockopt(f.st, fd, SYNACK_SO_LINGER_ZERO, 1);
        synack_close(f.st, fd);
        fx_poll(&f);
    }
    CHECK_MSG(ahead == 0, "%d of %d cookie SYN-ACKs carried a TSval ahead of the connection's clock", ahead, n);
}

/* Forged ACKs (random 4-tuples and numbers) get no connection and a RST <SEQ=SEG.ACK>. */
STEST(cookie_forged_ack_rejected)
{
    struct fx f;
    struct synack_mem_stats m0, m1;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_ALWAYS, NULL) == 0);
    /* One RST per forged ACK is what is checked here; the global RST rate limit (200/s by
     * default) has its own test (test_hostile.c). */
    f.st->cfg.rst_ratelimit_per_s = 0;
    synack_mem_stats(f.st, &m0);
    for (int i = 0; i < 2000; i++) {
        uint64_t r = flood_rand(&f.rng), r2 = flood_rand(&f.rng);
        uint32_t src = 0x0a000000u | (uint32_t)(r & 0xffffff);
        uint16_t sport = (uint16_t)(1024 + (r >> 24) % 60000);
        uint32_t seq = (uint32_t)r2, ack = (uint32_t)(r2 >> 32);
        struct tcp_opts o;
        memset(&o, 0, sizeof o);
        if (i & 1) { o.has_ts = 1; o.tsval = (uint32_t)r; o.tsecr = (uint32_t)(r >> 32); }
        f.cap.n = 0;
        fx_seg(&f, src, sport, PORT, seq, ack, SYNACK_ACK | ((i & 2) ? SYNACK_PSH : 0), 1000, &o,
               "forged", (i & 2) ? 6 : 0);
        expect_rst(&f, src, sport, ack);
        CHECK_OK();
        f.now += 100;
    }
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_bad_mac), 2000);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_stale), 0);
    CHECK_EQ(synack_accept(f.st, f.ls, NULL, NULL), -1);
    CHECK_EQ(errno, EAGAIN);
    synack_mem_stats(f.st, &m1);
    CHECK_EQ(m1.sockets_in_use, m0.sockets_in_use);
    CHECK_EQ(m1.half_open, 0);
    CHECK_EQ(m1.timers_armed, m0.timers_armed);
}

/* A quiet server in auto mode (no cookie sent for 32 s) does not even try to validate an ACK
 * as a cookie: it gets the plain RST. */
STEST(cookie_not_checked_when_quiet)
{
    struct fx f;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    fx_seg(&f, CLI, 40000, PORT, 1, 2, SYNACK_ACK, 1000, NULL, NULL, 0);
    expect_rst(&f, CLI, 40000, 2);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_bad_mac), 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_stale), 0);
}

/* A genuine cookie replayed after its lifetime (33 s later) is stale: RST, no connection;
 * within its lifetime (15 s) the same kind of ACK is accepted. */
STEST(cookie_replay_after_lifetime_rejected)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view a, b, c;
    struct synack_mem_stats m0, m1;
    int fd;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_ALWAYS, NULL) == 0);
    synack_mem_stats(f.st, &m0);
    flood_linux_syn_opts(&o, 1);
    handshake_start(&f, 41000, 1000, &o, &a);
    CHECK_OK();
    handshake_start(&f, 41001, 2000, &o, &b);
    CHECK_OK();
    handshake_start(&f, 41002, 3000, &o, &c);
    CHECK_OK();
    /* c completes at once, then is aborted: its final ACK will be replayed later. */
    final_ack(&f, 41002, 3000, &c, 1, 2, NULL, 0, 1000);
    fd = synack_accept(f.st, f.ls, NULL, NULL);
    CHECK(fd >= 0);
    synack_setsockopt(f.st, fd, SYNACK_SO_LINGER_ZERO, 1);
    synack_close(f.st, fd);
    fx_poll(&f);
    /* b: 15 s later, still valid. */
    fx_at(&f, f.now + 15 * 1000000LL);
    final_ack(&f, 41001, 2000, &b, 1, 2, NULL, 0, 1000);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 2);
    fd = synack_accept(f.st, f.ls, NULL, NULL);
    CHECK(fd >= 0);
    synack_setsockopt(f.st, fd, SYNACK_SO_LINGER_ZERO, 1);
    synack_close(f.st, fd);
    fx_poll(&f);
    /* a, and c's replay: 33 s after the SYN-ACKs. */
    fx_at(&f, T0 + 33 * 1000000LL);
    final_ack(&f, 41000, 1000, &a, 1, 2, NULL, 0, 1000);
    expect_rst(&f, CLI, 41000, a.seq + 1);
    CHECK_OK();
    final_ack(&f, 41002, 3000, &c, 1, 2, "late", 4, 1000);
    expect_rst(&f, CLI, 41002, c.seq + 1);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_stale), 2);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 2);
    CHECK_EQ(synack_accept(f.st, f.ls, NULL, NULL), -1);
    synack_mem_stats(f.st, &m1);
    CHECK_EQ(m1.sockets_in_use, m0.sockets_in_use);
    CHECK_EQ(m1.buffers_in_use, m0.buffers_in_use);
}

/* A cookie sent to one 4-tuple does not open a connection for another one, nor for the same
 * 4-tuple with another client ISN, nor with its MSS bits changed. */
STEST(cookie_for_other_tuple_rejected)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa;
    uint32_t isn = 0xabcdef01;
    int l2;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_ALWAYS, NULL) == 0);
    l2 = synack_socket(f.st, SYNACK_SOCK_STREAM);
    CHECK_EQ(synack_bind(f.st, l2, 0, PORT + 1), 0);
    CHECK_EQ(synack_listen(f.st, l2, 8), 0);
    flood_linux_syn_opts(&o, 77);
    handshake_start(&f, 42000, isn, &o, &sa);
    CHECK_OK();
    memset(&o, 0, sizeof o);
    o.has_ts = 1; o.tsval = 78; o.tsecr = sa.opts.tsval;
    f.cap.n = 0;
    fx_seg(&f, CLI, 42001, PORT, isn + 1, sa.seq + 1, SYNACK_ACK, 1000, &o, NULL, 0);   /* port */
    expect_rst(&f, CLI, 42001, sa.seq + 1);
    CHECK_OK();
    f.cap.n = 0;
    /* another client address (CLI + 1 would be the server's own, dropped as a LAND packet) */
    fx_seg(&f, CLI + 2, 42000, PORT, isn + 1, sa.seq + 1, SYNACK_ACK, 1000, &o, NULL, 0); /* address */
    expect_rst(&f, CLI + 2, 42000, sa.seq + 1);
    CHECK_OK();
    f.cap.n = 0;
    fx_seg(&f, CLI, 42000, PORT + 1, isn + 1, sa.seq + 1, SYNACK_ACK, 1000, &o, NULL, 0); /* our port */
    expect_rst(&f, CLI, 42000, sa.seq + 1);
    CHECK_OK();
    f.cap.n = 0;
    fx_seg(&f, CLI, 42000, PORT, isn + 2, sa.seq + 1, SYNACK_ACK, 1000, &o, NULL, 0);     /* ISN */
    expect_rst(&f, CLI, 42000, sa.seq + 1);
    CHECK_OK();
    f.cap.n = 0;
    fx_seg(&f, CLI, 42000, PORT, isn + 1, (sa.seq ^ 1u) + 1, SYNACK_ACK, 1000, &o, NULL, 0); /* MSS idx */
    expect_rst(&f, CLI, 42000, (sa.seq ^ 1u) + 1);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_bad_mac), 5);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 0);
    CHECK_EQ(synack_accept(f.st, f.ls, NULL, NULL), -1);
    CHECK_EQ(synack_accept(f.st, l2, NULL, NULL), -1);
    /* The genuine ACK still works. */
    f.cap.n = 0;
    fx_seg(&f, CLI, 42000, PORT, isn + 1, sa.seq + 1, SYNACK_ACK, 1000, &o, NULL, 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 1);
    CHECK(synack_accept(f.st, f.ls, NULL, NULL) >= 0);
}

/* Without timestamps a cookie cannot carry window scaling or SACK: the SYN-ACK offers neither,
 * the connection has neither, and the MSS is the table's (1420 -> 1400). */
STEST(cookie_without_timestamps_loses_ws_and_sack)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa;
    struct tcb *t;
    int fd, v;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_ALWAYS, NULL) == 0);
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1420;
    o.has_ws = 1; o.ws = 7;
    o.sack_ok = 1;
    handshake_start(&f, 43000, 5, &o, &sa);
    CHECK_OK();
    CHECK(sa.opts.has_mss);
    CHECK(!sa.opts.has_ws);
    CHECK(!sa.opts.sack_ok);
    CHECK(!sa.opts.has_ts);
    final_ack(&f, 43000, 5, &sa, 0, 0, "x", 1, 40000);
    fd = synack_accept(f.st, f.ls, NULL, NULL);
    CHECK(fd >= 0);
    t = conn(f.st, fd);
    CHECK_EQ(t->ws_ok, 0);
    CHECK_EQ(t->snd_wscale, 0);
    CHECK_EQ(t->rcv_wscale, 0);
    CHECK_EQ(t->sack_ok, 0);
    CHECK_EQ(t->ts_ok, 0);
    CHECK_EQ(t->snd_wnd, 40000);
    CHECK_EQ(synack_getsockopt(f.st, fd, SYNACK_TCP_MAXSEG, &v), 0);
    CHECK_EQ(v, 1400);
}

/* ---- options through a cookie, with real client stacks ---- */

struct variant {
    const char *name;
    int ts, ws;             /* client config */
    unsigned rcvbuf;        /* client receive buffer */
    int maxseg;             /* client TCP_MAXSEG (0: default) */
    unsigned mtu;           /* both stacks (0: 1500) */
    int exp_mss_cookie;     /* server's send MSS through a cookie */
    int exp_mss_cache;      /* ... through the syncache */
};

static const struct variant *g_var;
static int g_srv_mode;
static void var_adjust(struct synack_config *cfg, int is_server)
{
    if (g_var->mtu) cfg->mtu = g_var->mtu;
    cfg->max_buffers = 4;
    if (is_server) {
        cfg->syncookies = g_srv_mode;
        cfg->rcvbuf_bytes = 256 * 1024;
        cfg->sndbuf_bytes = 256 * 1024;
        return;
    }
    cfg->timestamps = g_var->ts;
    cfg->window_scaling = g_var->ws;
    cfg->rcvbuf_bytes = g_var->rcvbuf;
    cfg->sndbuf_bytes = 256 * 1024;
}

struct xfer { int fd; size_t sent, rcvd; uint32_t bad; };

static uint8_t pattern(size_t i, int dir) { return (uint8_t)(i * 131 + (i >> 9) + (unsigned)dir * 77); }

/* Moves n bytes each way; returns 0 when both sides received everything intact. */
static int bulk(struct flood_world *w, struct synack_stack *a, int afd, struct synack_stack *b, int bfd, size_t n)
{
    struct xfer x[2] = {{afd, 0, 0, 0}, {bfd, 0, 0, 0}};
    struct synack_stack *st[2] = {a, b};
    uint8_t buf[16384];
    for (long iter = 0; iter < 2000000; iter++) {
        int did = 0;
        for (int s = 0; s < 2; s++) {
            ssize_t k;
            while (x[s].sent < n) {
                size_t m = n - x[s].sent < sizeof buf ? n - x[s].sent : sizeof buf;
                for (size_t i = 0; i < m; i++) buf[i] = pattern(x[s].sent + i, s);
                k = synack_send(st[s], x[s].fd, buf, m);
                if (k <= 0) break;
                x[s].sent += (size_t)k;
                did = 1;
            }
            while ((k = synack_recv(st[s], x[s].fd, buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < k; i++) x[s].bad += buf[i] != pattern(x[s].rcvd + (size_t)i, 1 - s);
                x[s].rcvd += (size_t)k;
                did = 1;
            }
        }
        if (x[0].rcvd == n && x[1].rcvd == n) return x[0].bad || x[1].bad ? -1 : 0;
        if (did) flood_world_flush(w);
        {
            synack_time_us next = flood_world_next(w);
            if (next == SYNACK_TIME_NEVER) return -2;
            flood_world_advance(w, next);
        }
    }
    return -3;
}

struct opened { int cfd, sfd; };

static int has_ev(struct synack_stack *st, int fd, int mask) { return (synack_sock_events(st, fd) & mask) != 0; }

/* Opens one connection from client 0 to the server, returns both handles. */
static void open_one(struct flood_world *w, int ls, struct opened *o)
{
    struct synack_stack *c = w->cli[0];
    int e = -1;
    o->cfd = synack_socket(c, SYNACK_SOCK_STREAM);
    CHECK(o->cfd >= 0);
    if (g_var->maxseg) CHECK_EQ(synack_setsockopt(c, o->cfd, SYNACK_TCP_MAXSEG, g_var->maxseg), 0);
    CHECK_EQ(synack_connect(c, o->cfd, FLOOD_SERVER_ADDR, PORT), -1);
    flood_world_flush(w);
    for (int i = 0; i < 1000 && !(has_ev(c, o->cfd, SYNACK_EV_OUT | SYNACK_EV_ERR) && has_ev(w->srv, ls, SYNACK_EV_IN)); i++) {
        synack_time_us next = flood_world_next(w);
        if (next == SYNACK_TIME_NEVER) break;
        flood_world_advance(w, next);
    }
    CHECK_EQ(synack_getsockopt(c, o->cfd, SYNACK_SO_ERROR, &e), 0);
    CHECK_EQ(e, 0);
    o->sfd = synack_accept(w->srv, ls, NULL, NULL);
    CHECK(o->sfd >= 0);
}

static void check_variant(const struct variant *v)
{
    static struct flood_world w[2];
    struct opened oc[2];
    int mss[2];
    g_var = v;
    /* [0] through a cookie (always mode), [1] through the syncache (off mode). */
    for (int k = 0; k < 2; k++) {
        int ls;
        g_srv_mode = k == 0 ? SYNACK_SYNCOOKIES_ALWAYS : SYNACK_SYNCOOKIES_OFF;
        CHECK(flood_world_init(&w[k], 1, 77 + (uint64_t)k, var_adjust) == 0);
        owned_w[nowned_w++] = &w[k];
        ls = synack_socket(w[k].srv, SYNACK_SOCK_STREAM);
        CHECK_EQ(synack_bind(w[k].srv, ls, 0, PORT), 0);
        CHECK_EQ(synack_listen(w[k].srv, ls, 128), 0);
        open_one(&w[k], ls, &oc[k]);
        CHECK_OK();
        CHECK_EQ(cnt(w[k].srv, SYNACK_C_tcp_syncookies_ok), k == 0);
        CHECK_EQ(synack_getsockopt(w[k].srv, oc[k].sfd, SYNACK_TCP_MAXSEG, &mss[k]), 0);
    }
    for (int k = 0; k < 2; k++) {
        struct tcb *s = conn(w[k].srv, oc[k].sfd), *c = conn(w[k].cli[0], oc[k].cfd);
        int ts = v->ts, ws = v->ws && (v->ts || k == 1);
        const char *path = k == 0 ? "cookie" : "syncache";
        CHECK_MSG(s->ts_ok == ts && c->ts_ok == ts, "%s %s: ts_ok server %d client %d, expected %d",
                  v->name, path, s->ts_ok, c->ts_ok, ts);
        CHECK_MSG(s->ws_ok == ws && c->ws_ok == ws, "%s %s: ws_ok server %d client %d, expected %d",
                  v->name, path, s->ws_ok, c->ws_ok, ws);
        CHECK_MSG(s->snd_wscale == c->rcv_wscale * ws && c->snd_wscale == s->rcv_wscale * ws,
                  "%s %s: scales: server snd %d rcv %d, client snd %d rcv %d", v->name, path,
                  s->snd_wscale, s->rcv_wscale, c->snd_wscale, c->rcv_wscale);
        CHECK_MSG(s->sack_ok == (ts || k == 1) && c->sack_ok == s->sack_ok,
                  "%s %s: sack server %d client %d", v->name, path, s->sack_ok, c->sack_ok);
        CHECK_MSG(mss[k] == (k == 0 ? v->exp_mss_cookie : v->exp_mss_cache), "%s %s: server MSS %d",
                  v->name, path, mss[k]);
        /* Data flows both ways, well past 64 KiB, so a wrong window scale would show. */
        CHECK_MSG(bulk(&w[k], w[k].cli[0], oc[k].cfd, w[k].srv, oc[k].sfd, 600 * 1024) == 0,
                  "%s %s: bulk transfer failed", v->name, path);
        CHECK_EQ(cnt(w[k].cli[0], SYNACK_C_tcp_drop_paws), 0);
    }
    release_all();
}

STEST(cookie_options_as_offered)
{
    static const struct variant vs[] = {
        /* name             ts ws rcvbuf     maxseg mtu   cookie      cache */
        {"linux-like",      1, 1, 1 << 20,   0,     0,    1460 - 12,  1460 - 12},
        {"mss 1420",        1, 1, 1 << 20,   1420,  0,    1400 - 12,  1420 - 12},
        {"mss 536 no ws",   1, 0, 256 << 10, 536,   0,    536 - 12,   536 - 12},
        {"jumbo 9000",      1, 1, 4 << 20,   0,     9000, 8960 - 12,  8960 - 12},
        {"wscale 9",        1, 1, 16 << 20,  0,     0,    1460 - 12,  1460 - 12},
        {"no timestamps",   0, 1, 1 << 20,   1420,  0,    1400,       1420},
        {"no ts no ws",     0, 0, 64 << 10,  1200,  0,    1200,       1200},
    };
    for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
        check_variant(&vs[i]);
        CHECK_OK();
    }
}

/* ---- the syncache ---- */

/* A SYN-ACK from the cache is retransmitted after 1, 2, 4, 8 and 16 s (same ISS each time),
 * and the entry is reclaimed 32 s after the fifth: 63 s in all. */
STEST(syncache_synack_backoff_and_expiry)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa, tv;
    struct ip4_view ip;
    struct synack_mem_stats m;
    synack_time_us start, at[8];
    int n = 0;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    flood_linux_syn_opts(&o, 9);
    start = f.now;
    handshake_start(&f, 44000, 100, &o, &sa);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncache_added), 1);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_synack_sent), 1);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_sent), 0);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 1);
    CHECK_EQ(m.sockets_in_use, 1);     /* no connection slot for a half-open entry */
    f.cap.n = 0;
    for (int i = 0; i < 20; i++) {
        synack_time_us t = synack_poll_at(f.st);
        if (t == SYNACK_TIME_NEVER) break;
        fx_at(&f, t);
    }
    for (int i = 0; i < f.cap.n && n < 8; i++) {
        CHECK(flood_cap_parse(&f.cap, i, &ip, &tv) == 0);
        CHECK_EQ(tv.flags, SYNACK_SYN | SYNACK_ACK);
        CHECK_EQ(tv.seq, sa.seq);
        CHECK_EQ(tv.ack, 101);
        at[n++] = f.cap.p[i].at - start;
    }
    CHECK_EQ(n, 5);
    CHECK_EQ(at[0], 1000000);
    CHECK_EQ(at[1], 3000000);
    CHECK_EQ(at[2], 7000000);
    CHECK_EQ(at[3], 15000000);
    CHECK_EQ(at[4], 31000000);
    CHECK_EQ(f.now - start, 63000000);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_synack_rexmit), 5);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_half_open_expired), 1);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 0);
    CHECK_EQ(m.sockets_in_use, 1);
    CHECK_EQ(m.timers_armed, 0);
    CHECK(synack_poll_at(f.st) == SYNACK_TIME_NEVER);
    /* The ACK now finds nothing: RST. */
    final_ack(&f, 44000, 100, &sa, 1, 10, NULL, 0, 1000);
    expect_rst(&f, CLI, 44000, sa.seq + 1);
    CHECK_OK();
}

/* A retransmitted SYN gets the same SYN-ACK (same ISS) and no second entry. */
STEST(syncache_duplicate_syn_same_synack)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view a, b;
    struct synack_mem_stats m;
    int fd;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    flood_linux_syn_opts(&o, 9);
    handshake_start(&f, 44100, 500, &o, &a);
    CHECK_OK();
    f.now += 300000;
    handshake_start(&f, 44100, 500, &o, &b);
    CHECK_OK();
    CHECK_EQ(b.seq, a.seq);
    CHECK_EQ(b.ack, a.ack);
    CHECK_EQ(b.opts.mss, a.opts.mss);
    CHECK_EQ(b.opts.ws, a.opts.ws);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncache_added), 1);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 1);
    /* The handshake completes on either SYN-ACK. */
    final_ack(&f, 44100, 500, &b, 1, 10, "hi", 2, 1000);
    fd = synack_accept(f.st, f.ls, NULL, NULL);
    CHECK(fd >= 0);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_ok), 0);
    {
        char buf[8];
        CHECK_EQ(synack_recv(f.st, fd, buf, sizeof buf), 2);
    }
}

/* RFC 5961 §3.2 in SYN-RECEIVED: a RST resets the half-open entry only at exactly RCV.NXT
 * (IRS+1); elsewhere in the window it gets a challenge ACK <SEQ=ISS+1><ACK=IRS+1>, outside it
 * is dropped; either way the entry stays (with its retransmissions). */
STEST(syncache_rst_only_at_rcv_nxt)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa, tv;
    struct ip4_view ip;
    struct synack_mem_stats m;
    static const struct { uint32_t off; int challenge; } wrong[] = {
        {0, 0}, {0xffffff00u, 0}, {0x80000000u, 0}, {2, 1}, {1000, 1}, {60000, 1},
    };
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    flood_linux_syn_opts(&o, 9);
    handshake_start(&f, 44200, 7000, &o, &sa);
    CHECK_OK();
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        f.cap.n = 0;
        fx_seg(&f, CLI, 44200, PORT, 7000 + wrong[i].off, 0, SYNACK_RST, 0, NULL, NULL, 0);
        synack_mem_stats(f.st, &m);
        CHECK_MSG(m.half_open == 1, "RST at IRS+%u removed the entry", wrong[i].off);
        if (!wrong[i].challenge) {
            CHECK_MSG(f.cap.n == 0, "RST at IRS+%u (outside the window) answered", wrong[i].off);
            continue;
        }
        CHECK_MSG(fx_one(&f, &ip, &tv) == 0, "RST at IRS+%u: %d packets, expected a challenge ACK",
                  wrong[i].off, f.cap.n);
        CHECK_EQ(tv.flags, SYNACK_ACK);
        CHECK_EQ(tv.seq, sa.seq + 1);
        CHECK_EQ(tv.ack, 7001);
    }
    /* RST|ACK at IRS+1 (what a client sends in SYN-SENT after a bad SYN-ACK) counts too. */
    f.cap.n = 0;
    fx_seg(&f, CLI, 44200, PORT, 7001, sa.seq + 1, SYNACK_RST | SYNACK_ACK, 0, NULL, NULL, 0);
    CHECK_EQ(f.cap.n, 0);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 0);
    CHECK(synack_poll_at(f.st) == SYNACK_TIME_NEVER);   /* no retransmission left */
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_half_open_expired), 0);
    CHECK_EQ(conn(f.st, f.ls)->n_half, 0);
    /* The listener's half-open share is free again: a new SYN gets an entry, not a cookie. */
    handshake_start(&f, 44201, 1, &o, &sa);
    CHECK_OK();
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncache_added), 2);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_sent), 0);
    CHECK_EQ(conn(f.st, f.ls)->n_half, 1);
}

/* An ACK that does not acknowledge the entry's ISS gets <SEQ=SEG.ACK><CTL=RST> and leaves the
 * entry; the right one completes, with the data it carries. */
STEST(syncache_bad_ack_then_good_ack)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa, bad;
    struct synack_mem_stats m;
    char buf[16];
    int fd;
    struct tcb *t;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    flood_linux_syn_opts(&o, 9);
    o.mss = 1420;                 /* the cache keeps the exact MSS */
    handshake_start(&f, 44300, 9, &o, &sa);
    CHECK_OK();
    bad = sa;
    bad.seq += 5;
    final_ack(&f, 44300, 9, &bad, 1, 10, NULL, 0, 1000);
    expect_rst(&f, CLI, 44300, sa.seq + 6);
    CHECK_OK();
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 1);
    final_ack(&f, 44300, 9, &sa, 1, 11, "payload", 7, 1000);
    fd = synack_accept(f.st, f.ls, NULL, NULL);
    CHECK(fd >= 0);
    CHECK_EQ(synack_recv(f.st, fd, buf, sizeof buf), 7);
    CHECK(memcmp(buf, "payload", 7) == 0);
    t = conn(f.st, fd);
    CHECK_EQ(t->snd_mss, 1420 - 12);
    CHECK_EQ(t->snd_wscale, 7);
    CHECK_EQ(t->sack_ok, 1);
    CHECK_EQ(t->ts_ok, 1);
    CHECK_EQ(t->ts_recent, 11);
    synack_mem_stats(f.st, &m);
    CHECK_EQ(m.half_open, 0);
}

/* Off mode, queue full: a SYN is dropped silently. Auto mode, accept queue full: dropped too
 * (a cookie could not be accepted either). */
STEST(syncache_off_full_and_accept_queue_full_drop)
{
    struct fx f;
    struct tcp_opts o;
    struct tcp_view sa;
    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_OFF, NULL) == 0);
    fill_cache(&f);
    flood_linux_syn_opts(&o, 9);
    fx_seg(&f, CLI, 45000, PORT, 1, 0, SYNACK_SYN, 1000, &o, NULL, 0);
    CHECK_EQ(f.cap.n, 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syn_dropped), 1);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syncookies_sent), 0);

    CHECK(fx_init(&f, SYNACK_SYNCOOKIES_AUTO, NULL) == 0);
    CHECK_EQ(synack_listen(f.st, f.ls, 1), 0);     /* backlog 1 */
    handshake_start(&f, 45001, 1, &o, &sa);
    CHECK_OK();
    final_ack(&f, 45001, 1, &sa, 1, 10, NULL, 0, 1000);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_accepted), 1);
    f.cap.n = 0;
    fx_seg(&f, CLI, 45002, PORT, 1, 0, SYNACK_SYN, 1000, &o, NULL, 0);
    CHECK_EQ(f.cap.n, 0);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_drop_listen_overflow), 1);
    CHECK_EQ(cnt(f.st, SYNACK_C_tcp_syn_dropped), 1);
}
