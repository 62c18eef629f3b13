/* tracker.h
 * Numbers both tracker transports share.  BEP 15 (UDP) gives actions and
 * announce events as integers; BEP 3 (HTTP) spells the same announce and
 * scrape requests as paths (/announce, /scrape, BEP 48) and the same events
 * as strings ("started", "completed", "stopped", absent = none).  Both halves
 * of the bttracker plugin describe a request with these values so one record
 * and one value table serve both.  Pure C, no epan.
 */
#ifndef BTCOMMON_TRACKER_H
#define BTCOMMON_TRACKER_H

/* Actions (BEP 15 numbers; HTTP has announce and scrape only). */
#define BT_TRACKER_ACTION_CONNECT  0
#define BT_TRACKER_ACTION_ANNOUNCE 1
#define BT_TRACKER_ACTION_SCRAPE   2
#define BT_TRACKER_ACTION_ERROR    3

/* Announce events (BEP 15 numbers). */
#define BT_TRACKER_EVENT_NONE      0
#define BT_TRACKER_EVENT_COMPLETED 1
#define BT_TRACKER_EVENT_STARTED   2
#define BT_TRACKER_EVENT_STOPPED   3

#endif /* BTCOMMON_TRACKER_H */
