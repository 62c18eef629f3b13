/* btpeer-mse.c
 * MSE/PE ("Message Stream Encryption" / "Protocol Encryption", the
 * Vuze-libtorrent obfuscation spec) seen from outside: each side sends a
 * 96-byte Diffie-Hellman public key and 0-512 bytes of padding, then RC4.
 * Nothing after the keys can be read without the keys' secrets, so the
 * connection is only labelled (btpeer.encrypted) and its bytes counted.
 * Exception: when the negotiation selects plaintext (crypto_select 0x01:
 * aria2, libtorrent, uTorrent Web), each side then sends an ordinary
 * "\x13BitTorrent protocol" handshake in the clear; it is searched for
 * within the longest possible negotiation (BT_MSE_MAX_NEGOTIATION) and the
 * direction is decoded as plaintext from there.
 */
#include "btpeer.h"
#include "mse.h"
#include "peerwire.h"
#include "ws-compat.h"

static int hf_btpeer_encrypted = -1;
static int hf_btpeer_mse_dh_key = -1;
static int hf_btpeer_mse_padding = -1;
static int hf_btpeer_mse_data = -1;
static int hf_btpeer_mse_negotiation = -1;
static int hf_btpeer_mse_plaintext = -1;

static int ett_btpeer_mse = -1;

static expert_field ei_btpeer_encrypted = EI_INIT;
static expert_field ei_btpeer_mse_plaintext = EI_INIT;

int btpeer_mse_find_plaintext(tvbuff_t *tvb, btpeer_side_t *side)
{
    int len = tvb_captured_length(tvb);
    int window;
    long at;

    if (side->mse_seen >= BT_MSE_MAX_NEGOTIATION)
        return -1;
    /* the handshake must begin within the bound; its 20-byte prefix may end past it */
    window = (int)MIN((guint32)len, BT_MSE_MAX_NEGOTIATION - side->mse_seen + BT_PSTR_LEN);
    at = bt_mse_find_plain_handshake(tvb_get_ptr(tvb, 0, window), (size_t)window);
    if (at < 0) {
        side->mse_seen += (guint32)tvb_reported_length(tvb);
        return -1;
    }
    side->mse_plain = TRUE;
    return (int)at;
}

void btpeer_dissect_mse_plaintext(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, int at)
{
    proto_item *ti, *flag;
    proto_tree *st;

    ti = proto_tree_add_item(tree, proto_btpeer, tvb, 0, at, ENC_NA);
    st = proto_item_add_subtree(ti, ett_btpeer_mse);
    flag = proto_tree_add_boolean(st, hf_btpeer_mse_plaintext, tvb, 0, 0, TRUE);
    proto_item_set_generated(flag);
    if (at > 0)
        proto_tree_add_item(st, hf_btpeer_mse_negotiation, tvb, 0, at, ENC_NA);
    expert_add_info(pinfo, flag, &ei_btpeer_mse_plaintext);
    btpeer_info_item(pinfo, ti, at > 0
                     ? wmem_strdup_printf(pinfo->pool, "End of MSE/PE negotiation (%d bytes), plaintext selected", at)
                     : "MSE/PE negotiated, plaintext selected");
}

gboolean btpeer_mse_is_key_flight(tvbuff_t *tvb, int offset)
{
    int len = tvb_captured_length_remaining(tvb, offset);
    if (len < BT_MSE_KEY_LEN || len > BT_MSE_MAX_FLIGHT)
        return FALSE;
    return bt_mse_is_key_flight(tvb_get_ptr(tvb, offset, len), (size_t)len) != 0;
}

