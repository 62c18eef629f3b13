/* btpeer-messages.c
 * Length-prefixed peer-wire messages: BEP 3 (choke .. port), BEP 6 fast
 * extension (suggest, have all, have none, reject request, allowed fast),
 * BEP 52 (hash request, hashes, hash reject); extended messages (id 20,
 * BEP 10) are handed to btpeer-extended.c.
 *
 *   | length u32 | id u8 | payload (length - 1 bytes) |     length 0: keep-alive
 */
#include "btpeer.h"
#include "peerwire.h"

#include <wsutil/bits_count_ones.h>
#include "ws-compat.h"

static const value_string msg_type_vals[] = {
    { BT_MSG_CHOKE,          "Choke" },
    { BT_MSG_UNCHOKE,        "Unchoke" },
    { BT_MSG_INTERESTED,     "Interested" },
    { BT_MSG_NOT_INTERESTED, "Not Interested" },
    { BT_MSG_HAVE,           "Have" },
    { BT_MSG_BITFIELD,       "Bitfield" },
    { BT_MSG_REQUEST,        "Request" },
    { BT_MSG_PIECE,          "Piece" },
    { BT_MSG_CANCEL,         "Cancel" },
    { BT_MSG_PORT,           "Port" },
    { BT_MSG_SUGGEST,        "Suggest Piece" },
    { BT_MSG_HAVE_ALL,       "Have All" },
    { BT_MSG_HAVE_NONE,      "Have None" },
    { BT_MSG_REJECT,         "Reject Request" },
    { BT_MSG_ALLOWED_FAST,   "Allowed Fast" },
    { BT_MSG_EXTENDED,       "Extended" },
    { BT_MSG_HASH_REQUEST,   "Hash Request" },
    { BT_MSG_HASHES,         "Hashes" },
    { BT_MSG_HASH_REJECT,    "Hash Reject" },
    { 0, NULL }
};

static int hf_btpeer_msg_len = -1;
static int hf_btpeer_msg_type = -1;
static int hf_btpeer_bitfield = -1;
static int hf_btpeer_bitfield_have = -1;
static int hf_btpeer_request_index = -1;
static int hf_btpeer_request_begin = -1;
static int hf_btpeer_request_length = -1;
static int hf_btpeer_piece_idx = -1;
static int hf_btpeer_piece_begin = -1;
static int hf_btpeer_piece_length = -1;
static int hf_btpeer_piece_data = -1;
static int hf_btpeer_port = -1;
static int hf_btpeer_hash_pieces_root = -1;
static int hf_btpeer_hash_base_layer = -1;
static int hf_btpeer_hash_index = -1;
static int hf_btpeer_hash_length = -1;
static int hf_btpeer_hash_proof_layers = -1;
static int hf_btpeer_hash = -1;
static int hf_btpeer_data = -1;
static int hf_btpeer_keepalives = -1;

static int ett_btpeer_invalid = -1;

static expert_field ei_btpeer_msg_len_bad = EI_INIT;
static expert_field ei_btpeer_msg_unknown = EI_INIT;
static expert_field ei_btpeer_msg_too_long = EI_INIT;
static expert_field ei_btpeer_msg_partial = EI_INIT;
static expert_field ei_btpeer_hashes_len = EI_INIT;

/* A length prefix that cannot be a message (or, without reassembly, the
 * start of one): say so and show the bytes. */
void btpeer_dissect_too_long(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int offset, guint64 pdu_len)
{
    proto_item *ti = proto_tree_add_item(tree, proto_btpeer, tvb, offset, -1, ENC_NA);
    proto_tree *st = proto_item_add_subtree(ti, ett_btpeer_invalid);
    proto_item *len_item = NULL;

    if (tvb_reported_length_remaining(tvb, offset) >= 4)
        len_item = proto_tree_add_item(st, hf_btpeer_msg_len, tvb, offset, 4, ENC_BIG_ENDIAN);
    /* an invalid length: only its 4 bytes are ours, the caller resynchronises
     * on what follows; a fragment: all of the rest */
    if (!pdu_len)
        proto_tree_add_item(st, hf_btpeer_data, tvb, offset, -1, ENC_NA);
    else
        proto_item_set_len(ti, MIN(4, tvb_reported_length_remaining(tvb, offset)));
    if (pdu_len) {
        expert_add_info_format(pinfo, len_item ? len_item : ti, &ei_btpeer_msg_too_long,
                               "Message length %" G_GUINT64_FORMAT " is above the %u-byte limit: not a valid message",
                               pdu_len - 4, btpeer_pref_max_msg_len);
        btpeer_info_item(pinfo, ti, "Invalid message length");
    } else {
        expert_add_info(pinfo, ti, &ei_btpeer_msg_partial);
        btpeer_info_item(pinfo, ti, "Message fragment");
    }
}

