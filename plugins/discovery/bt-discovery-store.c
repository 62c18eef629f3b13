/* bt-discovery-store.c
 * The discovery record store behind plugins/bt-discovery.h: which frame first
 * announced each infohash and each peer endpoint, fed by bttracker (BEP 15,
 * BEP 3 trackers) and btlsd (BEP 14 LSD), asked by btpeer and uTP.  Compiled
 * into each of our plugins that records or asks; one copy registers the
 * store, all reach it through its handles (see bt-discovery-store.h).
 *
 * Two registered dissectors, with no protocol of their own (they add nothing
 * to the tree and cannot be disabled apart from the plugins that call them),
 * share the store:
 *   BT_DISCOVERY_RECORD_DISSECTOR  data = bt_discovery_record_t *   (first pass)
 *   BT_DISCOVERY_LOOKUP_DISSECTOR  data = bt_discovery_query_t *
 * Both maps live in file scope (wmem autoreset): one capture file's
 * announcements never answer for another.  The first pass runs in frame
 * order, so the first record for a key is its lowest frame; a lookup answers
 * only when that frame is before the asking one, which gives the same answer
 * on every pass and in random access.  Each map is capped (see
 * BT_DISCOVERY_MAX_RECORDS).
 */
#include <string.h>

#include <epan/packet.h>
#include <epan/expert.h>
#include <epan/address.h>
#include <epan/address_types.h>
#include <wsutil/wmem/wmem.h>

#include "bt-discovery-store.h"
#include "bthash.h"
#include "btwire.h"
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

static guint64 disc_seed;          /* per-process hash seed */

/* The store's handles, whichever plugin's copy registered them. */
static dissector_handle_t disc_record_handle;
static dissector_handle_t disc_lookup_handle;


static guint32 disc_full_frame;     /* frame of the first refused record, 0: none */

/* Whole-key, seeded hashes (lib/btcommon/bthash.h): an infohash is what the
 * capture says it is, not necessarily SHA-1 output, so hashing only some of
 * its bytes lets a capture pile every key into one bucket. */
static guint infohash_hash(gconstpointer k)
{
    return bthash_bytes(k, BT_INFO_HASH_LEN, disc_seed);
}

static gboolean infohash_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, BT_INFO_HASH_LEN) == 0;
}

/* Not add_address_to_hash: its unseeded one-at-a-time steps can be
 * inverted to give many endpoints one hash. */
static guint peer_hash(gconstpointer k)
{
    const disc_peer_key_t *p = (const disc_peer_key_t *)k;
    guint64 s = bthash_start(disc_seed);
    s = bthash_update(s, &p->port, sizeof(p->port));
    s = bthash_update(s, &p->addr.type, sizeof(p->addr.type));
    return bthash_finish(bthash_update(s, p->addr.data, (size_t)MAX(p->addr.len, 0)));
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

/* TRUE when map may take one more key; else notes the frame. */
static gboolean has_room(wmem_map_t *map, guint32 frame)
{
    if (wmem_map_size(map) < BT_DISCOVERY_MAX_RECORDS)
        return TRUE;
    if (!disc_full_frame)
        disc_full_frame = frame;
    return FALSE;
}

static void record(guint32 frame, const char *source, const guint8 *info_hash,
                   const address *peer_addr, guint16 peer_port)
{
    if (info_hash && !wmem_map_lookup(disc_infohash, info_hash) && has_room(disc_infohash, frame))
        wmem_map_insert(disc_infohash, wmem_memdup(wmem_file_scope(), info_hash, BT_INFO_HASH_LEN),
                        entry_new(frame, source));
    if (peer_addr && peer_addr->type != AT_NONE && peer_port) {
        disc_peer_key_t k, *nk;
        k.addr = *peer_addr;     /* shallow: only used for the lookup */
        k.port = peer_port;
        if (!wmem_map_lookup(disc_peer, &k) && has_room(disc_peer, frame)) {
            nk = wmem_new(wmem_file_scope(), disc_peer_key_t);
            copy_address_wmem(wmem_file_scope(), &nk->addr, peer_addr);
            nk->port = peer_port;
            wmem_map_insert(disc_peer, nk, entry_new(frame, source));
        }
    }
}

static int disc_record_cb(tvbuff_t *tvb _U_, packet_info *pinfo, proto_tree *tree _U_, void *data)
{
    const bt_discovery_record_t *r = (const bt_discovery_record_t *)data;
    if (r && !PINFO_FD_VISITED(pinfo))
        record(r->frame, r->source, r->info_hash, r->peer_addr, r->peer_port);
    return disc_full_frame && pinfo->num == disc_full_frame;
}

static void disc_init(void)
{
    disc_full_frame = 0;
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

void bt_discovery_register(void)
{
    /* Plugins register one after the other, so the first caller is the
     * only one that finds no store. */
    if (find_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR))
        return;
    disc_seed = (guint64)g_random_int() << 32 | g_random_int();
    disc_infohash = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(),
                                           infohash_hash, infohash_equal);
    disc_peer = wmem_map_new_autoreset(wmem_epan_scope(), wmem_file_scope(), peer_hash, peer_equal);
    register_init_routine(disc_init);
    register_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR, disc_lookup_cb, -1);
    register_dissector(BT_DISCOVERY_RECORD_DISSECTOR, disc_record_cb, -1);
}

void bt_discovery_handoff(void)
{
    disc_record_handle = find_dissector(BT_DISCOVERY_RECORD_DISSECTOR);
    disc_lookup_handle = find_dissector(BT_DISCOVERY_LOOKUP_DISSECTOR);
}

gboolean bt_discovery_record(tvbuff_t *tvb, packet_info *pinfo, const char *source, const guint8 *info_hash,
                             const address *peer_addr, guint16 peer_port)
{
    bt_discovery_record_t r;

    if (!disc_record_handle)
        return FALSE;
    r.frame = pinfo->num;
    r.source = source;
    r.info_hash = info_hash;
    r.peer_addr = peer_addr;
    r.peer_port = peer_port;
    return call_dissector_only(disc_record_handle, tvb, pinfo, NULL, &r) != 0;
}

void bt_discovery_lookup(tvbuff_t *tvb, packet_info *pinfo, bt_discovery_query_t *q)
{
    q->info_hash_frame = q->peer_frame = 0;
    q->info_hash_source = q->peer_source = NULL;
    if (disc_lookup_handle)
        call_dissector_only(disc_lookup_handle, tvb, pinfo, NULL, q);
}
