/* Mutation switches: `make mutants` proves that the tests see each mechanism below, by
 * building the unit tests once with -DSYNACK_MUTANTS and running them once per mechanism with
 * that mechanism switched off (SYNACK_MUTANT=name); at least one test must then fail.
 *
 * A mechanism site in src/core reads `if (!MUTANT_OFF(name) && cond)` (or the like). In a
 * normal build MUTANT_OFF(name) is the constant 0 and every guard vanishes: the core compiles
 * to exactly the same logic. With -DSYNACK_MUTANTS it compares a global that the test binary
 * (tests/harness/main.c) sets from the environment; the core itself still reads nothing.
 *
 * The list: X(name, what is switched off). Keep it in step with docs/mutants.md. */
#ifndef SYNACK_CORE_MUTANTS_H
#define SYNACK_CORE_MUTANTS_H

#define SYNACK_MUTANT_LIST(X) \
    /* loss recovery and congestion control */ \
    X(fast_retransmit, "RFC 5681 3.2: duplicate ACKs start fast retransmit/recovery") \
    X(loss_cwnd_reduction, "RFC 5681 3.2: ssthresh = FlightSize/2 and cwnd = ssthresh+3 on entering recovery") \
    X(newreno_partial_ack, "RFC 6582 3.2: a partial ACK keeps recovery and resends the next hole") \
    X(newreno_recover_guard, "RFC 6582 3.2: no new fast retransmit for a duplicate ACK below recover") \
    X(sack_scoreboard, "RFC 2018/6675: SACK blocks recorded (off: recovery ignores SACK, go-back-N)") \
    X(sack_hole_rexmit, "RFC 6675 NextSeg: retransmit the first hole below the highest SACKed byte") \
    X(rto_sack_skip, "after a timeout, going back skips what the peer SACKed") \
    X(sack_reneging, "RFC 2018 8: scoreboard forgotten when timeouts repeat") \
    X(limited_transmit, "RFC 3042: a new segment beyond cwnd for each of the first two dupACKs") \
    X(early_retransmit, "RFC 5827: dupthresh flight-1 for a small flight with nothing new to send") \
    X(tlp, "RFC 8985 7: tail loss probe timer (PTO)") \
    X(tlp_recovery, "RFC 8985 7.4: a probe's ACK that SACKs the tail starts recovery at once") \
    X(eifel, "RFC 3522 Eifel detection: TSecr older than the retransmission undoes it") \
    X(eifel_rto_response, "RFC 4015: after a spurious timeout, do not resend what is in flight") \
    X(dupthresh_adapt, "dupthresh + 1 after a spurious fast retransmit (Linux's reordering)") \
    X(congestion_avoidance, "RFC 5681 3.1: one SMSS per cwnd ACKed above ssthresh") \
    X(rto_cwnd_collapse, "RFC 5681 3.1 (4): cwnd = 1 SMSS, ssthresh = FlightSize/2 on a timeout") \
    X(initial_window_10, "RFC 6928: initial window 10 segments (off: 1)") \
    X(wnd_update_rule, "RFC 9293 3.10.7.4: SND.WL1/SND.WL2 decide whether a segment updates SND.WND") \
    /* RTO */ \
    X(rtt_estimator, "RFC 6298 2: SRTT/RTTVAR from RTT samples") \
    X(karn, "RFC 6298 3 (Karn): no RTT sample from retransmitted data") \
    X(karn_syn, "RFC 6298 3/5.7: no sample from a retransmitted SYN, RTO 3 s then") \
    X(rto_backoff, "RFC 6298 5.5: double the RTO on each timeout") \
    /* ACKs */ \
    X(delayed_ack, "RFC 1122 4.2.3.2: delay the ACK of in-order data") \
    X(quickack, "Linux quick-ACK: the first 16 segments are ACKed at once") \
    X(ack_every_second, "RFC 1122 4.2.3.2: ACK at least every second segment") \
    X(ack_hole_fill, "RFC 5681 4.2: ACK at once when a segment fills a hole") \
    X(sack_block_order, "RFC 2018 4: SACK blocks in recency order (the newest first)") \
    /* windows */ \
    X(persist, "RFC 9293 3.8.6.1: zero-window probing") \
    X(persist_bounds, "Linux tcp_probe_timer: zero-window probes bounded (retries, orphans, user timeout)") \
    X(zero_window_alive, "RFC 9293 3.8.6.1: a peer answering with a zero window does not use up retries") \
    X(sws_sender_half_window, "RFC 9293 3.8.6.2.1: a short segment waits unless >= half the max window") \
    X(sws_sender_room, "sender SWS: a short segment waits while the send buffer has no room for a full one") \
    X(nagle, "RFC 9293 3.7.4: Nagle, a short segment waits for the ACK of data in flight") \
    X(sws_receiver, "RFC 9293 3.8.6.2.2: the right edge moves by >= min(RCV.BUFF/2, MSS)") \
    X(window_update_after_read, "a window update after recv() opens the window") \
    /* blind attacks, TIME_WAIT */ \
    X(paws, "RFC 7323 5.3: PAWS drops a segment with an old TSval") \
    X(paws_dup_ack_exempt, "Linux tcp_disordered_ack: PAWS spares a reordered pure duplicate ACK") \
    X(challenge_ack_rst, "RFC 5961 3.2: a RST not at RCV.NXT draws a challenge ACK") \
    X(challenge_ack_syn, "RFC 5961 4.2: a SYN in a synchronized state draws a challenge ACK") \
    X(challenge_ack_bad_ack, "RFC 5961 5.2: an ACK below SND.UNA - MAX.SND.WND draws a challenge ACK") \
    X(challenge_ack_ratelimit, "RFC 5961 7: challenge ACKs rate-limited per connection") \
    X(rfc1337, "RFC 1337: a RST does not end TIME_WAIT") \
    X(rfc6191_reuse, "RFC 6191: a newer SYN reuses a TIME_WAIT 4-tuple") \
    X(rfc6191_isn_floor, "RFC 9293 MAY-2: the new incarnation's ISS is above the old SND.MAX") \
    X(timewait_reack, "RFC 9293 3.10.7.4: TIME_WAIT re-ACKs a retransmitted FIN and restarts 2MSL") \
    X(finwait2_timeout, "Linux tcp_fin_timeout: an orphan in FIN_WAIT_2 times out") \
    X(orphan_finwait2_free, "an orphan entering FIN_WAIT_2 gives its buffers back") \
    X(abort_on_data, "RFC 1122 4.2.2.13: data after the user's close gets a RST (Linux TCPAbortOnData)") \
    X(syn_flags_drop, "SYN with RST or FIN dropped (FreeBSD, Linux)") \
    /* listener */ \
    X(syncookies, "RFC 4987 3.6: SYN cookies when the syncache is full") \
    X(syncache_rexmit, "SYN-ACK retransmission with backoff from the syncache") \
    X(admission_control, "Linux tcp_abort_on_overflow=0: a final ACK without resources waits") \
    X(per_source_limit, "per_source_limit connections per source address") \
    X(timewait_bound, "Linux tcp_max_tw_buckets: at most max_timewait in TIME_WAIT") \
    X(timewait_recycle, "a new connection needing a slot ends the oldest TIME_WAIT one") \
    /* rate limits, IPv4 input */ \
    X(oow_ack_ratelimit, "Linux tcp_invalid_ratelimit: ACKs to out-of-window segments limited") \
    X(rst_ratelimit, "FreeBSD badport_bandlim: RSTs for no connection limited") \
    X(icmp_ratelimit, "ICMP errors rate-limited") \
    X(land_drop, "RFC 1122 3.2.1.3: datagrams from our own address (LAND) dropped") \
    X(bad_source_drop, "RFC 1122 3.2.1.3: datagrams from non-unicast sources dropped") \
    X(ip_source_route_drop, "RFC 7126 4.3-4.4: source-routed datagrams dropped") \
    X(ip_option_check, "RFC 791 3.1: a malformed option list drops the datagram") \
    /* link layer */ \
    X(eth_reply_tag, "a reply goes to the source MAC of the frame it answers (transmit slot tag)") \
    X(eth_conn_l2, "a connection's output goes to the MAC its peer's segments come from") \
    X(eth_bcast_ip_drop, "RFC 1122 3.3.6: unicast IP in a link-layer broadcast dropped")

#ifdef SYNACK_MUTANTS
enum synack_mutant {
#define SYNACK_MUTANT_ENUM_(name, what) MUT_##name,
    SYNACK_MUTANT_LIST(SYNACK_MUTANT_ENUM_)
#undef SYNACK_MUTANT_ENUM_
    MUT_COUNT_
};
/* The mechanism switched off (an enum synack_mutant), or -1: set by the test binary. */
extern int synack__mutant;
#define MUTANT_OFF(name) (synack__mutant == MUT_##name)
#else
#define MUTANT_OFF(name) 0
#endif

#endif