static void add_block_ref(btpeer_ctx_t *ctx, int offset, const char *what, bt_req_kind_t kind)
{
    tvbuff_t *tvb = ctx->tvb;
    guint32 index, begin, length;
    proto_item *it;

    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_request_index, tvb, offset, 4, ENC_BIG_ENDIAN, &index);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_request_begin, tvb, offset + 4, 4, ENC_BIG_ENDIAN, &begin);
    it = proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_request_length, tvb, offset + 8, 4, ENC_BIG_ENDIAN, &length);
    btpeer_info(ctx, "%s %u/%u+%u", what, index, begin, length);
    btpeer_track_request(ctx, kind, index, begin, length, it);
    btpeer_piece_files(ctx, index, begin, length);
}

static void dissect_piece(btpeer_ctx_t *ctx, guint32 len)
{
    tvbuff_t *tvb = ctx->tvb;
    /* the length prefix counts id, index and begin before the block */
    guint32 index, begin, block = len - (BT_MSG_BLOCK_OFF - BT_MSG_ID_OFF);
    proto_item *it;

    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_piece_idx, tvb, BT_MSG_INDEX_OFF, 4, ENC_BIG_ENDIAN, &index);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_piece_begin, tvb, BT_MSG_BEGIN_OFF, 4, ENC_BIG_ENDIAN, &begin);
    it = proto_tree_add_uint(ctx->tree, hf_btpeer_piece_length, tvb, BT_MSG_BLOCK_OFF, block, block);
    proto_item_set_generated(it);
    if (block)
        proto_tree_add_item(ctx->tree, hf_btpeer_piece_data, tvb, BT_MSG_BLOCK_OFF, block, ENC_NA);
    btpeer_info(ctx, "Piece %u/%u (%u bytes)", index, begin, block);
    btpeer_track_request(ctx, BT_REQ_PIECE, index, begin, block, it);
    btpeer_piece_files(ctx, index, begin, block);
    btpeer_piece_block(ctx, index, begin, BT_MSG_BLOCK_OFF, (int)block);
}

static void dissect_bitfield(btpeer_ctx_t *ctx, guint32 len)
{
    guint32 nbytes = len - 1, have = 0, i;
    proto_item *it;

    if (nbytes)
        proto_tree_add_item(ctx->tree, hf_btpeer_bitfield, ctx->tvb, BT_MSG_PAYLOAD_OFF, nbytes, ENC_NA);
    for (i = 0; i < nbytes; i++)
        have += (guint32)ws_count_ones(tvb_get_uint8(ctx->tvb, BT_MSG_PAYLOAD_OFF + i));
    it = proto_tree_add_uint(ctx->tree, hf_btpeer_bitfield_have, ctx->tvb, BT_MSG_PAYLOAD_OFF, nbytes, have);
    proto_item_set_generated(it);
    btpeer_info(ctx, "Bitfield %u/%u pieces", have, nbytes * 8);
}

