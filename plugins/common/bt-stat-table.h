/* bt-stat-table.h
 * What the plugins' "simple statistics" tables (stat_tap_table_ui) share:
 * uTP Connections / Summary (plugins/utp/utp-conn-table.c) and BitTorrent
 * Peers / Torrents (plugins/bt-handshake/btpeer-swarm-table.c).  Finding or
 * creating a dialog's table, emptying its rows through the table's own
 * free-item callback, string cells owned by the table, and counts shown
 * saturated at 2^32-1 (the cells are 32-bit).
 */
#ifndef BT_STAT_TABLE_H
#define BT_STAT_TABLE_H

#include <epan/stat_tap_ui.h>

/* The table's stat_tap_free_table_item_cb (stat_tap_table_ui has no typedef) */
typedef void (*bt_stat_free_item_cb)(stat_tap_table *table, guint row, guint column,
                                     stat_tap_table_item_type *field);

guint bt_stat_sat32(guint64 v);
/* Frees a string cell's string (the table owns it); other cells: nothing. */
void bt_stat_free_string(stat_tap_table_item_type *field);
/* Frees every cell (free_item) and row: the table is left empty. */
void bt_stat_rows_free(stat_tap_table *table, bt_stat_free_item_cb free_item);
/* The dialog's table called name: found and emptied, or created. */
stat_tap_table *bt_stat_table_prepare(stat_tap_table_ui *ui, const char *name, guint nfields,
                                      bt_stat_free_item_cb free_item);

#endif
