/* utp-tables.c
 * Names for the numbers of uTP (BEP 29): packet types, extension types and
 * libtorrent's close reasons (sent in extension 3, libtorrent's
 * close_reason_t; values 256 and up blame the peer's data).
 */
#include "utp-int.h"
#include "ws-compat.h"

const value_string utp_type_vals[] = {
    { UTP_ST_DATA,  "ST_DATA" },
    { UTP_ST_FIN,   "ST_FIN" },
    { UTP_ST_STATE, "ST_STATE" },
    { UTP_ST_RESET, "ST_RESET" },
    { UTP_ST_SYN,   "ST_SYN" },
    { 0, NULL }
};

/* Short names for the Info column, in TCP's spirit */
const value_string utp_type_short_vals[] = {
    { UTP_ST_DATA,  "DATA" },
    { UTP_ST_FIN,   "FIN" },
    { UTP_ST_STATE, "STATE" },
    { UTP_ST_RESET, "RESET" },
    { UTP_ST_SYN,   "SYN" },
    { 0, NULL }
};

const value_string utp_ext_vals[] = {
    { UTP_EXT_NONE,         "No extension" },
    { UTP_EXT_SACK,         "Selective ACK" },
    { UTP_EXT_BITS,         "Extension bits" },
    { UTP_EXT_CLOSE_REASON, "Close reason" },
    { 0, NULL }
};

const value_string utp_close_reason_vals[] = {
    { 0,   "none" },
    { 1,   "duplicate_peer_id" },
    { 2,   "torrent_removed" },
    { 3,   "no_memory" },
    { 4,   "port_blocked" },
    { 5,   "blocked" },
    { 6,   "upload_to_upload" },
    { 7,   "not_interested_upload_only" },
    { 8,   "timeout" },
    { 9,   "timed_out_interest" },
    { 10,  "timed_out_activity" },
    { 11,  "timed_out_handshake" },
    { 12,  "timed_out_request" },
    { 13,  "protocol_blocked" },
    { 14,  "peer_churn" },
    { 15,  "too_many_connections" },
    { 16,  "too_many_files" },
    { 256, "encryption_error" },
    { 257, "invalid_info_hash" },
    { 258, "self_connection" },
    { 259, "invalid_metadata" },
    { 260, "metadata_too_big" },
    { 261, "message_too_big" },
    { 262, "invalid_message_id" },
    { 263, "invalid_message" },
    { 264, "invalid_piece_message" },
    { 265, "invalid_have_message" },
    { 266, "invalid_bitfield_message" },
    { 267, "invalid_choke_message" },
    { 268, "invalid_unchoke_message" },
    { 269, "invalid_interested_message" },
    { 270, "invalid_not_interested_message" },
    { 271, "invalid_request_message" },
    { 272, "invalid_reject_message" },
    { 273, "invalid_allow_fast_message" },
    { 274, "invalid_extended_message" },
    { 275, "invalid_cancel_message" },
    { 276, "invalid_dht_port_message" },
    { 277, "invalid_suggest_message" },
    { 278, "invalid_have_all_message" },
    { 279, "invalid_dont_have_message" },
    { 280, "invalid_have_none_message" },
    { 281, "invalid_pex_message" },
    { 282, "invalid_metadata_request_message" },
    { 283, "invalid_metadata_message" },
    { 284, "invalid_metadata_offset" },
    { 285, "request_when_choked" },
    { 286, "corrupt_pieces" },
    { 287, "pex_message_too_big" },
    { 288, "pex_too_frequent" },
    { 0, NULL }
};

/* Why a timestamp_diff_us was not taken as a LEDBAT delay sample (utp-delay.h) */
const value_string utp_delay_status_vals[] = {
    { UTP_DELAY_NO_SAMPLE, "no sample (0)" },
    { UTP_DELAY_IS_PLACEHOLDER, "placeholder 0x7fffffff (no measurement yet)" },
    { UTP_DELAY_OUTLIER, "outlier: minutes away from this side's other samples" },
    { 0, NULL }
};