static void dissect_hash_msg(btpeer_ctx_t *ctx, guint8 id, guint32 len)
{
    tvbuff_t *tvb = ctx->tvb;
    guint32 base, index, length, proof, n, i;

    proto_tree_add_item(ctx->tree, hf_btpeer_hash_pieces_root, tvb, BT_MSG_PAYLOAD_OFF, BT_HASH_LEN, ENC_NA);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_hash_base_layer, tvb, 37, 4, ENC_BIG_ENDIAN, &base);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_hash_index, tvb, 41, 4, ENC_BIG_ENDIAN, &index);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_hash_length, tvb, 45, 4, ENC_BIG_ENDIAN, &length);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_hash_proof_layers, tvb, 49, 4, ENC_BIG_ENDIAN, &proof);
    if (id == BT_MSG_HASHES) {
        n = (len - BT_HASH_MSG_HDR_LEN) / BT_HASH_LEN;
        for (i = 0; i < n; i++)
            proto_tree_add_item(ctx->tree, hf_btpeer_hash, tvb, BT_MSG_ID_OFF + BT_HASH_MSG_HDR_LEN + i * BT_HASH_LEN, BT_HASH_LEN, ENC_NA);
        if ((len - BT_HASH_MSG_HDR_LEN) % BT_HASH_LEN) {
            proto_item *it = proto_tree_add_item(ctx->tree, hf_btpeer_data, tvb, BT_MSG_ID_OFF + BT_HASH_MSG_HDR_LEN + n * BT_HASH_LEN, -1, ENC_NA);
            expert_add_info(ctx->pinfo, it, &ei_btpeer_hashes_len);
        }
        btpeer_info(ctx, "Hashes layer %u index %u length %u proof %u (%u hashes)", base, index, length, proof, n);
        btpeer_v2_hashes(ctx, base, index, length, BT_MSG_ID_OFF + BT_HASH_MSG_HDR_LEN, n);
    } else {
        btpeer_info(ctx, "%s layer %u index %u length %u proof %u",
                    val_to_str_const(id, msg_type_vals, "?"), base, index, length, proof);
    }
}

/* A run of keep-alives (4 zero bytes each) as one item with its count: a
 * megabyte of zeros is one line, not 262,144. */
void btpeer_dissect_keepalives(btpeer_ctx_t *ctx, guint count)
{
    proto_tree_add_uint(ctx->tree, hf_btpeer_keepalives, ctx->tvb, 0, tvb_reported_length(ctx->tvb), count);
    btpeer_info(ctx, "Keep-alive x%u", count);
}

/* After a resynchronisation, or when the stream cannot be reassembled any
 * further, the message running past the end of the bytes at hand is shown
 * in part: its length, type and, for a Piece, which
 * block (the rest is skipped by count, see packet-btpeer.c). */
void btpeer_dissect_partial(btpeer_ctx_t *ctx, guint total_len)
{
    tvbuff_t *tvb = ctx->tvb;
    int avail = tvb_captured_length(tvb);
    guint32 len, id, index, begin;
    proto_item *it;

    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_msg_len, tvb, 0, 4, ENC_BIG_ENDIAN, &len);
    proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_msg_type, tvb, BT_MSG_ID_OFF, 1, ENC_BIG_ENDIAN, &id);
    if (id == BT_MSG_PIECE && avail >= BT_MSG_BLOCK_OFF) {
        guint32 block = len - (BT_MSG_BLOCK_OFF - BT_MSG_ID_OFF);
        proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_piece_idx, tvb, BT_MSG_INDEX_OFF, 4, ENC_BIG_ENDIAN, &index);
        proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_piece_begin, tvb, BT_MSG_BEGIN_OFF, 4, ENC_BIG_ENDIAN, &begin);
        it = proto_tree_add_uint(ctx->tree, hf_btpeer_piece_length, tvb, BT_MSG_BLOCK_OFF, avail - BT_MSG_BLOCK_OFF, block);
        proto_item_set_generated(it);
        if (avail > BT_MSG_BLOCK_OFF)
            proto_tree_add_item(ctx->tree, hf_btpeer_piece_data, tvb, BT_MSG_BLOCK_OFF, -1, ENC_NA);
        btpeer_info(ctx, "Piece %u/%u (%u bytes, %d here)", index, begin, block, avail - BT_MSG_BLOCK_OFF);
        btpeer_track_request(ctx, BT_REQ_PIECE, index, begin, block, it);
        btpeer_piece_files(ctx, index, begin, block);
        /* the bytes at hand count towards the piece; the rest never comes */
        btpeer_piece_block(ctx, index, begin, BT_MSG_BLOCK_OFF, avail - BT_MSG_BLOCK_OFF);
    } else {
        if (avail > BT_MSG_PAYLOAD_OFF)
            proto_tree_add_item(ctx->tree, hf_btpeer_data, tvb, BT_MSG_PAYLOAD_OFF, -1, ENC_NA);
        btpeer_info(ctx, "%s (%d of %u bytes here)", val_to_str_const(id, msg_type_vals, "Unknown"),
                    avail, total_len);
    }
    expert_add_info_format(ctx->pinfo, ctx->pdu_item, &ei_btpeer_msg_partial,
                           "Only %d of this message's %u bytes are here; the rest is not available "
                           "(lost by the capture, or the stream ended)", avail, total_len);
}

