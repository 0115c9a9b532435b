/* Byte rings for the send and receive buffers, and the out-of-order range list used for
 * reassembly (RFC 9293 §3.10.7.4 seventh: "segments with higher beginning sequence numbers
 * may be held for later processing"). Out-of-order bytes are written straight into the receive
 * ring at their offset beyond the in-order data, so reassembly needs no extra memory: the list
 * only remembers which offsets hold data. */
#include "stack.h"
#include <string.h>

uint32_t ring_free(const struct ring *r) { return r->cap - r->len; }

/* Writes n bytes at offset off from head (off + n <= cap). Does not change len. */
void ring_write_at(struct ring *r, uint32_t off, const uint8_t *p, uint32_t n)
{
    uint32_t pos = (r->head + off) % r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(r->data + pos, p, first);
    if (n > first) memcpy(r->data, p + first, n - first);
}

void ring_read_at(const struct ring *r, uint32_t off, uint8_t *p, uint32_t n)
{
    uint32_t pos = (r->head + off) % r->cap;
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(p, r->data + pos, first);
    if (n > first) memcpy(p + first, r->data, n - first);
}

void ring_consume(struct ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->head = (r->head + n) % r->cap;
    r->len -= n;
    /* head is not reset when the ring empties: out-of-order bytes may wait beyond it. */
}

/* Adds [start, end) to the sorted, disjoint range list, merging neighbours. */
int reass_add(struct reass *a, uint32_t start, uint32_t end)
{
    unsigned i = 0, j;
    if (start >= end) return 0;
    while (i < a->n && a->end[i] < start) i++;
    /* ranges i.. that touch or overlap [start,end) merge into one */
    j = i;
    while (j < a->n && a->start[j] <= end) {
        if (a->start[j] < start) start = a->start[j];
        if (a->end[j] > end) end = a->end[j];
        j++;
    }
    if (j == i) { /* insert a new range at i */
        if (a->n == REASS_MAX) return -1;
        memmove(&a->start[i + 1], &a->start[i], (a->n - i) * sizeof a->start[0]);
        memmove(&a->end[i + 1], &a->end[i], (a->n - i) * sizeof a->end[0]);
        a->n++;
    } else if (j > i + 1) { /* ranges i+1..j-1 are absorbed */
        memmove(&a->start[i + 1], &a->start[j], (a->n - j) * sizeof a->start[0]);
        memmove(&a->end[i + 1], &a->end[j], (a->n - j) * sizeof a->end[0]);
        a->n -= (uint8_t)(j - i - 1);
    }
    a->start[i] = start;
    a->end[i] = end;
    return 0;
}

/* RCV.NXT advanced by `contiguous` bytes of in-order data just written. Removes what is now
 * covered, rebases offsets, and returns how many more bytes became contiguous beyond it. */
uint32_t reass_take_front(struct reass *a, uint32_t contiguous)
{
    uint32_t extra = 0, shift;
    unsigned i = 0, k;
    while (i < a->n && a->start[i] <= contiguous) {
        if (a->end[i] > contiguous + extra) extra = a->end[i] - contiguous;
        i++;
    }
    /* drop ranges 0..i-1 */
    for (k = i; k < a->n; k++) { a->start[k - i] = a->start[k]; a->end[k - i] = a->end[k]; }
    a->n -= (uint8_t)i;
    shift = contiguous + extra;
    for (k = 0; k < a->n; k++) { a->start[k] -= shift; a->end[k] -= shift; }
    return extra;
}

void reass_shift(struct reass *a, uint32_t n)
{
    unsigned i, k = 0;
    for (i = 0; i < a->n; i++) {
        if (a->end[i] <= n) continue;
        a->start[k] = a->start[i] > n ? a->start[i] - n : 0;
        a->end[k] = a->end[i] - n;
        k++;
    }
    a->n = (uint8_t)k;
}

int reass_next_gap(const struct reass *a, uint32_t from, uint32_t *start, uint32_t *len)
{
    for (unsigned i = 0; i < a->n; i++) {
        if (from < a->start[i]) { *start = from; *len = a->start[i] - from; return 1; }
        if (from < a->end[i]) from = a->end[i];
    }
    return 0;
}
