/* utp-int.h
 * Declarations shared by the files of the uTP plugin (BEP 29): connection
 * and per-frame analysis records, reassembly records, the protocol id.  Nothing
 * here is for other plugins (see packet-utp.h for that).
 */
#ifndef UTP_INT_H
#define UTP_INT_H

#include <epan/packet.h>
#include <epan/expert.h>

#include "utp-header.h"
#include "utp-sentq.h"
#include "utp-seqan.h"
#include "utp-delay.h"
#include "ws-compat.h"

/* ---- reassembly (utp-reassembly.c) ---- */

typedef enum {
    UTP_RF_NONE = 0,
    UTP_RF_DELIVER,     /* in-order bytes handed to the payload dissector here */
    UTP_RF_SEGMENT,     /* in-order bytes held: part of a PDU completed later */
    UTP_RF_DUPLICATE,   /* payload already delivered (retransmission) */
    UTP_RF_BUFFERED     /* arrived before a missing packet; delivered later */
} utp_rf_kind_t;

/* Why bytes were shown as data instead of being handed on (utp-reassembly.c) */
#define UTP_AS_DATA_UNACCEPTED 1   /* no PDU within the first UTP_REASM_UNACCEPTED_MAX bytes */
#define UTP_AS_DATA_ONE_MORE   2   /* "one more segment" asked past UTP_REASM_MAX_ONE_MORE */
#define UTP_AS_DATA_ENDED      3   /* the connection ended with the PDU unfinished */
#define UTP_AS_DATA_GAP        4   /* packets the PDU needed were never captured */

typedef struct utp_reasm_frame {
    /* (one per DATA frame: members ordered by size, no padding) */
    /* New in-order bytes of this frame (own payload plus packets that had
     * arrived early), for Follow Stream: NULL means "the own payload". */
    guint8  *chunk;
    guint64  chunk_off;        /* stream offset of chunk[0] */
    /* DELIVER: what the payload dissector gets (NULL = the chunk) */
    guint8  *data;
    guint64  data_off;
    guint32 *segments;         /* frames whose bytes are in data, when > 1 */
    heur_dtbl_entry_t *heur;   /* payload dissector chosen on the first pass */
    dissector_handle_t handle;
    /* DELIVER after a gap: the unfinished PDU the gap cut off, handed on as
     * it is before the bytes after the gap (NULL when none was pending) */
    struct utp_reasm_frame *cut;
    guint32  tail_frame;       /* DELIVER: frame completing the unfinished tail */
    guint32  chunk_len;
    guint32  skipped;          /* packets given up as missing before this one */
    guint32  data_len;
    guint32  nsegments;
    guint32  consumed;         /* bytes of data the payload dissector used */
    guint32  rest_len;         /* DELIVER: chunk bytes after the PDU completed here, handed on after it */
    guint8   kind;             /* utp_rf_kind_t */
    guint8   mid_start;        /* DELIVER: first bytes of a direction whose start was not captured */
    guint8   as_data;          /* DELIVER: shown as data, not handed on (UTP_AS_DATA_*) */
} utp_reasm_frame_t;

typedef struct utp_ooo {
    guint32  frame;
    guint8  *bytes;
    guint32  len;
    guint32 *deliver_slot;     /* the held frame's deliver_frame (utp_frame_t) */
} utp_ooo_t;

typedef struct utp_reasm_flow {
    gboolean started;
    guint64  next_seq;         /* next unwrapped seq to deliver */
    guint64  stream_off;       /* bytes delivered in order so far */
    wmem_tree_t *ooo;          /* unwrapped seq (32 bits) -> utp_ooo_t */
    guint32  ooo_count;
    gboolean mid_pending;      /* the next delivery starts a stream captured mid-way */
    guint64  consumed_total;   /* bytes the payload dissector took as PDUs */
    gboolean refused;          /* no payload dissector took these bytes: data from now on */
    /* unfinished PDU */
    guint8  *pend;
    guint32  pend_len, pend_cap;
    guint64  pend_off;
    guint32  pend_need;        /* total bytes wanted, or UTP_REASM_ONE_MORE (lib/btcommon/utp-reasm.h) */
    wmem_array_t *pend_frames; /* guint32 frame numbers */
    /* guint32 *: where to write the frame that completes the PDU (a held
     * segment's utp_frame_t.deliver_frame, or a delivering frame's
     * utp_reasm_frame_t.tail_frame) */
    wmem_array_t *pend_rfs;
} utp_reasm_flow_t;

/* ---- connections (utp-analysis.c) ---- */

/* Packets of a connection whose SYN was not captured, held while they wait
 * for the other direction to confirm them (utp-midstream.c).  At most this
 * many per direction are remembered: the other direction's first packet
 * normally follows within a window's worth, and a connection confirmed later
 * still gets every packet from the confirming one on. */
