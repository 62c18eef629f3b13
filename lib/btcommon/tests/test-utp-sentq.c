/* Unit tests: the unacknowledged-packet queue used for uTP ACK/RTT analysis. */
#include <stdlib.h>

#include "check.h"
#include "utp-sentq.h"

static void *t_alloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void t_release(void *ctx, void *p) { (void)ctx; free(p); }

int main(void)
{
    bt_allocator_t a = { t_alloc, t_release, NULL };
    utp_sentq_t q;
    utp_sent_t e = { 0 }, last;

    utp_sentq_init(&q, &a);
    for (uint64_t s = 100; s < 140; s++) {        /* forces two grows */
        e.seq = s; e.frame = (uint32_t)s + 1000; e.len = 1000;
        CHECK(utp_sentq_push(&q, &e));
    }
    CHECK_EQ_INT(utp_sentq_count(&q), 40);
    CHECK_EQ_INT(utp_sentq_bytes(&q), 40000);

    /* not increasing: refused */
    e.seq = 139;
    CHECK(!utp_sentq_push(&q, &e));

    /* lookup */
    CHECK(utp_sentq_find(&q, 120) != NULL);
    CHECK_EQ_INT(utp_sentq_find(&q, 120)->frame, 1120);
    CHECK(utp_sentq_find(&q, 99) == NULL);
    CHECK(utp_sentq_find(&q, 140) == NULL);

    /* cumulative ACK of 100..109: the last removed is 109 */
    CHECK_EQ_INT(utp_sentq_ack(&q, 109, &last), 10);
    CHECK_EQ_INT(last.seq, 109);
    CHECK_EQ_INT(last.frame, 1109);
    CHECK_EQ_INT(utp_sentq_count(&q), 30);
    CHECK_EQ_INT(utp_sentq_bytes(&q), 30000);
    /* an old ACK removes nothing */
    CHECK_EQ_INT(utp_sentq_ack(&q, 105, &last), 0);

    /* SACK takes bytes out of flight once */
    CHECK(utp_sentq_sack(&q, 115));
    CHECK(!utp_sentq_sack(&q, 115));
    CHECK(!utp_sentq_sack(&q, 5000));
    CHECK_EQ_INT(utp_sentq_bytes(&q), 29000);
    CHECK_EQ_INT(utp_sentq_ack(&q, 120, &last), 11);
    CHECK_EQ_INT(utp_sentq_bytes(&q), 19000);

    /* wrap inside the ring: push after removing from the front */
    for (uint64_t s = 140; s < 180; s++) {
        e.seq = s; e.frame = (uint32_t)s; e.len = 10;
        CHECK(utp_sentq_push(&q, &e));
    }
    CHECK_EQ_INT(utp_sentq_count(&q), 19 + 40);
    CHECK_EQ_INT(utp_sentq_find(&q, 179)->frame, 179);
    CHECK_EQ_INT(utp_sentq_find(&q, 121)->frame, 1121);
    CHECK_EQ_INT(utp_sentq_ack(&q, 1000000, &last), 59);
    CHECK_EQ_INT(last.seq, 179);
    CHECK_EQ_INT(utp_sentq_count(&q), 0);
    CHECK_EQ_INT(utp_sentq_bytes(&q), 0);

    utp_sentq_destroy(&q);

    /* a gap filled late goes to its place */
    utp_sentq_init(&q, &a);
    for (uint64_t s = 10; s < 30; s += 2) {
        e.seq = s; e.frame = (uint32_t)s; e.len = 100;
        CHECK(utp_sentq_push(&q, &e));
    }
    e.seq = 15; e.frame = 15; e.len = 7;
    CHECK(utp_sentq_insert(&q, &e));
    CHECK(!utp_sentq_insert(&q, &e));            /* already there */
    e.seq = 5; e.frame = 5; e.len = 7;
    CHECK(utp_sentq_insert(&q, &e));             /* before the first */
    e.seq = 40; e.frame = 40; e.len = 7;
    CHECK(utp_sentq_insert(&q, &e));             /* after the last */
    CHECK_EQ_INT(utp_sentq_count(&q), 13);
    CHECK_EQ_INT(utp_sentq_bytes(&q), 1021);
    CHECK_EQ_INT(utp_sentq_find(&q, 15)->frame, 15);
    CHECK_EQ_INT(utp_sentq_find(&q, 16)->frame, 16);
    CHECK_EQ_INT(utp_sentq_ack(&q, 15, &last), 5);   /* 5, 10, 12, 14, 15 */
    CHECK_EQ_INT(last.frame, 15);
    utp_sentq_destroy(&q);

    /* the bound: never more than UTP_SENTQ_MAX entries */
    utp_sentq_init(&q, &a);
    for (uint64_t s = 0; s < UTP_SENTQ_MAX + 5; s++) {
        e.seq = 1000 + s; e.len = 1;
        utp_sentq_push(&q, &e);
    }
    CHECK_EQ_INT(utp_sentq_count(&q), UTP_SENTQ_MAX);
    CHECK(utp_sentq_find(&q, 1004) == NULL);
    CHECK(utp_sentq_find(&q, 1005) != NULL);
    utp_sentq_destroy(&q);

    /* a reused number: the entry takes the new packet, bytes in flight follow */
    utp_sentq_init(&q, &a);
    e.seq = 500; e.len = 0; e.frame = 7; e.sig = utp_packet_sig(1, NULL, 0);   /* a FIN */
    CHECK(utp_sentq_push(&q, &e));
    CHECK_EQ_INT(utp_sentq_bytes(&q), 0);
    {
        utp_sent_t *f = utp_sentq_find(&q, 500);
        uint32_t data_sig = utp_packet_sig(0, (const uint8_t *)"abc", 3);
        CHECK(f->sig != data_sig);
        utp_sentq_replace(&q, f, 9, 3, data_sig);
        CHECK_EQ_INT(utp_sentq_bytes(&q), 3);
        CHECK_EQ_INT(utp_sentq_find(&q, 500)->frame, 9);
        CHECK_EQ_INT(utp_sentq_find(&q, 500)->sig, data_sig);
    }
    utp_sentq_destroy(&q);
    /* signatures: type, length and bytes all count */
    CHECK(utp_packet_sig(0, (const uint8_t *)"abc", 3) == utp_packet_sig(0, (const uint8_t *)"abc", 3));
    CHECK(utp_packet_sig(0, (const uint8_t *)"abc", 3) != utp_packet_sig(0, (const uint8_t *)"abd", 3));
    CHECK(utp_packet_sig(0, (const uint8_t *)"abc", 3) != utp_packet_sig(1, (const uint8_t *)"abc", 3));
    CHECK(utp_packet_sig(0, (const uint8_t *)"ab\0", 3) != utp_packet_sig(0, (const uint8_t *)"ab", 2));
    /* past the 8-byte words: flipping any one bit of a 1000-byte payload
     * (in a word or in the tail) changes the signature */
    {
        uint8_t buf[1000];
        uint32_t base;
        int all_differ = 1;
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (uint8_t)(i * 7 + 3);
        base = utp_packet_sig(0, buf, sizeof buf);
        for (size_t i = 0; i < sizeof buf; i++)
            for (int b = 0; b < 8; b++) {
                buf[i] ^= (uint8_t)(1u << b);
                if (utp_packet_sig(0, buf, sizeof buf) == base)
                    all_differ = 0;
                buf[i] ^= (uint8_t)(1u << b);
            }
        CHECK(all_differ);
        CHECK(utp_packet_sig(0, buf, sizeof buf) != utp_packet_sig(0, buf, sizeof buf - 1));
    }

    utp_sentq_destroy(&q);
    return check_summary("test-utp-sentq");
}
