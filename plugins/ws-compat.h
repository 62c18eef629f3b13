/*
 * ws-compat.h: the one place where this tree meets the Wireshark API
 * differences between 4.0 (Debian 12), 4.2 (Ubuntu 24.04, built against
 * nothing here: untested), 4.4 (Debian 13) and 4.6 (Debian testing).
 *
 * The plugin code is written in the newest spelling (4.6); for older
 * versions this header maps it back.  Include it after the epan headers a
 * file needs (it includes the ones whose functions it renames itself, so the
 * order cannot break their declarations).  Versions come from ws_version.h.
 * What each entry is, and the compiler error that finds remaining old
 * spellings, is listed in the porting notes kept with the merge (PORTING.md).
 */
#ifndef BT_WS_COMPAT_H
#define BT_WS_COMPAT_H

#include <stdbool.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/tfs.h>          /* 4.6: no longer reached through proto.h */
#include <epan/follow.h>
#include <epan/strutil.h>
#include <wsutil/pint.h>
#include <epan/tap.h>

#define BT_WS_AT_LEAST(major, minor) \
    (WIRESHARK_VERSION_MAJOR > (major) || \
     (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

/* Heuristic dissectors return bool from 4.4 on, gboolean (int) before.  A
 * bool function cannot be cast to a gboolean one (only the low byte of the
 * return register is set), so the return type itself differs:
 *     static bt_heur_bool dissect_x_heur(tvbuff_t *, packet_info *, proto_tree *, void *);
 * Boolean preference variables likewise (prefs writes through the pointer). */
#if BT_WS_AT_LEAST(4, 4)
typedef bool bt_heur_bool;
typedef bool bt_pref_bool;
#else
typedef gboolean bt_heur_bool;
typedef gboolean bt_pref_bool;
#endif

/* 4.4 renamed the glib-typed tvb accessors (tvb_get_guint8 -> tvb_get_uint8
 * ...) and deprecated the old names; before 4.4 only the old names exist. */
#if !BT_WS_AT_LEAST(4, 4)
#define tvb_get_uint8       tvb_get_guint8
#define tvb_get_int8        tvb_get_gint8
#define tvb_get_uint16      tvb_get_guint16
#define tvb_get_int16       tvb_get_gint16
#define tvb_get_uint24      tvb_get_guint24
#define tvb_get_int24       tvb_get_gint24
#define tvb_get_uint32      tvb_get_guint32
#define tvb_get_int32       tvb_get_gint32
#define tvb_get_uint40      tvb_get_guint40
#define tvb_get_int40       tvb_get_gint40
#define tvb_get_uint48      tvb_get_guint48
#define tvb_get_int48       tvb_get_gint48
#define tvb_get_uint56      tvb_get_guint56
#define tvb_get_int56       tvb_get_gint56
#define tvb_get_uint64      tvb_get_guint64
#define tvb_get_int64       tvb_get_gint64
#define tvb_find_uint8      tvb_find_guint8
#define tvb_find_uint16     tvb_find_guint16
#define tvb_ws_mempbrk_pattern_uint8 tvb_ws_mempbrk_pattern_guint8
#define tvb_skip_uint8      tvb_skip_guint8
#endif

/* format_text takes const char * from 4.4 on (const guchar * before). */
#if !BT_WS_AT_LEAST(4, 4)
#define format_text(scope, string, len) format_text((scope), (const guchar *)(string), (len))
#endif

/* field_info holds a pointer to its fvalue_t from 4.4 on, the value itself
 * before:  fvalue_get_uinteger(bt_fi_fvalue(fi)). */
#if BT_WS_AT_LEAST(4, 4)
#define bt_fi_fvalue(fi) ((fi)->value)
#else
#define bt_fi_fvalue(fi) (&(fi)->value)
#endif

/* register_follow_stream: 4.4 adds a stream-count and a sub-stream callback
 * (types follow_stream_count_func, follow_sub_stream_id_func; either may be
 * NULL).  Before 4.4 there is nowhere to register them; the (void) keeps
 * them referenced (no unused-function warning). */
#if !BT_WS_AT_LEAST(4, 4)
typedef uint32_t (*follow_stream_count_func)(void);
typedef bool (*follow_sub_stream_id_func)(unsigned stream, unsigned sub_stream, bool le, unsigned *sub_stream_out);
#define register_follow_stream(proto, tap, conv, index, addr, port, handler, count, sub) \
    ((void)(count), (void)(sub), \
     register_follow_stream((proto), (tap), (conv), (index), (addr), (port), (handler)))
#endif

/* 4.6: val_to_str takes the wmem scope first (4.0-4.4 call that one
 * val_to_str_wmem; their val_to_str used the packet scope, gone in 4.6);
 * pntoh64 became pntohu64. */
#if !BT_WS_AT_LEAST(4, 6)
#define val_to_str(scope, val, vs, fmt) val_to_str_wmem((scope), (val), (vs), (fmt))
#define pntohu64 pntoh64
#endif

/* 4.6: the init callback of a stat_tap_ui (tshark -z) returns bool (false:
 * the argument was refused); void before.  Declare it
 *     static bt_stat_init_ret x_init(const char *opt_arg, void *userdata)
 * and end it with BT_STAT_INIT_RETURN(ok). */
#if BT_WS_AT_LEAST(4, 6)
typedef bool bt_stat_init_ret;
#define BT_STAT_INIT_RETURN(ok) return (ok)
#else
typedef void bt_stat_init_ret;
#define BT_STAT_INIT_RETURN(ok) do { (void)(ok); return; } while (0)
#endif

/* Sequence analysis (Statistics > Flow Graph, tshark -z flow,NAME,...):
 * libwireshark exports register_seq_analysis() and its helpers on 4.0, 4.4
 * and 4.6, but Debian's libwireshark-dev ships no epan/sequence_analysis.h
 * on any of them, so the declarations are here.  The item layout differs:
 * has_color_filter and display are gboolean on 4.0 and bool from 4.4 on, and
 * 4.6 adds a free callback for info_ptr at the end.  Checked against each
 * release's library: sequence_analysis_create_sai_with_addresses()
 * allocates 0x90 bytes on 4.0, 0x88 on 4.4, 0x90 on 4.6 (the static asserts
 * in the files that use it hold these sizes), writes the addresses at 0x08
 * and 0x28 and the time string at 0x50; sequence_analysis_use_color_filter()
 * writes fg/bg at 0x64/0x68 and has_color_filter as a byte at 0x6c on 4.4+;
 * sequence_analysis_info_new() puts the items queue at 0x10 on all three.
 * Only the leading members of seq_analysis_info_t are declared (the rest
 * differ: 4.4 adds an occurrence array); it is only ever allocated by
 * libwireshark. */
#if BT_WS_AT_LEAST(4, 4)
typedef bool bt_seq_bool;
#else
typedef gboolean bt_seq_bool;
#endif
typedef struct _seq_analysis_item {
    guint32     frame_number;
    address     src_addr;
    guint16     port_src;
    address     dst_addr;
    guint16     port_dst;
    gchar      *frame_label;      /* above the arrow (g_malloc: freed by Wireshark) */
    gchar      *time_str;
    gchar      *comment;          /* right of the graph (g_malloc)                  */
    guint16     conv_num;
    unsigned    fg_color;
    unsigned    bg_color;
    bt_seq_bool has_color_filter;
    bt_seq_bool display;
    unsigned    src_node;
    unsigned    dst_node;
    guint16     line_style;
    int         info_type;        /* ga_info_type: 0 = none                         */
    void       *info_ptr;
#if BT_WS_AT_LEAST(4, 6)
    void      (*info_ptr_free)(void *);
#endif
} seq_analysis_item_t;
#if BT_WS_AT_LEAST(4, 6)
#define BT_SEQ_ITEM_SIZE 0x90
#elif BT_WS_AT_LEAST(4, 4)
#define BT_SEQ_ITEM_SIZE 0x88
#else
#define BT_SEQ_ITEM_SIZE 0x90
#endif
typedef struct _seq_analysis_info {
    const char *name;
    bt_seq_bool any_addr;
    int         nconv;
    GQueue     *items;            /* seq_analysis_item_t *, in frame order          */
    /* more members follow, different per version: never allocate one */
} seq_analysis_info_t;
WS_DLL_PUBLIC void register_seq_analysis(const char *name, const char *ui_name, const int proto_id,
                                         const char *tap_listener, guint tap_flags, tap_packet_cb tap_func);
WS_DLL_PUBLIC seq_analysis_item_t *sequence_analysis_create_sai_with_addresses(packet_info *pinfo,
                                                                               seq_analysis_info_t *sainfo);

#endif /* BT_WS_COMPAT_H */
