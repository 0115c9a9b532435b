/* A segment longer than the MSS: several segments coalesced by the link (a TUN with offloads
 * hands over GRO aggregates of up to 64 KiB). It is taken whole and ACKed at once, as the
 * "every second full-sized segment" rule (RFC 1122 4.2.3.2) sees it; Linux's
 * __tcp_ack_snd_check does the same (more than one rcv_mss received since the last ACK). */
#include "../harness/seg.h"

static void gro_exhaust_quickack(struct fx *f)
{
    uint8_t junk[64];
    for (int k = 0; k < 16; k++) {
        fx_peer(f, SYNACK_ACK, "x", 1);
        FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);   /* quick-ACK mode at the start */
        CHECK(synack_recv(f->st, f->s, junk, sizeof junk) == 1);
    }
    fx_flush(f);
}

FX_TEST(gro_full_segment_ack_is_delayed, NULL)
{
    static uint8_t d[1460];
    if (fx_to_established(f)) return;
    gro_exhaust_quickack(f);
    CHECK_OK();
    fx_peer(f, SYNACK_ACK, d, sizeof d);
    FX_EXPECT_NONE(f);                       /* one full segment: the ACK waits */
    fx_run(f, 50 * SEG_MS);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);
}

FX_TEST(gro_coalesced_segment_acked_at_once, NULL)
{
    static uint8_t d[2 * 1460 + 100];
    uint8_t out[sizeof d];
    for (size_t k = 0; k < sizeof d; k++) d[k] = (uint8_t)(k * 7);
    if (fx_to_established(f)) return;
    gro_exhaust_quickack(f);
    CHECK_OK();
    fx_peer(f, SYNACK_ACK, d, sizeof d);
    FX_EXPECT(f, SYNACK_ACK, f->snd_nxt, f->peer_nxt);  /* at once, covering all of it */
    CHECK_EQ(synack_recv(f->st, f->s, out, sizeof out), sizeof d);
    CHECK(!memcmp(out, d, sizeof d));
}
