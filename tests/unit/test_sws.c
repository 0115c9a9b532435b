/* Sender SWS avoidance under ACK division (issue 10; RFC 9293 §3.8.6.2.1): a receiver that
 * ACKs every segment in ten pieces frees the send buffer 146 bytes at a time. An application
 * that keeps the buffer full (as `synack serve` does) then adds 146 bytes per ACK; sending
 * each as its own segment (28-146 bytes, measured against a real attacker) multiplies the
 * packets by ten. Segments must stay full-sized while the buffer is what limits the sender. */
#include "../harness/test.h"
#include "../harness/seg.h"
#include "core/seq.h"

static void bufs(struct synack_config *c) { c->sndbuf_bytes = 16384; c->rcvbuf_bytes = 65536; }

FX_TEST(sws_ack_division_keeps_segments_full, bufs)
{
    static char data[300000];
    struct seg s;
    size_t sent = 0;
    long segs = 0, bytes = 0, small = 0;
    uint32_t una, hi;
    if (fx_to_established(f)) return;
    una = hi = f->snd_nxt;
#define TAKE() do { if (s.len) { segs++; bytes += s.len; if (s.len < 1000 && seq_lt(s.seq + s.len, una + 16384 - 1460)) small++; \
                     if (seq_gt(s.seq + s.len, hi)) hi = s.seq + s.len; } } while (0)
    for (int round = 0; round < 20000 && sent < sizeof data; round++) {
        /* the application tops the buffer up at every step, like serve's apps */
        ssize_t k = synack_send(f->st, f->s, data + sent, sizeof data - sent);
        if (k > 0) sent += (size_t)k;
        fx_poll(f);
        while (fx_pop(f, &s)) TAKE();
        if (seq_lt(una, hi)) {          /* one tenth of a segment acknowledged per ACK */
            uint32_t step = hi - una < 146 ? hi - una : 146;
            una += step;
            fx_in(f, SYNACK_ACK, f->peer_nxt, una, NULL, 0);
            while (fx_pop(f, &s)) TAKE();
        }
        f->now += 1000;
    }
#undef TAKE
    CHECK(sent == sizeof data);
    CHECK_MSG(bytes / segs >= 1300, "%ld segments for %ld bytes (%ld short)", segs, bytes, small);
}