#define UTP_MID_HELD 8

typedef struct utp_cand {
    guint16  id;               /* connection id these packets carry */
    guint16  seq, ack;         /* of the latest one */
    guint32  n;
    guint32  frame[UTP_MID_HELD];
    guint16  seqs[UTP_MID_HELD];
    guint8  *bytes[UTP_MID_HELD];   /* payload copies (file scope) */
    guint32  len[UTP_MID_HELD];
} utp_cand_t;

/* uTP state of one UDP conversation (address/port pair) */
typedef struct {
    wmem_map_t *by_key;        /* (dir << 16 | id as sent) -> utp_conn_t */
    utp_cand_t *cand[2];       /* per sender direction, NULL when none */
} utp_conv_t;

typedef struct utp_flow {
    utp_seqside_t seq;         /* sequence analysis state (lib/btcommon/utp-seqan.h) */
    utp_delay_hist_t *delay;   /* LEDBAT base-delay window, allocated at the first sample */
    gboolean fin_seen;
    utp_reasm_flow_t reasm;
} utp_flow_t;

#define UTP_COMPL_SYN    0x01
#define UTP_COMPL_SYNACK 0x02
#define UTP_COMPL_DATA   0x04
#define UTP_COMPL_FIN    0x08
#define UTP_COMPL_RESET  0x10

typedef struct utp_conn {
    guint32  stream;
    int      initiator;        /* flow index of the SYN sender, -1 unknown */
    gboolean tentative;        /* created mid-stream, roles not known yet */
    gboolean pinned;           /* its UDP conversation is set to uTP */
    guint16  syn_seq;
    guint32  syn_frame;
    nstime_t syn_time;
    guint32  synack_frame;
    guint32  peer_frame;       /* frame announcing the acceptor's endpoint (LSD, tracker) */
    const char *peer_source;
    nstime_t irtt;
    guint8   completeness;
    gboolean have_close_reason;
    guint16  close_reason;
    guint32  close_reason_frame;
    gboolean closed;           /* RESET, or FIN both ways: a new SYN starts anew */
    gboolean sack_short_seen;  /* a short SACK mask was reported (UTP_A_SACK_SHORT) */
    guint32  first_frame;
    nstime_t first_time;
    nstime_t last_time;
    address  addr[2];
    guint32  port[2];
    utp_flow_t flow[2];        /* indexed by sender direction (see utp_dir) */
    heur_dtbl_entry_t *payload_heur;
} utp_conn_t;

/* analysis flags UTP_A_*: lib/btcommon/utp-seqan.h */

/* What few frames have (a retransmission, a gap before them, a duplicate
 * ACK, a SACK, a claim after the fact, a RESET that ends both directions),
 * kept apart so that the record every frame has stays small. */
typedef struct utp_frame_rare {
    utp_reasm_frame_t *rf_peer;  /* RESET: the other direction's unfinished PDU */
    gint64   ts_delta_ns, ack_rtt_ns;   /* when they do not fit utp_frame_t's 32 bits */
    guint32  retrans_of;       /* RETRANS: latest earlier frame of this packet; SEQ_REUSED: of the other packet */
    guint32  dup_ack_num, dup_ack_of;
    guint32  lost_count;
    guint32  confirmed_in;     /* LATE: the frame that confirmed the connection */
    guint32  sacked_new;       /* bytes newly SACKed by this packet (losses only) */
} utp_frame_rare_t;

/* A time in utp_frame_t that is kept in its rare record instead */
#define UTP_NS_RARE G_MININT32

typedef struct utp_frame {
    /* (one per uTP frame, 52 bytes: no pointers, members of 4 bytes; what
     * can be computed on display is not stored: the time since the
     * connection's first frame, the one-way delay (the header's
     * timestamp_diff_us), the queuing delay; the unwrapped sequence number
     * is needed on the first pass only (utp_analyze hands it to the
     * reassembly, abs_seq).  Times within +-2.1 s fit in 32 bits of
     * nanoseconds; others go to the rare record.  Handles: utp-records.c) */
    guint32  stream;           /* the connection (utp_frame_conn) */
    guint32  rf;               /* its utp_reasm_frame_t (utp_frame_rf), 0: none */
    guint32  rare;             /* its utp_frame_rare_t (UTP_RARE, utp_rare), 0: all zero */
    gint32   ts_delta_ns;      /* time since the connection's previous frame; UTP_NS_RARE: in rare */
    gint32   ack_rtt_ns;       /* RTT (UTP_A_RTT): time from the acked packet to this one; UTP_NS_RARE: in rare */
    guint32  flags;
    guint32  rel_seq, rel_ack;
    guint32  acks_frame;
    guint32  bytes_in_flight;
    guint32  base_delay;       /* UTP_A_DELAY: queuing delay = one-way delay - this */
    guint32  deliver_frame;    /* DATA held (SEGMENT, BUFFERED): where its bytes are dissected;
                                * a DELIVER frame without rf: its stream offset (UTP_PLAIN_SHIFT) */
    guint8   rkind;            /* DATA: utp_rf_kind_t (UTP_RKIND); rf is 0 for a SEGMENT, BUFFERED
                                * or DUPLICATE frame that needs nothing more (most of them), and
                                * for a plain DELIVER frame (UTP_PLAIN_SHIFT) */
    guint8   dir;
    guint8   v0;               /* decoded with the version-0 layout */
    guint8   delay_status;     /* utp_delay_status_t, with UTP_A_DELAY_BAD */
} utp_frame_t;

