/* utp-midstream.c
 * uTP (BEP 29) connections whose SYN was not captured (the capture started
 * mid-way).  A STATE, FIN or RESET may open such a connection alone (the
 * heuristic accepts them, see utp_plausible_new), but a DATA never does: a
 * 20-byte prefix of random bytes passes as a DATA header too often.  So a
 * DATA of no known connection is held here, unclaimed, until a packet of
 * the other direction confirms it:
 *   - ids pair as BEP 29 says (one side sends X, the other X+1), and
 *   - the numbers agree: each side's ack_nr is near the other's seq_nr
 *     (utp_seq_agree, within UTP_AGREE_WINDOW packets).
 * That confirming packet is the second one of the connection (one each way):
 * two datagrams of opposite directions on one port pair agree by chance with
 * odds of about 2^-15 (ids) * 2^-10 (numbers), on top of both parsing as uTP.
 *
 * On confirmation the held packets (the latest UTP_MID_HELD per direction) are
 * claimed after the fact: they get a frame record (so the second pass and the
 * GUI show them as uTP, with a link to the confirming frame) and their
 * payload goes in front of their direction's stream, so the stream starts at
 * the first captured DATA in one pass and two alike.  What one pass shows
 * differently is only those held packets themselves: when they are
 * dissected the first time, nothing says yet that they are uTP.
 */
#include <epan/packet.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>

#include "utp-int.h"
#include "utp-seq.h"
#include "ws-compat.h"

gboolean
utp_midstream_agrees(const utp_conn_t *t, int tdir, const utp_header_t *h)
{
    const utp_flow_t *f = &t->flow[tdir];
    if (!utp_pref_analyze_seq)
        return TRUE;    /* no numbers kept to compare: ids alone, as before */
    /* unwrapped numbers are 2^16 + raw: the low 16 bits are the raw value */
    if (!f->seq.base_set || !f->seq.ack_set)
        return FALSE;
    return utp_seq_agree(h->seq, h->ack, (guint16)f->seq.ref, f->seq.last_ack);
}

static utp_conv_t *
utp_midstream_conv(packet_info *pinfo)
{
    conversation_t *conv = find_or_create_conversation(pinfo);
    utp_conv_t *uc = (utp_conv_t *)conversation_get_proto_data(conv, proto_utp);
    if (!uc) {
        uc = wmem_new0(wmem_file_scope(), utp_conv_t);
        uc->by_key = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
        conversation_add_proto_data(conv, proto_utp, uc);
    }
    return uc;
}

static void
utp_cand_free(utp_cand_t *c)
{
    for (guint32 i = 0; i < c->n; i++)
        wmem_free(wmem_file_scope(), c->bytes[i]);
    wmem_free(wmem_file_scope(), c);
}

/* The held packets of direction `dir` become packets of conn, before the
 * frame being dissected now (`confirming`). */
static void
utp_cand_adopt(utp_conn_t *conn, int dir, utp_cand_t *c, guint32 confirming)
{
    utp_flow_t *f = &conn->flow[dir];
    guint64 lowest = G_MAXUINT64;

    if (!f->seq.base_set) {
        f->seq.base = UTP_ABS_START + c->seqs[0] - 1;   /* the first captured DATA is 1 */
        f->seq.ref = UTP_ABS_START + c->seqs[0];
        f->seq.base_set = TRUE;
    }
    for (guint32 i = 0; i < c->n; i++) {
        utp_frame_t *fa = utp_frame_new(c->frame[i]);   /* found by frame number from now on */
        guint64 s = utp_seq_unwrap(f->seq.ref, c->seqs[i]);
        if (s > f->seq.ref)
            f->seq.ref = s;
        fa->stream = conn->stream;
        fa->dir = (guint8)dir;
        fa->rel_seq = (guint32)(s - f->seq.base);
        fa->flags = UTP_A_REL_SEQ | UTP_A_LATE;
        utp_rare(fa)->confirmed_in = confirming;
        utp_seqside_note_seq(&f->seq, s);
        utp_reasm_preload(&f->reasm, s, c->frame[i], c->bytes[i], c->len[i], fa);
        c->bytes[i] = NULL;            /* now owned by the reassembly */
        lowest = MIN(lowest, s);
    }
    if (lowest != G_MAXUINT64) {
        f->reasm.started = TRUE;
        f->reasm.next_seq = lowest;
        f->reasm.mid_pending = TRUE;
    }
    conn->completeness |= UTP_COMPL_DATA;
    utp_cand_free(c);
}