void btpeer_dissect_message(btpeer_ctx_t *ctx)
{
    tvbuff_t *tvb = ctx->tvb;
    proto_item *len_item, *type_item;
    const bt_msg_len_t *ml;
    guint32 len, id, v;

    len_item = proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_msg_len, tvb, 0, 4, ENC_BIG_ENDIAN, &len);
    if (len == 0) {
        btpeer_info(ctx, "Keep-alive");
        return;
    }
    type_item = proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_msg_type, tvb, BT_MSG_ID_OFF, 1, ENC_BIG_ENDIAN, &id);
    ml = bt_msg_len((guint8)id);
    if (!ml) {
        expert_add_info_format(ctx->pinfo, type_item, &ei_btpeer_msg_unknown, "Unknown message id %u", id);
        if (len > 1)
            proto_tree_add_item(ctx->tree, hf_btpeer_data, tvb, BT_MSG_PAYLOAD_OFF, -1, ENC_NA);
        btpeer_info(ctx, "Unknown message id %u (%u bytes)", id, len - 1);
        return;
    }
    if (len < ml->min_len || (ml->max_len && len > ml->max_len)) {
        expert_add_info_format(ctx->pinfo, len_item, &ei_btpeer_msg_len_bad,
                               "Length %u does not fit %s, which needs %u%s", len,
                               val_to_str_const(id, msg_type_vals, "?"), ml->min_len,
                               ml->max_len ? "" : " or more");
        if (len < ml->min_len) {
            if (len > 1)
                proto_tree_add_item(ctx->tree, hf_btpeer_data, tvb, BT_MSG_PAYLOAD_OFF, -1, ENC_NA);
            btpeer_info(ctx, "%s (bad length %u)", val_to_str_const(id, msg_type_vals, "?"), len);
            return;
        }
        /* Longer than the fixed size: decode the fields, show the excess. */
        proto_tree_add_item(ctx->tree, hf_btpeer_data, tvb, BT_MSG_ID_OFF + ml->max_len, -1, ENC_NA);
    }
    switch (id) {
    case BT_MSG_HAVE:
    case BT_MSG_SUGGEST:
    case BT_MSG_ALLOWED_FAST:
        proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_piece_idx, tvb, BT_MSG_INDEX_OFF, 4, ENC_BIG_ENDIAN, &v);
        btpeer_info(ctx, "%s %u", val_to_str_const(id, msg_type_vals, "?"), v);
        btpeer_piece_files(ctx, v, 0, G_MAXUINT64);
        break;
    case BT_MSG_BITFIELD:
        dissect_bitfield(ctx, len);
        break;
    case BT_MSG_REQUEST:
        add_block_ref(ctx, BT_MSG_INDEX_OFF, "Request", BT_REQ_REQUEST);
        break;
    case BT_MSG_CANCEL:
        add_block_ref(ctx, BT_MSG_INDEX_OFF, "Cancel", BT_REQ_CANCEL);
        break;
    case BT_MSG_REJECT:
        add_block_ref(ctx, BT_MSG_INDEX_OFF, "Reject", BT_REQ_REJECT);
        break;
    case BT_MSG_PIECE:
        dissect_piece(ctx, len);
        break;
    case BT_MSG_PORT:
        proto_tree_add_item_ret_uint(ctx->tree, hf_btpeer_port, tvb, BT_MSG_PAYLOAD_OFF, 2, ENC_BIG_ENDIAN, &v);
        btpeer_info(ctx, "Port %u", v);
        break;
    case BT_MSG_EXTENDED:
        btpeer_dissect_extended(ctx, BT_MSG_PAYLOAD_OFF);
        break;
    case BT_MSG_HASH_REQUEST:
    case BT_MSG_HASHES:
    case BT_MSG_HASH_REJECT:
        dissect_hash_msg(ctx, (guint8)id, len);
        break;
    default:   /* choke, unchoke, interested, not interested, have all, have none */
        btpeer_info(ctx, "%s", val_to_str_const(id, msg_type_vals, "?"));
        break;
    }
}