/* utp_frame_t.rkind holds the frame's utp_rf_kind_t in its low bits.  A
 * DELIVER frame whose record would say nothing the frame does not (its own
 * payload, all of it taken, no tail kept, no gap, no mid-stream start: most
 * frames of a stream that is not reassembled) keeps no record; the high
 * bits say how its payload was handed on, and deliver_frame, unused by
 * DELIVER frames, its stream offset (utp-reassembly.c). */
#define UTP_RKIND(fa)    ((fa)->rkind & 0x0fu)
#define UTP_PLAIN_SHIFT  4

/* ---- utp-records.c: the slabs of first-pass records, by handle ---- */
void        utp_records_init(void);
/* A new zeroed record for frame num, found by utp_frame_lookup(num) from now
 * on (also for a frame claimed after the fact, utp-midstream.c). */
utp_frame_t *utp_frame_new(guint32 num);
/* The first pass's record of a frame; NULL when the frame is not uTP. */
utp_frame_t *utp_frame_lookup(guint32 num);
/* A new zeroed connection, numbered (stream) in the order of creation. */
utp_conn_t *utp_conn_alloc(void);
utp_conn_t *utp_conn_by_stream(guint32 stream);
/* A new zeroed reassembly record and its handle; utp_rf_unnew takes back
 * the latest one when it turned out not to be needed. */
utp_reasm_frame_t *utp_rf_new(guint32 *handle);
utp_reasm_frame_t *utp_rf_at(guint32 handle);
void        utp_rf_unnew(guint32 handle);
/* The rare record of a frame, created on first use; utp_rare_at reads one
 * (NULL for handle 0). */
utp_frame_rare_t *utp_rare(utp_frame_t *fa);
const utp_frame_rare_t *utp_rare_at(guint32 handle);

#define UTP_RARE(fa, member) ((fa)->rare ? utp_rare_at((fa)->rare)->member : 0)

static inline utp_conn_t *
utp_frame_conn(const utp_frame_t *fa)
{
    return utp_conn_by_stream(fa->stream);
}

static inline utp_reasm_frame_t *
utp_frame_rf(const utp_frame_t *fa)
{
    return utp_rf_at(fa->rf);
}

/* Times kept as nanoseconds in the per-frame record (8 bytes, not 16) */
static inline gint64
utp_nstime_to_ns(const nstime_t *t)
{
    return (gint64)t->secs * 1000000000 + t->nsecs;
}

static inline void
utp_ns_to_nstime(nstime_t *t, gint64 ns)
{
    t->secs = (time_t)(ns / 1000000000);
    t->nsecs = (int)(ns % 1000000000);
}

/* Tap record for utp (conversation table, stats tree) */
typedef struct utp_tap_info {
    const utp_conn_t   *conn;
    const utp_frame_t  *fa;
    const utp_header_t *hdr;
} utp_tap_info_t;

/* ---- shared by every file (packet-utp.c) ---- */
extern int proto_utp;        /* keys the conversation and per-frame records */

/* preferences */
extern bt_pref_bool utp_pref_analyze_seq, utp_pref_relative_seq, utp_pref_reassemble;

/* ---- utp-analysis.c ---- */
void        utp_analysis_init(void);
/* The record's times: since the connection's previous frame; the RTT
 * (FALSE without UTP_A_RTT). */
void        utp_frame_ts_delta(const utp_frame_t *fa, nstime_t *t);
gboolean    utp_frame_ack_rtt(const utp_frame_t *fa, nstime_t *t);
uint32_t    utp_analysis_stream_count(void);
int         utp_dir(const packet_info *pinfo);
/* Finds (or, when create is set, creates) the connection of this packet;
 * NULL when none is known and create is FALSE. */
utp_conn_t *utp_conn_find(packet_info *pinfo, const utp_header_t *h, gboolean create);
/* First pass only: computes and returns the analysis of this frame, and
 * its unwrapped sequence number in *abs_seq (for the reassembly). */
