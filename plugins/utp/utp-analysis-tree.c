/* utp-analysis-tree.c
 * Display of the uTP (BEP 29) sequence analysis that utp-analysis.c
 * computes on the first pass: this file owns (registers and fills in) the
 * connection-wide items, the "SEQ/ACK analysis" subtree and its experts.
 *
 * Like packet-tcp.c's tcp_print_sequence_number_analysis, the display is a
 * few small printers, one per concern (connection, links to other frames,
 * LEDBAT delays), and one table for the analysis flags: a row per UTP_A_*
 * bit holds its field, its expert and its Info column tag, so adding a flag
 * means one row here and one rule in utp-analysis.c that sets the bit.
 */
#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/tfs.h>
#include <epan/to_str.h>

#include "utp-int.h"
#include "ws-compat.h"
#include "common/bt-hidden.h"
#include "btfmt.h"

static int hf_utp_stream = -1;
static int hf_utp_seq = -1;
static int hf_utp_ack = -1;
static int hf_utp_time_relative = -1;
static int hf_utp_time_delta = -1;
static int hf_utp_analysis = -1;
static int hf_utp_analysis_acks_frame = -1;
static int hf_utp_analysis_ack_rtt = -1;
static int hf_utp_analysis_initial_rtt = -1;
static int hf_utp_analysis_syn_frame = -1;
static int hf_utp_analysis_peer_discovered_in = -1;
static int hf_utp_analysis_peer_discovered_by = -1;
static int hf_utp_analysis_retrans_of = -1;
static int hf_utp_analysis_seq_reused_frame = -1;
static int hf_utp_analysis_duplicate_ack_num = -1;
static int hf_utp_analysis_duplicate_ack_frame = -1;
static int hf_utp_analysis_sacked = -1;
static int hf_utp_analysis_bytes_in_flight = -1;
static int hf_utp_analysis_one_way_delay = -1;
static int hf_utp_analysis_base_delay = -1;
static int hf_utp_analysis_queuing_delay = -1;
static int hf_utp_analysis_delay_ignored = -1;
static int hf_utp_analysis_completeness = -1;
static int hf_utp_analysis_close_reason = -1;
static int hf_utp_analysis_confirmed_in = -1;
static int hf_utp_completeness_syn = -1;
static int hf_utp_completeness_synack = -1;
static int hf_utp_completeness_data = -1;
static int hf_utp_completeness_fin = -1;
static int hf_utp_completeness_reset = -1;

static gint ett_utp_analysis = -1;

static expert_field ei_utp_delay_ignored = EI_INIT;

static const true_false_string tfs_utp_present = { "Present", "Absent" };

/* ---- the analysis flags ---- */

typedef struct utp_flag_row utp_flag_row_t;
/* Adds the flag's items below `at`; NULL in a row: the plain flag item. */
typedef void (*utp_flag_printer_t)(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo,
                                   tvbuff_t *tvb, const utp_frame_t *fa);

struct utp_flag_row {
    guint32 bit;                 /* UTP_A_* (utp-int.h) */
    hf_register_info hf;         /* the flag's field (its id: hf_id) */
    ei_register_info ei;         /* its expert (its id: ei_id) */
    const char *text;            /* the plain item's text */
    const char *info;            /* Info column tag; NULL: the printer writes its own */
    guint32 info_unless;         /* no tag when one of these bits is set too */
    utp_flag_printer_t print;
    int hf_id;
    expert_field ei_id;
};

static proto_item *
utp_flag_item(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo, tvbuff_t *tvb)
{
    proto_item *it = proto_tree_add_none_format(at, row->hf_id, tvb, 0, 0, "%s", row->text);
    proto_item_set_generated(it);
    expert_add_info(pinfo, it, &row->ei_id);
    return it;
}

static void
utp_print_retrans(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
                  const utp_frame_t *fa)
{
    utp_flag_item(row, at, pinfo, tvb);
    if (UTP_RARE(fa, retrans_of))
        proto_item_set_generated(proto_tree_add_uint(at, hf_utp_analysis_retrans_of, tvb, 0, 0, UTP_RARE(fa, retrans_of)));
}

