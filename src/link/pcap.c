/* The pcap writer of link.h: classic libpcap format (magic 0xa1b2c3d4, version 2.4,
 * microsecond timestamps, snaplen 65535, linktype 101 = LINKTYPE_RAW, i.e. bare IPv4, or another
 * link type such as 1 = LINKTYPE_ETHERNET), which tcpdump -r and tshark -r read.
 *
 * Call order: synack_pcap_open(path) (or synack_pcap_open_linktype(path, linktype)) writes the
 * 24-byte global header; synack_pcap_write() (or
 * synack_pcap_tap() as a memlink tap) appends one 16-byte record header plus the packet, stamped
 * with now (negative times are written as 0) and cut to the snaplen; synack_pcap_close() flushes
 * and frees. Every field is written little-endian whatever the host, so files are byte-for-byte
 * reproducible. Write errors are sticky and silent: the writer must never disturb the stack.
 */
#include <stdio.h>
#include <stdlib.h>

#include "synack/link.h"

#define PCAP_SNAPLEN 65535u

struct synack_pcap {
    FILE *f;
    int err;
};

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}

struct synack_pcap *synack_pcap_open(const char *path)
{
    return synack_pcap_open_linktype(path, SYNACK_PCAP_LINKTYPE_RAW);
}

struct synack_pcap *synack_pcap_open_linktype(const char *path, uint32_t linktype)
{
    struct synack_pcap *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->f = fopen(path, "wb");
    if (!p->f) { free(p); return NULL; }
    uint8_t h[24];
    put32(h, 0xa1b2c3d4u);       /* magic: microsecond timestamps */
    put16(h + 4, 2);             /* version major */
    put16(h + 6, 4);             /* version minor */
    put32(h + 8, 0);             /* thiszone */
    put32(h + 12, 0);            /* sigfigs */
    put32(h + 16, PCAP_SNAPLEN); /* snaplen */
    put32(h + 20, linktype);
    if (fwrite(h, sizeof h, 1, p->f) != 1) p->err = 1;
    return p;
}

void synack_pcap_write(struct synack_pcap *p, synack_time_us now, const uint8_t *pkt, size_t len)
{
    if (!p || p->err) return;
    if (now < 0) now = 0;
    uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
    uint8_t h[16];
    put32(h, (uint32_t)(now / 1000000));
    put32(h + 4, (uint32_t)(now % 1000000));
    put32(h + 8, caplen);
    put32(h + 12, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    if (fwrite(h, sizeof h, 1, p->f) != 1 || (caplen && fwrite(pkt, caplen, 1, p->f) != 1))
        p->err = 1;
}

void synack_pcap_tap(void *p, synack_time_us now, const uint8_t *pkt, size_t len)
{
    synack_pcap_write(p, now, pkt, len);
}

void synack_pcap_close(struct synack_pcap *p)
{
    if (!p) return;
    fclose(p->f); /* flushes */
    free(p);
}