utp_conn_t *
utp_midstream_match(packet_info *pinfo, utp_conv_t *uc, const utp_header_t *h)
{
    int dir = utp_dir(pinfo);
    utp_cand_t *other = uc->cand[!dir], *mine = uc->cand[dir];
    utp_conn_t *conn;
    utp_role_t role;
    guint16 id = (guint16)h->conn_id;

    if (h->version != 1 || !other)
        return NULL;
    role = utp_roles_from_ids(other->id, id);
    if (role == UTP_ROLE_UNKNOWN || !utp_seq_agree(h->seq, h->ack, other->seq, other->ack))
        return NULL;

    conn = utp_conn_new(pinfo, dir);
    conn->initiator = (role == UTP_ROLE_FIRST_IS_INITIATOR) ? !dir : dir;
    utp_register(uc, dir, id, conn);
    utp_register(uc, !dir, other->id, conn);
    uc->cand[!dir] = NULL;
    utp_cand_adopt(conn, !dir, other, pinfo->num);
    if (mine && mine->id == id) {
        /* earlier DATA of this same direction */
        uc->cand[dir] = NULL;
        utp_cand_adopt(conn, dir, mine, pinfo->num);
    }
    return conn;
}

utp_conn_t *
utp_midstream_data(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h)
{
    utp_conv_t *uc;
    utp_cand_t *c;
    utp_conn_t *conn;
    int dir = utp_dir(pinfo);

    if (h->version != 1 || h->type != UTP_ST_DATA || !h->payload_len || pinfo->flags.in_error_pkt)
        return NULL;
    uc = utp_midstream_conv(pinfo);
    conn = utp_midstream_match(pinfo, uc, h);
    if (conn)
        return conn;

    /* hold it: a packet continuing the held ones, or a new candidate */
    c = uc->cand[dir];
    if (c && (c->id != (guint16)h->conn_id ||
              utp_seq_diff(h->seq, c->seq) > UTP_AGREE_WINDOW ||
              utp_seq_diff(h->seq, c->seq) < -UTP_AGREE_WINDOW)) {
        utp_cand_free(c);
        c = uc->cand[dir] = NULL;
    }
    if (!c) {
        c = uc->cand[dir] = wmem_new0(wmem_file_scope(), utp_cand_t);
        c->id = (guint16)h->conn_id;
    }
    c->seq = h->seq;
    c->ack = h->ack;
    if (c->n == UTP_MID_HELD) {
        /* keep the latest ones: the stream then runs on without a hole into
         * the packets that follow the confirmation */
        wmem_free(wmem_file_scope(), c->bytes[0]);
        c->n--;
        memmove(c->frame, c->frame + 1, c->n * sizeof c->frame[0]);
        memmove(c->seqs, c->seqs + 1, c->n * sizeof c->seqs[0]);
        memmove(c->bytes, c->bytes + 1, c->n * sizeof c->bytes[0]);
        memmove(c->len, c->len + 1, c->n * sizeof c->len[0]);
    }
    {
        c->frame[c->n] = pinfo->num;
        c->seqs[c->n] = h->seq;
        c->len[c->n] = (guint32)h->payload_len;
        c->bytes[c->n] = (guint8 *)tvb_memdup(wmem_file_scope(), tvb, (gint)h->payload_off,
                                              (gint)h->payload_len);
        c->n++;
    }
    return NULL;
}