static void
utp_print_seq_reused(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
                     const utp_frame_t *fa)
{
    proto_item *it = proto_tree_add_none_format(at, row->hf_id, tvb, 0, 0, "%s", row->text);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &row->ei_id,
                           "Sequence number of frame %u reused by a different packet (not a retransmission)",
                           UTP_RARE(fa, retrans_of));
    proto_item_set_generated(proto_tree_add_uint(at, hf_utp_analysis_seq_reused_frame, tvb, 0, 0, UTP_RARE(fa, retrans_of)));
}

static void
utp_print_lost(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
               const utp_frame_t *fa)
{
    proto_item *it = proto_tree_add_uint(at, row->hf_id, tvb, 0, 0, UTP_RARE(fa, lost_count));
    proto_item_set_generated(it);
    expert_add_info(pinfo, it, &row->ei_id);
    col_prepend_fence_fstr(pinfo->cinfo, COL_INFO, "[Lost %u] ", UTP_RARE(fa, lost_count));
}

static void
utp_print_dup_ack(utp_flag_row_t *row, proto_tree *at, packet_info *pinfo, tvbuff_t *tvb,
                  const utp_frame_t *fa)
{
    proto_item *it = proto_tree_add_none_format(at, row->hf_id, tvb, 0, 0, "This is a duplicate ACK (#%u)",
                                                UTP_RARE(fa, dup_ack_num));
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &row->ei_id, "Duplicate ACK (#%u)", UTP_RARE(fa, dup_ack_num));
    proto_item_set_generated(proto_tree_add_uint(at, hf_utp_analysis_duplicate_ack_num, tvb, 0, 0, UTP_RARE(fa, dup_ack_num)));
    proto_item_set_generated(proto_tree_add_uint(at, hf_utp_analysis_duplicate_ack_frame, tvb, 0, 0, UTP_RARE(fa, dup_ack_of)));
    col_prepend_fence_fstr(pinfo->cinfo, COL_INFO, "[Dup ACK %u#%u] ", UTP_RARE(fa, dup_ack_of), UTP_RARE(fa, dup_ack_num));
}

