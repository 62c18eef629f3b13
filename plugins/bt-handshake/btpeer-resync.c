/* btpeer-resync.c
 * Picking up a peer-wire stream (BEP 3) whose start was not captured, or
 * whose bytes were lost: a capture started mid-connection, TCP "previous
 * segment not captured", a uTP sequence gap uTP gave up waiting for, or a
 * length prefix that cannot be a message.  The bytes up to the first
 * message boundary that can be found (lib/btcommon/peerwire-sync.h) are
 * shown as undecoded continuation, never as messages.
 */
#include "btpeer.h"
#include "peerwire.h"
#include "peerwire-sync.h"
#include "ws-compat.h"

static int hf_btpeer_continuation = -1;
static int hf_btpeer_gap_bytes = -1;

static expert_field ei_btpeer_resumed = EI_INIT;
static expert_field ei_btpeer_gap = EI_INIT;
static expert_field ei_btpeer_unsynced = EI_INIT;

/* Offsets scanned for a boundary per call.  The scan is O(1) per offset, so
 * this only caps one call's work on a huge reassembled buffer; a boundary
 * further in is found by the next call. */
#define BTPEER_RESYNC_SCAN_LIMIT (1024 * 1024)

static guint32 sync_max_block(void)
{
    /* a Piece's length prefix counts id, index and begin before the block */
    const guint32 head = BT_MSG_BLOCK_OFF - BT_MSG_ID_OFF;
    guint32 max_block = BT_SYNC_DEFAULT_MAX_BLOCK;
    if (btpeer_pref_max_msg_len < max_block + head)
        max_block = btpeer_pref_max_msg_len > head ? btpeer_pref_max_msg_len - head : 0;
    return max_block;
}

gboolean btpeer_has_boundary(tvbuff_t *tvb)
{
    int avail = tvb_captured_length(tvb);
    return avail > 0 && bt_sync_find(tvb_get_ptr(tvb, 0, avail), (size_t)avail, sync_max_block(),
                                     BTPEER_RESYNC_SCAN_LIMIT) >= 0;
}

void btpeer_show_gap(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, guint32 gap)
{
    proto_item *it = proto_tree_add_uint(tree, hf_btpeer_gap_bytes, tvb, 0, 0, gap);
    proto_item_set_generated(it);
    expert_add_info_format(pinfo, it, &ei_btpeer_gap,
                           "Capture gap: %u bytes of this direction before this segment were not "
                           "decoded (lost, or part of a message a loss left incomplete)", gap);
}

void btpeer_show_rest(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int len, guint32 skip)
{
    proto_item *ti = proto_tree_add_item(tree, hf_btpeer_continuation, tvb, 0, len, ENC_NA);
    proto_item_append_text(ti, " (%d of the %u remaining bytes of a message shown in part earlier)", len, skip);
    btpeer_info_item(pinfo, ti, "Continuation data");
}

int btpeer_resync(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, const char *why)
{
    int avail = tvb_captured_length_remaining(tvb, offset);
    long found = -1;
    proto_item *ti;

    if (avail > 0)
        found = bt_sync_find(tvb_get_ptr(tvb, offset, avail), (size_t)avail, sync_max_block(),
                             BTPEER_RESYNC_SCAN_LIMIT);
    if (found != 0) {
        ti = proto_tree_add_item(tree, hf_btpeer_continuation, tvb, offset,
                                 found < 0 ? -1 : (gint)found, ENC_NA);
        btpeer_info_item(pinfo, ti, "Continuation data");
        if (found < 0) {
            expert_add_info_format(pinfo, ti, &ei_btpeer_unsynced,
                                   "No message boundary found (%s): bytes not decoded", why);
            return -1;
        }
    }
    ti = proto_tree_add_item(tree, proto_btpeer, tvb, offset + (int)found, 0, ENC_NA);
    proto_item_set_text(ti, "Decoding resumed at offset %d (%s)", offset + (int)found, why);
    expert_add_info_format(pinfo, ti, &ei_btpeer_resumed,
                           "Decoding resumed at offset %d without a handshake (%s)", offset + (int)found, why);
    return offset + (int)found;
}

void btpeer_register_resync(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_continuation,
          { "Continuation data", "btpeer.continuation", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Bytes of a message whose start was not captured", HFILL } },
        { &hf_btpeer_gap_bytes,
          { "Bytes not decoded (gap)", "btpeer.gap", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes of this direction between the last byte handed to btpeer and this segment: "
            "lost, or held in a message a loss left incomplete", HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_btpeer_resumed,
          { "btpeer.resync.resumed", PI_SEQUENCE, PI_NOTE,
            "Decoding resumed at a message boundary without a handshake", EXPFILL } },
        { &ei_btpeer_gap,
          { "btpeer.resync.gap", PI_SEQUENCE, PI_NOTE, "Bytes of this direction not captured", EXPFILL } },
        { &ei_btpeer_unsynced,
          { "btpeer.resync.none", PI_UNDECODED, PI_NOTE, "No message boundary found: bytes not decoded", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    expert_register_field_array(em, ei, array_length(ei));
}
