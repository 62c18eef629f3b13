/* btpeer-swarm.h
 * The swarm model (issue 10 item 5) shared by its two views: the text
 * reports for tshark (btpeer-swarm-text.c: -z btpeer_peers,tree and
 * -z btpeer_torrents,tree) and the GUI tables (btpeer-swarm-table.c:
 * Statistics > BitTorrent > Peers / Torrents, -z btpeer,peers and
 * -z btpeer,torrents).  btpeer-swarm.c owns it: it folds the "btpeer" tap
 * records (btpeer-tap.h) into per-connection, per-side and per-torrent
 * totals, in frame order, so one-pass tshark, two-pass tshark and a GUI
 * retap agree.  Each listener keeps its own model.
 */
#ifndef BTPEER_SWARM_H
#define BTPEER_SWARM_H

#include <epan/packet.h>
#include "btpeer-tap.h"

/* At most this many connections are followed; later ones are counted in
 * `dropped`.  100,000 rows is far beyond a readable report and bounds a
 * listener's memory (a few hundred bytes per connection plus bitmaps). */
#define SWARM_MAX_CONNS 100000u

/* One side of a connection: what it sent and said. */
typedef struct {
    char    *endpoint;           /* "ip:port" / "[ip6]:port" (g_malloc), or NULL  */
    char    *client;             /* from the peer id (g_malloc), or NULL         */
    char    *ext_v;              /* BEP 10 "v" (g_malloc), or NULL               */
    guint64  piece_bytes;        /* block data this side sent                    */
    guint    chokes, unchokes, cancels;
    gboolean interested;         /* sent Interested at least once                */
    guint    outstanding;        /* its requests not answered or cancelled yet   */
    guint    max_pipeline;
    gboolean have_all;
    guint8  *have;               /* bitmap of pieces it announced (g_malloc)     */
    guint32  have_bytes;         /* size of that bitmap                          */
    guint32  have_count;
    guint32  bits_len;           /* bits of its bitfield message, or 0           */
    guint32  verified, failed;
} swarm_side_t;

struct swarm_torrent;

typedef struct {
    const void  *key;
    guint        index;          /* 1-based, in order of first PDU                */
    gboolean     utp, mse, encrypted;
    int          first_dir;      /* the side whose PDU came first                 */
    int          initiator;      /* the side that sent the SYN, or -1             */
    const char  *found_by;       /* discovery source of the listener's endpoint
                                    (static BT_DISCOVERY_SOURCE_* string), or NULL */
    swarm_side_t side[2];
    gboolean     have_hash;      /* a handshake was seen: `hash` is its info hash */
    guint8       hash[BT_INFO_HASH_LEN];
    guint32      torrent_pieces; /* from metadata, once known (btpeer-tap.h)      */
    char        *torrent_name;
    guint64      torrent_size;
    struct swarm_torrent *torrent;   /* the torrent row it counts in             */
} swarm_conn_t;

/* One info hash: the sums of its connections. */
typedef struct swarm_torrent {
    char       *key;             /* hex info hash, or SWARM_NO_HASH (g_malloc)    */
    guint       index;           /* 1-based, in order of creation                 */
    guint       conns;
    GHashTable *peers;           /* endpoint string -> count of connection sides */
    guint64     bytes;
    guint32     verified, failed;
    char       *name;            /* from the first connection that knew it, or NULL */
    guint64     size;
    guint32     pieces;          /* 0: unknown                                    */
} swarm_torrent_t;

#define SWARM_NO_HASH "(no handshake seen)"

typedef struct {
    GHashTable *by_conn;         /* conn key -> swarm_conn_t *                    */
    GPtrArray  *conns;           /* swarm_conn_t *, in order of first PDU         */
    GHashTable *by_hash;         /* key -> swarm_torrent_t *                      */
    GPtrArray  *torrents;        /* swarm_torrent_t *, in order of creation       */
    guint       dropped;         /* connections past SWARM_MAX_CONNS              */
} swarm_t;

/* What one record changed: the connection (NULL: record ignored) and the
 * torrent rows it touched (old: the row the connection left, else NULL). */
typedef struct {
    swarm_conn_t    *conn;
    swarm_torrent_t *torrent, *old_torrent;
    gboolean         new_conn, new_torrent;
} swarm_change_t;

swarm_t *swarm_new(void);
void swarm_clear(swarm_t *sw);
void swarm_free(swarm_t *sw);
/* Folds one tap record in (frame order). */
swarm_change_t swarm_add(swarm_t *sw, packet_info *pinfo, const btpeer_tap_t *t);

/* Views' helpers (g_malloc'd strings unless said) */
const char *swarm_endpoint(const swarm_side_t *s);         /* "?" when unknown */
const char *swarm_client(const swarm_side_t *s);           /* "?" when unknown */
/* Transmission's letters for side p as the other side saw it (out: >= 16) */
void swarm_flags(const swarm_conn_t *c, int p, char out[16]);
char *swarm_have(const swarm_conn_t *c, const swarm_side_t *s);

#endif /* BTPEER_SWARM_H */