/* In display order (each Info tag goes in front of the ones before it). */
static utp_flag_row_t utp_flags[] = {
    { UTP_A_RETRANS,
      { NULL, { "Retransmission", "utp.analysis.retransmission", FT_NONE, BASE_NONE, NULL, 0x0, "This packet's sequence number was already sent", HFILL } },
      { NULL, { "utp.analysis.retransmission.expert", PI_SEQUENCE, PI_NOTE, "This packet is a retransmission", EXPFILL } },
      "This packet is a retransmission", "[Retransmission] ", UTP_A_SPURIOUS, utp_print_retrans, -1, EI_INIT },
    { UTP_A_SPURIOUS,
      { NULL, { "Spurious retransmission", "utp.analysis.spurious_retransmission", FT_NONE, BASE_NONE, NULL, 0x0, "Retransmission of a packet already acknowledged", HFILL } },
      { NULL, { "utp.analysis.spurious_retransmission.expert", PI_SEQUENCE, PI_NOTE, "Spurious retransmission: the packet had been acknowledged", EXPFILL } },
      "The retransmitted packet had already been acknowledged", "[Spurious Retransmission] ", 0, NULL, -1, EI_INIT },
    { UTP_A_SEQ_REUSED,
      { NULL, { "Sequence number reused", "utp.analysis.seq_reused", FT_NONE, BASE_NONE, NULL, 0x0, "A different packet (type or payload) with a sequence number this side already used: not a retransmission", HFILL } },
      { NULL, { "utp.analysis.seq_reused.expert", PI_SEQUENCE, PI_NOTE, "Sequence number reused by a different packet", EXPFILL } },
      "Sequence number reused by a different packet", "[Seq reused] ", 0, utp_print_seq_reused, -1, EI_INIT },
    { UTP_A_OOO,
      { NULL, { "Out-of-order", "utp.analysis.out_of_order", FT_NONE, BASE_NONE, NULL, 0x0, "First sight of a sequence number lower than one already seen", HFILL } },
      { NULL, { "utp.analysis.out_of_order.expert", PI_SEQUENCE, PI_WARN, "This packet is out of order", EXPFILL } },
      "This packet is out of order", "[Out-Of-Order] ", 0, NULL, -1, EI_INIT },
    { UTP_A_LOST,
      { NULL, { "Previous packet(s) not captured", "utp.analysis.lost_segment", FT_UINT32, BASE_DEC, NULL, 0x0, "Number of sequence numbers skipped", HFILL } },
      { NULL, { "utp.analysis.lost_segment.expert", PI_SEQUENCE, PI_WARN, "Previous packet(s) not captured (common at capture start)", EXPFILL } },
      NULL, NULL, 0, utp_print_lost, -1, EI_INIT },
    { UTP_A_ACK_UNSEEN,
      { NULL, { "ACKed packet that wasn't captured", "utp.analysis.ack_lost_segment", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
      { NULL, { "utp.analysis.ack_lost_segment.expert", PI_SEQUENCE, PI_WARN, "ACKed packet that wasn't captured (common at capture start)", EXPFILL } },
      "ACKed packet that wasn't captured", "[ACKed unseen] ", 0, NULL, -1, EI_INIT },
    { UTP_A_DUP_ACK,
      { NULL, { "Duplicate ACK", "utp.analysis.duplicate_ack", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
      { NULL, { "utp.analysis.duplicate_ack.expert", PI_SEQUENCE, PI_NOTE, "Duplicate ACK", EXPFILL } },
      NULL, NULL, 0, utp_print_dup_ack, -1, EI_INIT },
    { UTP_A_ZERO_WIN,
      { NULL, { "Zero window", "utp.analysis.zero_window", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
      { NULL, { "utp.analysis.zero_window.expert", PI_SEQUENCE, PI_WARN, "Zero window", EXPFILL } },
      "The receive window is zero", "[Zero window] ", 0, NULL, -1, EI_INIT },
    { UTP_A_WIN_FULL,
      { NULL, { "Window full", "utp.analysis.window_full", FT_NONE, BASE_NONE, NULL, 0x0, "Bytes in flight reach the window the peer advertised", HFILL } },
      { NULL, { "utp.analysis.window_full.expert", PI_SEQUENCE, PI_WARN, "Window is full", EXPFILL } },
      "Bytes in flight fill the peer's window", "[Window full] ", 0, NULL, -1, EI_INIT },
};

static void
utp_print_flags(proto_tree *at, packet_info *pinfo, tvbuff_t *tvb, const utp_frame_t *fa)
{
    for (size_t i = 0; i < array_length(utp_flags); i++) {
        utp_flag_row_t *row = &utp_flags[i];
        if (!(fa->flags & row->bit))
            continue;
        if (row->print)
            row->print(row, at, pinfo, tvb, fa);
        else
            utp_flag_item(row, at, pinfo, tvb);
        if (row->info && !(fa->flags & row->info_unless))
            col_prepend_fence_fstr(pinfo->cinfo, COL_INFO, "%s", row->info);
    }
}

/* ---- the other printers ---- */

/* A generated value, added only when someone looks at it: a shown tree
 * (GUI details, tshark -V, PDML), a filter, a column or a -T fields -e that
 * names the field.  Otherwise (packet list, -T fields of other fields)
 * Wireshark would only fake the item, at a cost per item; skipping it
 * changes nothing anyone sees.  Frame links are never skipped (utp_gen_link):
 * adding one marks the frame as depended upon, which exports keep. */
static proto_item *
utp_gen_uint(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 v)
{
    proto_item *it;
    if (!proto_field_is_referenced(tree, hf))
        return NULL;
    it = proto_tree_add_uint(tree, hf, tvb, 0, 0, v);
    proto_item_set_generated(it);
    return it;
}

static void
utp_gen_link(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 frame)
{
    proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, frame));
}

static void
utp_gen_time(proto_tree *tree, int hf, tvbuff_t *tvb, const nstime_t *t)
{
    if (proto_field_is_referenced(tree, hf))
        proto_item_set_generated(proto_tree_add_time(tree, hf, tvb, 0, 0, t));
}

/* "Connection completeness" names every combination of its five bits (one
 * line in the tree: "SYN, STATE answering SYN, Data (0x07)"), built once at
 * registration; the bits are also their own hidden fields for filters,
 * added when something names them (bt_hidden_wanted: the value is the
 * shown utp.completeness, so whole-tree exports lose nothing). */
#define UTP_COMPL_BITS 5
static value_string utp_compl_vals[(1u << UTP_COMPL_BITS) + 1];

static void
utp_compl_names_init(void)
{
    static const char *names[UTP_COMPL_BITS] = { "SYN", "STATE answering SYN", "Data", "FIN", "RESET" };
    for (guint v = 0; v < (1u << UTP_COMPL_BITS); v++) {
        GString *s = g_string_new(v ? NULL : "none");
        for (guint b = 0; b < UTP_COMPL_BITS; b++)
            if (v & (1u << b))
                g_string_append_printf(s, "%s%s", s->len ? ", " : "", names[b]);
        utp_compl_vals[v].value = v;
        utp_compl_vals[v].strptr = g_string_free(s, FALSE);   /* kept for the program's life */
    }
}

/* Connection-wide facts and this packet's place in the connection. */
static void
utp_print_conn(proto_tree *tree, packet_info *pinfo, tvbuff_t *tvb, const utp_frame_t *fa)
{
    static int * const compl_bits[UTP_COMPL_BITS] = {
        &hf_utp_completeness_syn, &hf_utp_completeness_synack, &hf_utp_completeness_data,
        &hf_utp_completeness_fin, &hf_utp_completeness_reset
    };
    const utp_conn_t *c = utp_frame_conn(fa);
    nstime_t t;

    utp_gen_uint(tree, hf_utp_stream, tvb, c->stream);
    utp_gen_uint(tree, hf_utp_analysis_completeness, tvb, c->completeness);
    for (guint b = 0; b < UTP_COMPL_BITS; b++)
        if (bt_hidden_wanted(tree, *compl_bits[b]))
            proto_item_set_hidden(proto_tree_add_boolean(tree, *compl_bits[b], tvb, 0, 0, c->completeness));
    if (utp_pref_analyze_seq && (fa->flags & UTP_A_REL_SEQ)) {
        utp_gen_uint(tree, hf_utp_seq, tvb, fa->rel_seq);
        if (fa->flags & UTP_A_REL_ACK)
            utp_gen_uint(tree, hf_utp_ack, tvb, fa->rel_ack);
    }
    nstime_delta(&t, &pinfo->abs_ts, &c->first_time);
    utp_gen_time(tree, hf_utp_time_relative, tvb, &t);
    utp_frame_ts_delta(fa, &t);
    utp_gen_time(tree, hf_utp_time_delta, tvb, &t);
    /* shown on the frame that carries it; on the connection's other frames
     * hidden (still filterable): a line per packet repeating it was noise */
    if (c->have_close_reason) {
        proto_item *it = utp_gen_uint(tree, hf_utp_analysis_close_reason, tvb, c->close_reason);
        if (it && c->close_reason_frame != pinfo->num)
            proto_item_set_hidden(it);
    }
}

/* Links to other frames: confirmation, SYN, discovery, the ACKed packet. */
static void
utp_print_links(proto_tree *at, packet_info *pinfo, tvbuff_t *tvb, const utp_frame_t *fa)
{
    const utp_conn_t *c = utp_frame_conn(fa);

    if (fa->flags & UTP_A_LATE)
        utp_gen_link(at, hf_utp_analysis_confirmed_in, tvb, UTP_RARE(fa, confirmed_in));
    /* the SYN link and the iRTT on one line: "SYN in frame: 3 (iRTT:
     * 0.000554000 seconds)"; the iRTT is its own (hidden) field.  The STATE
     * answering the SYN is only noted after a captured SYN (utp-analysis.c),
     * so a frame with an iRTT always has the SYN link. */
    if (c->syn_frame && pinfo->num != c->syn_frame) {
        gboolean irtt = c->synack_frame && pinfo->num >= c->synack_frame;
        proto_item *it;
        /* one formatted label, not a label filled and then appended to */
        if (irtt && at && PTREE_DATA(at)->visible)
            it = proto_tree_add_uint_format_value(at, hf_utp_analysis_syn_frame, tvb, 0, 0, c->syn_frame,
                                                  "%u (iRTT: %s seconds)", c->syn_frame,
                                                  rel_time_to_secs_str(pinfo->pool, &c->irtt));
        else
            it = proto_tree_add_uint(at, hf_utp_analysis_syn_frame, tvb, 0, 0, c->syn_frame);
        proto_item_set_generated(it);
        if (irtt && proto_field_is_referenced(at, hf_utp_analysis_initial_rtt)) {
            proto_item *rt = proto_tree_add_time(at, hf_utp_analysis_initial_rtt, tvb, 0, 0, &c->irtt);
            proto_item_set_generated(rt);
            proto_item_set_hidden(rt);
        }
    }
    if (c->peer_frame && pinfo->num >= c->syn_frame) {
        proto_item_set_generated(proto_tree_add_uint_format_value(at, hf_utp_analysis_peer_discovered_in, tvb, 0, 0,
                                 c->peer_frame, "%u (%s)", c->peer_frame, c->peer_source ? c->peer_source : "?"));
        if (c->peer_source)
            proto_item_set_generated(proto_tree_add_string(at, hf_utp_analysis_peer_discovered_by, tvb, 0, 0,
                                                           c->peer_source));
    }
    if (fa->flags & UTP_A_ACKS) {
        utp_gen_link(at, hf_utp_analysis_acks_frame, tvb, fa->acks_frame);
        nstime_t rtt;
        if (utp_frame_ack_rtt(fa, &rtt))
            utp_gen_time(at, hf_utp_analysis_ack_rtt, tvb, &rtt);
    }
    if (fa->flags & UTP_A_IN_FLIGHT)
        utp_gen_uint(at, hf_utp_analysis_bytes_in_flight, tvb, fa->bytes_in_flight);
    if (UTP_RARE(fa, sacked_new))
        utp_gen_uint(at, hf_utp_analysis_sacked, tvb, UTP_RARE(fa, sacked_new));
}

/* LEDBAT (BEP 29): the delay this packet reports and what it means, on one
 * line: "Queuing delay (us): 419 (one-way 423 - base 4)".  The one-way delay
 * (the header's timestamp_diff_us) and the base delay are hidden fields for
 * filters, named in that line; the one-way delay has its own line when it
 * was not taken as a sample. */
static void
utp_print_delay(proto_tree *at, packet_info *pinfo, tvbuff_t *tvb, const utp_frame_t *fa, guint32 one_way)
{
    if (fa->flags & UTP_A_DELAY) {
        guint32 queuing = one_way - fa->base_delay;
        proto_item_set_hidden(utp_gen_uint(at, hf_utp_analysis_one_way_delay, tvb, one_way));
        proto_item_set_hidden(utp_gen_uint(at, hf_utp_analysis_base_delay, tvb, fa->base_delay));
        if (proto_field_is_referenced(at, hf_utp_analysis_queuing_delay)) {
            /* "419 (one-way 423 - base 4)": at most 10+10+10+17 characters */
            char v[64];
            bt_fmt_t f;
            bt_fmt_init(&f, v, sizeof(v));
            bt_fmt_u32(&f, queuing);
            bt_fmt_str(&f, " (one-way ");
            bt_fmt_u32(&f, one_way);
            bt_fmt_str(&f, " - base ");
            bt_fmt_u32(&f, fa->base_delay);
            bt_fmt_str(&f, ")");
            proto_item_set_generated(proto_tree_add_uint_format_value(at, hf_utp_analysis_queuing_delay, tvb, 0, 0,
                                                                      queuing, "%s", v));
        }
    } else if (fa->flags & UTP_A_DELAY_BAD) {
        utp_gen_uint(at, hf_utp_analysis_one_way_delay, tvb, one_way);
        /* always added: it carries an expert */
        proto_item *it = proto_tree_add_uint(at, hf_utp_analysis_delay_ignored, tvb, 0, 0, fa->delay_status);
        proto_item_set_generated(it);
        expert_add_info(pinfo, it, &ei_utp_delay_ignored);
    }
}

void
utp_analysis_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const utp_frame_t *fa,
                  const utp_header_t *h)
{
    proto_item *it;
    proto_tree *at;

    utp_print_conn(tree, pinfo, tvb, fa);
    if (!utp_pref_analyze_seq)
        return;
    it = proto_tree_add_item(tree, hf_utp_analysis, tvb, 0, 0, ENC_NA);
    proto_item_set_generated(it);
    at = proto_item_add_subtree(it, ett_utp_analysis);
    utp_print_links(at, pinfo, tvb, fa);
    utp_print_delay(at, pinfo, tvb, fa, h->ts_diff_us);
    utp_print_flags(at, pinfo, tvb, fa);
}

void
utp_analysis_tree_register(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_utp_stream, { "Stream index", "utp.stream", FT_UINT32, BASE_DEC, NULL, 0x0, "uTP connection number in this capture", HFILL } },
        { &hf_utp_seq, { "Sequence number", "utp.seq", FT_UINT32, BASE_DEC, NULL, 0x0, "Relative sequence number (packets)", HFILL } },
        { &hf_utp_ack, { "Acknowledgment number", "utp.ack", FT_UINT32, BASE_DEC, NULL, 0x0, "Relative acknowledgment number (packets)", HFILL } },
        { &hf_utp_time_relative, { "Time since first frame in this connection", "utp.time_relative", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_time_delta, { "Time since previous frame in this connection", "utp.time_delta", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_analysis, { "SEQ/ACK analysis", "utp.analysis", FT_NONE, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_analysis_acks_frame, { "This is an ACK to the packet in frame", "utp.analysis.acks_frame", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_ACK), 0x0, NULL, HFILL } },
        { &hf_utp_analysis_ack_rtt, { "The RTT to ACK the packet was", "utp.analysis.ack_rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, "Time from the packet to its ACK (not for retransmitted packets)", HFILL } },
        { &hf_utp_analysis_initial_rtt, { "iRTT", "utp.analysis.initial_rtt", FT_RELATIVE_TIME, BASE_NONE, NULL, 0x0, "Time from the SYN to the STATE that answers it", HFILL } },
        { &hf_utp_analysis_syn_frame, { "SYN in frame", "utp.analysis.syn_frame", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_REQUEST), 0x0, NULL, HFILL } },
        { &hf_utp_analysis_peer_discovered_in, { "Peer learned from frame", "utp.analysis.peer_discovered_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Frame (LSD announce, tracker answer) that announced the endpoint this connection's SYN went to", HFILL } },
        { &hf_utp_analysis_peer_discovered_by, { "Peer learned from", "utp.analysis.peer_discovered_by", FT_STRING, BASE_NONE, NULL, 0x0, "How the endpoint was announced: LSD, UDP tracker, HTTP tracker", HFILL } },
        { &hf_utp_analysis_retrans_of, { "Retransmission of frame", "utp.analysis.retransmitted_frame", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_DUP_ACK), 0x0, "The latest earlier transmission of this packet (same number, type and payload)", HFILL } },
        { &hf_utp_analysis_seq_reused_frame, { "Number used before in frame", "utp.analysis.seq_reused_frame", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "The latest earlier packet with this sequence number", HFILL } },
        { &hf_utp_analysis_duplicate_ack_num, { "Duplicate ACK #", "utp.analysis.duplicate_ack_num", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_utp_analysis_duplicate_ack_frame, { "Duplicate to the ACK in frame", "utp.analysis.duplicate_ack_frame", FT_FRAMENUM, BASE_NONE, FRAMENUM_TYPE(FT_FRAMENUM_DUP_ACK), 0x0, NULL, HFILL } },
        { &hf_utp_analysis_sacked, { "Packets newly selectively acknowledged", "utp.analysis.sacked", FT_UINT32, BASE_DEC, NULL, 0x0, "Packets in flight that this SACK acknowledges for the first time", HFILL } },
        { &hf_utp_analysis_bytes_in_flight, { "Bytes in flight", "utp.analysis.bytes_in_flight", FT_UINT32, BASE_DEC, NULL, 0x0, "Payload sent by this side and not yet acknowledged (cumulatively or selectively)", HFILL } },
        { &hf_utp_analysis_one_way_delay, { "One-way delay (us)", "utp.analysis.one_way_delay", FT_UINT32, BASE_DEC, NULL, 0x0, "timestamp_diff_us: peer-to-sender delay including clock offset", HFILL } },
        { &hf_utp_analysis_base_delay, { "Base delay (us)", "utp.analysis.base_delay", FT_UINT32, BASE_DEC, NULL, 0x0, "Lowest one-way delay this side reported in the last two minutes (LEDBAT base delay, BEP 29)", HFILL } },
        { &hf_utp_analysis_queuing_delay, { "Queuing delay (us)", "utp.analysis.queuing_delay", FT_UINT32, BASE_DEC, NULL, 0x0, "One-way delay minus base delay (LEDBAT target: 100000)", HFILL } },
        { &hf_utp_analysis_delay_ignored, { "Not a delay sample", "utp.analysis.delay_ignored", FT_UINT8, BASE_DEC, VALS(utp_delay_status_vals), 0x0, "This timestamp_diff_us was not used for the base delay", HFILL } },
        { &hf_utp_analysis_completeness, { "Connection completeness", "utp.completeness", FT_UINT8, BASE_HEX, VALS(utp_compl_vals), 0x0, "Which packet kinds the connection showed: SYN 1, STATE answering SYN 2, DATA 4, FIN 8, RESET 16", HFILL } },
        { &hf_utp_completeness_syn, { "SYN", "utp.completeness.syn", FT_BOOLEAN, 8, TFS(&tfs_utp_present), UTP_COMPL_SYN, NULL, HFILL } },
        { &hf_utp_completeness_synack, { "STATE answering SYN", "utp.completeness.syn_ack", FT_BOOLEAN, 8, TFS(&tfs_utp_present), UTP_COMPL_SYNACK, NULL, HFILL } },
        { &hf_utp_completeness_data, { "Data", "utp.completeness.data", FT_BOOLEAN, 8, TFS(&tfs_utp_present), UTP_COMPL_DATA, NULL, HFILL } },
        { &hf_utp_completeness_fin, { "FIN", "utp.completeness.fin", FT_BOOLEAN, 8, TFS(&tfs_utp_present), UTP_COMPL_FIN, NULL, HFILL } },
        { &hf_utp_completeness_reset, { "RESET", "utp.completeness.reset", FT_BOOLEAN, 8, TFS(&tfs_utp_present), UTP_COMPL_RESET, NULL, HFILL } },
        { &hf_utp_analysis_close_reason, { "Connection close reason", "utp.analysis.close_reason", FT_UINT16, BASE_DEC, VALS(utp_close_reason_vals), 0x0, "Close reason sent on this connection (libtorrent)", HFILL } },
        { &hf_utp_analysis_confirmed_in, { "Connection recognised in frame", "utp.analysis.confirmed_in", FT_FRAMENUM, BASE_NONE, NULL, 0x0, "Its SYN was not captured: this DATA was taken as uTP once the other direction's packet in that frame agreed with it (ids and numbers). A one-pass run does not show it as uTP.", HFILL } },
    };
    static gint *ett[] = { &ett_utp_analysis };
    static ei_register_info ei[] = {
        { &ei_utp_delay_ignored, { "utp.analysis.delay_ignored.expert", PI_SEQUENCE, PI_CHAT, "timestamp_diff_us is not a delay sample: not used for the base delay", EXPFILL } },
    };

    utp_compl_names_init();
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
    /* the flag rows register their own field and expert (kept in the row) */
    for (size_t i = 0; i < array_length(utp_flags); i++) {
        utp_flags[i].hf.p_id = &utp_flags[i].hf_id;
        utp_flags[i].ei.ids = &utp_flags[i].ei_id;
        proto_register_field_array(proto, &utp_flags[i].hf, 1);
        expert_register_field_array(em, &utp_flags[i].ei, 1);
    }
}