utp_frame_t *utp_analyze(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h, utp_conn_t *conn,
                         guint64 *abs_seq);
gboolean    utp_conn_from_initiator(const utp_conn_t *conn, int dir);
utp_conn_t *utp_conn_new(packet_info *pinfo, int dir);
utp_conn_t *utp_lookup(utp_conv_t *uc, int dir, guint16 id);
void        utp_register(utp_conv_t *uc, int dir, guint16 id, utp_conn_t *c);

/* ---- utp-analysis-tree.c: owns the analysis fields, subtrees and experts ---- */
void        utp_analysis_tree_register(int proto, expert_module_t *em);
/* Every pass: the analysis of this frame in the tree (and Info tags). */
void        utp_analysis_tree(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                              const utp_frame_t *fa, const utp_header_t *h);

/* ---- utp-follow.c ---- */
void        utp_follow_register(int proto);
/* New in-order bytes of a connection, for Follow uTP Stream. */
void        utp_follow_queue(packet_info *pinfo, tvbuff_t *bytes);

/* ---- utp-midstream.c ---- */
/* Does a DATA packet agree with the numbers the tentative connection t saw
 * from direction tdir (the other one)? */
gboolean    utp_midstream_agrees(const utp_conn_t *t, int tdir, const utp_header_t *h);
/* First pass, a packet no connection takes: if the other direction's held
 * packets agree with it, creates their connection (claiming them after the
 * fact) and returns it; NULL otherwise. */
utp_conn_t *utp_midstream_match(packet_info *pinfo, utp_conv_t *uc, const utp_header_t *h);
/* First pass, a DATA of no known connection: returns its connection when it
 * confirms one; otherwise holds it (not claimed in this pass) and returns NULL. */
utp_conn_t *utp_midstream_data(packet_info *pinfo, tvbuff_t *tvb, const utp_header_t *h);

/* ---- utp-reassembly.c ---- */
/* Every pass: hands this frame's payload on (reassembling on the first
 * pass, where abs_seq is the frame's unwrapped sequence number). */
void utp_payload(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
                 const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq);
/* owns the reassembly fields and experts, and the "utp.payload" list */
void utp_reassembly_register(int proto, expert_module_t *em);
/* Every pass, a FIN or RESET: an unfinished PDU of the direction(s) that
 * ended is shown here as data (it can never complete). */
void utp_payload_end(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, proto_tree *utp_tree,
                     const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq);
void utp_reassembly_handoff(void);

/* ---- utp-reasm-order.c (first pass) ---- */
/* Puts a packet claimed after the fact in front of the stream of its
 * direction (the stream then starts at the lowest such packet). */
void utp_reasm_preload(utp_reasm_flow_t *r, guint64 seq, guint32 frame, guint8 *bytes, guint32 len,
                       utp_frame_t *fa);
/* Where this frame's payload goes in its direction's stream, recorded in a
 * new fa->rf (or only fa->rkind). */
void utp_order_first(packet_info *pinfo, const utp_header_t *h, utp_frame_t *fa, guint64 abs_seq,
                     const guint8 *own_bytes);
/* After the payload dissector ran on len bytes at stream offset off: keeps
 * the tail it asked more bytes for; returns the bytes taken as PDUs. */
guint32 utp_keep_tail(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, guint32 len, guint64 off,
                      utp_reasm_frame_t *rf);
/* The same for what the frame delivered (rf->data or its chunk; rest: the
 * chunk's bytes after a completed PDU). */
void utp_after_first_call(utp_reasm_flow_t *r, packet_info *pinfo, const guint8 *data, const guint8 *rest,
                          utp_reasm_frame_t *rf);
/* The direction ended or a gap was given up on: the unfinished PDU becomes
 * a record shown in this frame (why: UTP_AS_DATA_ENDED, _GAP), or NULL. */
utp_reasm_frame_t *utp_end_flush(utp_reasm_flow_t *r, packet_info *pinfo, heur_dtbl_entry_t *heur, guint8 why,
                                 guint32 *handle);
void utp_analysis_handoff(void);   /* finds the discovery lookup */

/* ---- utp-stats.c ---- */
void utp_stats_register(void);
/* utp-flow.c: the "utp" sequence analysis (Flow Graph, -z flow,utp) */
void utp_flow_register(void);

/* ---- utp-conn-table.c ---- */
void utp_conn_table_register(void);

/* ---- utp-tables.c ---- */
extern const value_string utp_type_vals[];
extern const value_string utp_type_short_vals[];
extern const value_string utp_ext_vals[];
extern const value_string utp_close_reason_vals[];
extern const value_string utp_delay_status_vals[];

#endif /* UTP_INT_H */