void btpeer_dissect_encrypted(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                              btpeer_conn_t *conn, int dir)
{
    proto_item *ti, *flag;
    proto_tree *st;
    int len = (int)tvb_reported_length(tvb);

    ti = proto_tree_add_item(tree, proto_btpeer, tvb, 0, -1, ENC_NA);
    st = proto_item_add_subtree(ti, ett_btpeer_mse);
    flag = proto_tree_add_boolean(st, hf_btpeer_encrypted, tvb, 0, 0, TRUE);
    proto_item_set_generated(flag);
    if (conn->side[dir].mse_key_frame == pinfo->num && len >= BT_MSE_KEY_LEN) {
        proto_tree_add_item(st, hf_btpeer_mse_dh_key, tvb, 0, BT_MSE_KEY_LEN, ENC_NA);
        if (len > BT_MSE_KEY_LEN)
            proto_tree_add_item(st, hf_btpeer_mse_padding, tvb, BT_MSE_KEY_LEN, -1, ENC_NA);
        expert_add_info(pinfo, flag, &ei_btpeer_encrypted);
        btpeer_info_item(pinfo, ti, wmem_strdup_printf(pinfo->pool,
                         "Encrypted (MSE/PE) key exchange: %d-byte DH key + %d bytes padding",
                         BT_MSE_KEY_LEN, len - BT_MSE_KEY_LEN));
    } else {
        proto_tree_add_item(st, hf_btpeer_mse_data, tvb, 0, -1, ENC_NA);
        btpeer_info_item(pinfo, ti, wmem_strdup_printf(pinfo->pool, "Encrypted (MSE/PE) data, %d byte%s", len, plurality(len, "", "s")));
    }
}

void btpeer_register_mse(int proto, expert_module_t *em)
{
    static hf_register_info hf[] = {
        { &hf_btpeer_encrypted,
          { "Encrypted (MSE/PE)", "btpeer.encrypted", FT_BOOLEAN, BASE_NONE, NULL, 0x0,
            "The connection started with an MSE/PE Diffie-Hellman key exchange", HFILL } },
        { &hf_btpeer_mse_dh_key,
          { "Diffie-Hellman public key", "btpeer.mse.dh_key", FT_BYTES, BASE_NONE, NULL, 0x0,
            "768-bit public key (Ya from the initiator, Yb from the acceptor)", HFILL } },
        { &hf_btpeer_mse_padding,
          { "Padding (or start of encrypted data)", "btpeer.mse.padding", FT_BYTES, BASE_NONE, NULL, 0x0,
            "0-512 random bytes after the key", HFILL } },
        { &hf_btpeer_mse_data,
          { "Encrypted data", "btpeer.mse.data", FT_BYTES, BASE_NONE, NULL, 0x0, NULL, HFILL } },
        { &hf_btpeer_mse_negotiation,
          { "MSE/PE negotiation (encrypted)", "btpeer.mse.negotiation", FT_BYTES, BASE_NONE, NULL, 0x0,
            "Encrypted end of the negotiation (VC, crypto fields, padding) before the plaintext handshake", HFILL } },
        { &hf_btpeer_mse_plaintext,
          { "MSE/PE negotiated, plaintext selected", "btpeer.mse.plaintext_selected", FT_BOOLEAN, BASE_NONE,
            NULL, 0x0, "The MSE/PE negotiation selected plaintext: the handshake and messages that follow "
            "are sent in the clear", HFILL } },
    };
    static int *ett[] = { &ett_btpeer_mse };
    static ei_register_info ei[] = {
        { &ei_btpeer_encrypted,
          { "btpeer.encrypted.key_exchange", PI_SECURITY, PI_NOTE,
            "Encrypted BitTorrent connection (MSE/PE key exchange): messages cannot be decoded", EXPFILL } },
        { &ei_btpeer_mse_plaintext,
          { "btpeer.mse.negotiated_plaintext", PI_SECURITY, PI_NOTE,
            "MSE/PE negotiated, plaintext selected: the handshake and messages that follow are decoded", EXPFILL } },
    };
    proto_register_field_array(proto, hf, array_length(hf));
    proto_register_subtree_array(ett, array_length(ett));
    expert_register_field_array(em, ei, array_length(ei));
}
