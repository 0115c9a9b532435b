/* TCP Fast Open, client side (RFC 7413), and text on a SYN-ACK (RFC 9293 §3.10.7.3).
 * Segment-level scripts (tests/harness/seg.h) in virtual time. */
#include <errno.h>
#include <string.h>
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/stack.h"
#include "core/wire.h"

static const uint8_t tfo_cookie[8] = { 0xab, 0xcd, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };

/* A SYN-ACK from the peer (port pport, ISS piss) for our SYN at iss, acknowledging `ack`,
 * with MSS 1460 and, when cookie_len, a Fast Open cookie; `data` rides on it. */
static void tfo_synack(struct fx *f, uint16_t pport, uint16_t lport, uint32_t piss, uint32_t ack,
                       uint8_t cookie_len, const void *data, uint32_t len, uint8_t extra)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460; o.sack_ok = 1;
    if (cookie_len) { o.has_fo = 1; o.fo_len = cookie_len; memcpy(o.fo_cookie, tfo_cookie, cookie_len); }
    fx_inject(f, pport, lport, (uint8_t)(SYNACK_SYN | SYNACK_ACK | extra), piss, ack, 65535, &o, data, len);
}

/* First connection: TCP_FASTOPEN_CONNECT without a cookie sends a SYN with an empty Fast Open
 * option (a cookie request) and connect() is EINPROGRESS; the SYN-ACK's cookie is cached. */
static int tfo_learn_cookie(struct fx *f)
{
    struct seg s;
    int h = synack_socket(f->st, SYNACK_SOCK_STREAM);
    FX_REQUIRE(h >= 0, "h >= 0");
    FX_REQUIRE(synack_setsockopt(f->st, h, SYNACK_TCP_FASTOPEN_CONNECT, 1) == 0, "TCP_FASTOPEN_CONNECT: errno %d", errno);
    FX_REQUIRE(synack_connect(f->st, h, SEG_PEER_ADDR, SEG_PEER_PORT + 1) == -1 && errno == EINPROGRESS, "synack_connect(f->st, h, SEG_PEER_ADDR, SEG_PEER_PORT + 1) == -1 && errno == EINPROGRESS");
    fx_poll(f);
    if (!fx_pop(f, &s)) { test_fail(__FILE__, __LINE__, "no SYN"); return -1; }
    FX_REQUIRE(s.flags == SYNACK_SYN, "flags %#x, expected a SYN", s.flags);
    FX_REQUIRE(s.opts.has_fo && s.opts.fo_len == 0, "SYN without a cookie request (has_fo %d len %d)",
              s.opts.has_fo, s.opts.fo_len);
    FX_REQUIRE(s.len == 0, "the cookie request carried %u bytes", s.len);
    tfo_synack(f, SEG_PEER_PORT + 1, s.sport, 5000, s.seq + 1, sizeof tfo_cookie, NULL, 0, 0);
    fx_poll(f);
    while (fx_pop(f, &s)) {}
    FX_REQUIRE(synack__tfo_lookup(f->st, SEG_PEER_ADDR) != NULL, "synack__tfo_lookup(f->st, SEG_PEER_ADDR) != NULL");
    synack_setsockopt(f->st, h, SYNACK_SO_LINGER_ZERO, 1);     /* end it with a RST: quiet */
    synack_close(f->st, h);
    fx_run(f, SEG_REPLY_WAIT);
    fx_flush(f);
    return 0;
}

/* Second connection: connect() returns 0 at once, nothing is sent, the socket is writable;
 * the first send goes out in the SYN with the cookie. */
