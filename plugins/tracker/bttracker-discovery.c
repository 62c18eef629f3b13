/* bttracker-discovery.c
 * The discovery record store behind plugins/bt-discovery.h: which frame first
 * announced each infohash and each peer endpoint, fed by bttracker (BEP 15,
 * BEP 3 trackers) and btlsd (BEP 14 LSD), asked by btpeer and uTP.
 *
 * Two registered dissectors share the store:
 *   BT_DISCOVERY_RECORD_DISSECTOR  data = bt_discovery_record_t *   (first pass)
 *   BT_DISCOVERY_LOOKUP_DISSECTOR  data = bt_discovery_query_t *
 * Both maps live in file scope (wmem autoreset): one capture file's
 * announcements never answer for another.  The first pass runs in frame
 * order, so the first record for a key is its lowest frame; a lookup answers
 * only when that frame is before the asking one, which gives the same answer
 * on every pass and in random access.
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/address.h>
#include <epan/address_types.h>
#include <wsutil/wmem/wmem.h>

#include "bttracker.h"
#include "ws-compat.h"

typedef struct {
    guint32     frame;
    const char *source;
} disc_entry_t;

typedef struct {
    address addr;
    guint16 port;
} disc_peer_key_t;

static wmem_map_t *disc_infohash;   /* 20-byte key -> disc_entry_t */
static wmem_map_t *disc_peer;       /* disc_peer_key_t -> disc_entry_t */

/* Infohashes are SHA-1 (or truncated SHA-256) output: their first bytes are
 * already uniformly spread, no need to mix further. */
static guint infohash_hash(gconstpointer k)
{
    const guint8 *p = (const guint8 *)k;
    return (guint)p[0] << 24 | (guint)p[1] << 16 | (guint)p[2] << 8 | p[3];
}

static gboolean infohash_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, 20) == 0;
}

static guint peer_hash(gconstpointer k)
{
    const disc_peer_key_t *p = (const disc_peer_key_t *)k;
    return add_address_to_hash(p->port, &p->addr);
}

static gboolean peer_equal(gconstpointer a, gconstpointer b)
{
    const disc_peer_key_t *x = (const disc_peer_key_t *)a, *y = (const disc_peer_key_t *)b;
    return x->port == y->port && addresses_equal(&x->addr, &y->addr);
}

static disc_entry_t *entry_new(guint32 frame, const char *source)
{
    disc_entry_t *e = wmem_new(wmem_file_scope(), disc_entry_t);
    e->frame = frame;
    e->source = source;
    return e;
}

static void record(guint32 frame, const char *source, const guint8 *info_hash,
                   const address *peer_addr, guint16 peer_port)
{
    if (info_hash && !wmem_map_lookup(disc_infohash, info_hash))
        wmem_map_insert(disc_infohash, wmem_memdup(wmem_file_scope(), info_hash, 20),
                        entry_new(frame, source));
    if (peer_addr && peer_addr->type != AT_NONE && peer_port) {
        disc_peer_key_t k, *nk;
        k.addr = *peer_addr;     /* shallow: only used for the lookup */
        k.port = peer_port;
        if (!wmem_map_lookup(disc_peer, &k)) {
            nk = wmem_new(wmem_file_scope(), disc_peer_key_t);
            copy_address_wmem(wmem_file_scope(), &nk->addr, peer_addr);
            nk->port = peer_port;
            wmem_map_insert(disc_peer, nk, entry_new(frame, source));
        }
    }
}

void bttracker_discovery_record(packet_info *pinfo, const char *source, const guint8 *info_hash,
                                const address *peer_addr, guint16 peer_port)
{
    if (PINFO_FD_VISITED(pinfo))
        return;
    record(pinfo->num, source, info_hash, peer_addr, peer_port);
}

static int disc_record_cb(tvbuff_t *tvb _U_, packet_info *pinfo, proto_tree *tree _U_, void *data)
{
    const bt_discovery_record_t *r = (const bt_discovery_record_t *)data;
    if (r && !PINFO_FD_VISITED(pinfo))
        record(r->frame, r->source, r->info_hash, r->peer_addr, r->peer_port);
    return 0;
}

static int disc_lookup_cb(tvbuff_t *tvb _U_, packet_info *pinfo _U_, proto_tree *tree _U_, void *data)
{
    bt_discovery_query_t *q = (bt_discovery_query_t *)data;
    const disc_entry_t *e;

    if (!q)
        return 0;
    if (q->info_hash) {
        e = (const disc_entry_t *)wmem_map_lookup(disc_infohash, q->info_hash);
        q->info_hash_frame = (e && e->frame < q->before_frame) ? e->frame : 0;
        q->info_hash_source = q->info_hash_frame ? e->source : NULL;
    }
    if (q->peer_addr && q->peer_addr->type != AT_NONE) {
        disc_peer_key_t k;
        k.addr = *q->peer_addr;
        k.port = q->peer_port;
        e = (const disc_entry_t *)wmem_map_lookup(disc_peer, &k);
        q->peer_frame = (e && e->frame < q->before_frame) ? e->frame : 0;
        q->peer_source = q->peer_frame ? e->source : NULL;
    }
    return 0;
}

void bttracker_discovery_register(void)
{
    disc_infohash = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                           infohash_hash, infohash_equal);
    disc_peer = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), peer_hash, peer_equal);
    register_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR, disc_lookup_cb, proto_bttracker);
    register_dissector(BT_DISCOVERY_RECORD_DISSECTOR, disc_record_cb, proto_bttracker);
}
