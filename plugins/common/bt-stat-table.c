/* bt-stat-table.c
 * Shared helpers of the plugins' "simple statistics" tables (see
 * bt-stat-table.h): uTP (BEP 29) connections and the BitTorrent (BEP 3)
 * swarm view.  Compiled into each plugin that has such a table.
 */
#include <epan/packet.h>

#include "bt-stat-table.h"

guint bt_stat_sat32(guint64 v)
{
    return v > G_MAXUINT ? G_MAXUINT : (guint)v;
}

void bt_stat_free_string(stat_tap_table_item_type *field)
{
    if (field->type == TABLE_ITEM_STRING) {
        g_free((char *)field->value.string_value);
        field->value.string_value = NULL;
    }
}

void bt_stat_rows_free(stat_tap_table *table, bt_stat_free_item_cb free_item)
{
    for (guint r = 0; r < table->num_elements; r++) {
        for (guint c = 0; c < table->num_fields; c++)
            free_item(table, r, c, &table->elements[r][c]);
        g_free(table->elements[r]);
    }
    table->num_elements = 0;
}

stat_tap_table *bt_stat_table_prepare(stat_tap_table_ui *ui, const char *name, guint nfields,
                                      bt_stat_free_item_cb free_item)
{
    stat_tap_table *table = stat_tap_find_table(ui, name);
    if (table) {
        bt_stat_rows_free(table, free_item);
        return table;
    }
    table = stat_tap_init_table(name, (int)nfields, 0, NULL);
    stat_tap_add_table(ui, table);
    return table;
}