static int tfo_syn_with_data(struct fx *f, int *h, struct seg *syn, const char *msg)
{
    struct seg s;
    *h = synack_socket(f->st, SYNACK_SOCK_STREAM);
    FX_REQUIRE(*h >= 0, "*h >= 0");
    FX_REQUIRE(synack_setsockopt(f->st, *h, SYNACK_TCP_FASTOPEN_CONNECT, 1) == 0, "TCP_FASTOPEN_CONNECT: errno %d", errno);
    FX_REQUIRE(synack_connect(f->st, *h, SEG_PEER_ADDR, SEG_PEER_PORT + 2) == 0, "connect with a cookie: errno %d", errno);
    fx_poll(f);
    FX_REQUIRE(!fx_pop(f, &s), "a segment left before the first send");
    FX_REQUIRE(synack_sock_events(f->st, *h) & SYNACK_EV_OUT, "synack_sock_events(f->st, *h) & SYNACK_EV_OUT");
    FX_REQUIRE(synack_send(f->st, *h, msg, strlen(msg)) == (long)strlen(msg), "first send: errno %d", errno);
    fx_poll(f);
    if (!fx_pop(f, syn)) { test_fail(__FILE__, __LINE__, "no SYN after the first send"); return -1; }
    FX_REQUIRE(syn->flags == SYNACK_SYN, "flags %#x, expected a SYN", syn->flags);
    FX_REQUIRE(syn->len == strlen(msg), "the SYN carried %u bytes", syn->len);
    FX_REQUIRE(memcmp(syn->data, msg, syn->len) == 0, "memcmp(syn->data, msg, syn->len) == 0");
    FX_REQUIRE(syn->opts.has_fo && syn->opts.fo_len == sizeof tfo_cookie &&
              memcmp(syn->opts.fo_cookie, tfo_cookie, sizeof tfo_cookie) == 0, "SYN without the cookie");
    FX_REQUIRE(synack_counter_get(f->st, SYNACK_C_tcp_tfo_syn_data) == 1, "tcp_tfo_syn_data != 1");
    return 0;
}

FX_TEST(tfo_syn_data_acknowledged, NULL)
{
    struct seg syn, s;
    int h;
    const char *msg = "GET / HTTP/1.0\r\n\r\n";
    if (tfo_learn_cookie(f) || tfo_syn_with_data(f, &h, &syn, msg)) return;
    /* The server takes the data: its SYN-ACK acknowledges ISS + 1 + len. */
    tfo_synack(f, SEG_PEER_PORT + 2, syn.sport, 9000, syn.seq + 1 + syn.len, 0, NULL, 0, 0);
    fx_poll(f);
    CHECK(fx_pop(f, &s));
    CHECK_EQ(s.flags, SYNACK_ACK);
    CHECK_EQ(s.seq, syn.seq + 1 + syn.len);
    CHECK_EQ(s.len, 0);
    CHECK_EQ(synack_counter_get(f->st, SYNACK_C_tcp_tfo_data_acked), 1);
    /* Nothing is sent again: the data was acknowledged. */
    fx_run(f, 5 * SEG_REPLY_WAIT);
    while (fx_pop(f, &s)) CHECK_MSG(s.len == 0, "data sent again after it was acknowledged (%u bytes)", s.len);
    CHECK_EQ(synack_counter_get(f->st, SYNACK_C_tcp_rexmit), 0);
    synack_close(f->st, h);
}

FX_TEST(tfo_syn_data_refused_is_sent_again, NULL)
{
    struct seg syn, s;
    int h, seen = 0;
    const char *msg = "hello, fast open";
    if (tfo_learn_cookie(f) || tfo_syn_with_data(f, &h, &syn, msg)) return;
    /* The server ignores the data (an invalid cookie, say): the SYN-ACK acknowledges ISS+1. */
    tfo_synack(f, SEG_PEER_PORT + 2, syn.sport, 9000, syn.seq + 1, 0, NULL, 0, 0);
    fx_run(f, SEG_REPLY_WAIT);
    CHECK_EQ(synack_counter_get(f->st, SYNACK_C_tcp_tfo_data_refused), 1);
    while (fx_pop(f, &s)) {
        if (s.len == 0) continue;
        CHECK_EQ(s.seq, syn.seq + 1);
        CHECK_EQ(s.len, strlen(msg));
        CHECK(memcmp(s.data, msg, s.len) == 0);
        seen++;
    }
    CHECK_MSG(seen == 1, "the refused SYN data went out %d times after the handshake", seen);
    synack_close(f->st, h);
}

/* A retransmitted SYN goes without data and without the option (RFC 7413 §4.2.1 leaves the
 * choice; a middlebox may drop SYNs with data or unknown options). */
FX_TEST(tfo_syn_retransmission_is_plain, NULL)
{
    struct seg syn, s;
    int h;
    if (tfo_learn_cookie(f) || tfo_syn_with_data(f, &h, &syn, "abc")) return;
    fx_run(f, 1500000);
    CHECK(fx_pop(f, &s));
    CHECK_EQ(s.flags, SYNACK_SYN);
    CHECK_EQ(s.seq, syn.seq);
    CHECK_EQ(s.len, 0);
    CHECK(!s.opts.has_fo);
    synack_close(f->st, h);
}