void btpeer_register_messages(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_msg_len,
          { "Message length", "btpeer.msg_len", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes after the length prefix (0: keep-alive)", HFILL } },
        { &hf_btpeer_msg_type,
          { "Message type", "btpeer.msg_type", FT_UINT8, BASE_DEC, VALS(msg_type_vals), 0x0, NULL, HFILL } },
        { &hf_btpeer_bitfield,
          { "Bitfield", "btpeer.bitfield", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_bitfield_have,
          { "Pieces present", "btpeer.bitfield.have", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Number of bits set in the bitfield", HFILL } },
        { &hf_btpeer_request_index,
          { "Piece index", "btpeer.request.index", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Piece of a Request, Cancel or Reject Request", HFILL } },
        { &hf_btpeer_request_begin,
          { "Begin", "btpeer.request.begin", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Offset of the block in the piece", HFILL } },
        { &hf_btpeer_request_length,
          { "Length", "btpeer.request.length", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Length of the block", HFILL } },
        { &hf_btpeer_piece_idx,
          { "Piece index", "btpeer.piece.index", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Piece of Piece, Have, Suggest Piece, Allowed Fast and lt_donthave", HFILL } },
        { &hf_btpeer_piece_begin,
          { "Begin", "btpeer.piece.begin", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Offset of the block in the piece", HFILL } },
        { &hf_btpeer_piece_length,
          { "Block length", "btpeer.piece.length", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Bytes of block data in this Piece message", HFILL } },
        { &hf_btpeer_piece_data,
          { "Block data", "btpeer.piece.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_port,
          { "DHT port", "btpeer.port", FT_UINT16, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_hash_pieces_root,
          { "Pieces root", "btpeer.hash.pieces_root", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Merkle root of the file (BEP 52)", HFILL } },
        { &hf_btpeer_hash_base_layer,
          { "Base layer", "btpeer.hash.base_layer", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_hash_index,
          { "Index", "btpeer.hash.index", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_hash_length,
          { "Length", "btpeer.hash.length", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_hash_proof_layers,
          { "Proof layers", "btpeer.hash.proof_layers", FT_UINT32, BASE_DEC, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_hash,
          { "Hash", "btpeer.hash.hash", FT_BYTES, BASE_NONE, NULL, 0x0, "SHA-256 hash", HFILL } },
        { &hf_btpeer_keepalives,
          { "Keep-alives", "btpeer.keepalives", FT_UINT32, BASE_DEC, NULL, 0x0,
            "Number of consecutive keep-alive messages shown as one item", HFILL } },
        { &hf_btpeer_data,
          { "Undecoded data", "btpeer.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
    };
    static ei_register_info ei[] = {
        { &ei_btpeer_msg_len_bad,
          { "btpeer.msg_len.invalid", PI_MALFORMED, PI_ERROR, "Message length does not fit its type", EXPFILL } },
        { &ei_btpeer_msg_unknown,
          { "btpeer.msg_type.unknown", PI_UNDECODED, PI_WARN, "Unknown message id", EXPFILL } },
        { &ei_btpeer_msg_too_long,
          { "btpeer.msg_len.too_long", PI_MALFORMED, PI_WARN, "Message length above the limit", EXPFILL } },
        { &ei_btpeer_msg_partial,
          { "btpeer.msg.partial", PI_REASSEMBLE, PI_NOTE,
            "Start of a message whose rest is not available (reassembly off or capture ends)", EXPFILL } },
        { &ei_btpeer_hashes_len,
          { "btpeer.hash.trailing", PI_MALFORMED, PI_WARN, "Hashes payload is not a whole number of 32-byte hashes", EXPFILL } },
    };
    static int *ett[] = { &ett_btpeer_invalid };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