/* TCP_FASTOPEN_CONNECT is for sockets that have not connected (Linux: EINVAL otherwise), and
 * takes 0 or 1. */
FX_TEST(tfo_sockopt_bounds, NULL)
{
    int h = synack_socket(f->st, SYNACK_SOCK_STREAM), v = -1;
    CHECK(h >= 0);
    CHECK(synack_setsockopt(f->st, h, SYNACK_TCP_FASTOPEN_CONNECT, 2) == -1 && errno == EINVAL);
    CHECK_EQ(synack_setsockopt(f->st, h, SYNACK_TCP_FASTOPEN_CONNECT, 1), 0);
    CHECK_EQ(synack_getsockopt(f->st, h, SYNACK_TCP_FASTOPEN_CONNECT, &v), 0);
    CHECK_EQ(v, 1);
    CHECK(synack_connect(f->st, h, SEG_PEER_ADDR, SEG_PEER_PORT + 3) == -1 && errno == EINPROGRESS);
    CHECK(synack_setsockopt(f->st, h, SYNACK_TCP_FASTOPEN_CONNECT, 0) == -1 && errno == EINVAL);
    synack_close(f->st, h);
}

/* RFC 9293 §3.10.7.3: text on the SYN-ACK is processed (from the sixth step), and one ACK
 * covers the SYN and the text. (A SYN-ACK with FIN is still dropped, as a nonsense flag
 * combination: docs/conformance.md.) */
FX_TEST(synack_with_data, NULL)
{
    struct seg s;
    char buf[64];
    if (fx_to_syn_sent(f)) return;
    tfo_synack(f, f->pport, f->lport, f->peer_iss, f->iss + 1, 0, "early data", 10, 0);
    fx_poll(f);
    CHECK_MSG(fx_pop(f, &s), "no ACK; state %d", fx_state(f));
    CHECK_EQ(s.flags, SYNACK_ACK);
    CHECK_EQ(s.ack, f->peer_iss + 1 + 10);
    CHECK_MSG(!fx_pop(f, &s), "more than one ACK for the SYN-ACK");
    CHECK_EQ(fx_state(f), SYNACK_ESTABLISHED);
    CHECK_EQ(synack_recv(f->st, f->s, buf, sizeof buf), 10);
    CHECK(memcmp(buf, "early data", 10) == 0);
    f->peer_nxt = f->peer_iss + 11;
}

/* The Fast Open option on the wire: a request (length 2), cookies of 4..16 even bytes padded
 * with NOPs; an odd or out-of-range length is ignored, not fatal to the segment. */
TEST(wire_fastopen_option)
{
    struct tcp_opts o, p;
    uint8_t buf[40];
    size_t n;
    memset(&o, 0, sizeof o);
    o.has_mss = 1; o.mss = 1460; o.has_fo = 1;
    n = tcp_opts_emit(buf, &o);
    CHECK_EQ(n, 8);
    CHECK(buf[4] == 34 && buf[5] == 2 && buf[6] == 1 && buf[7] == 1);
    CHECK_EQ(tcp_opts_parse(buf, n, &p), WIRE_OK);
    CHECK(p.has_fo && p.fo_len == 0);
    o.fo_len = 8;
    memcpy(o.fo_cookie, tfo_cookie, 8);
    n = tcp_opts_emit(buf, &o);
    CHECK_EQ(n, 16);
    CHECK_EQ(tcp_opts_parse(buf, n, &p), WIRE_OK);
    CHECK(p.has_fo && p.fo_len == 8 && memcmp(p.fo_cookie, tfo_cookie, 8) == 0);
    {
        const uint8_t odd[8] = { 34, 5, 1, 2, 3, 1, 1, 1 };      /* 3-byte cookie: ignored */
        const uint8_t big[20] = { 34, 20 };                     /* 18-byte cookie: ignored */
        CHECK_EQ(tcp_opts_parse(odd, sizeof odd, &p), WIRE_OK);
        CHECK(!p.has_fo);
        CHECK_EQ(tcp_opts_parse(big, sizeof big, &p), WIRE_OK);
        CHECK(!p.has_fo);
    }
}
