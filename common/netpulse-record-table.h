/* netpulse-record-table.h — the connections that a subscription's frames
 * add up to, kept by id: the one way netpulsectl and the app apply a frame.
 *
 * A record flagged NETPULSE_RECORD_CLOSED is a connection's last: its
 * entry is marked closed and stays, with its final totals, until the
 * consumer removes it (netpulsectl after printing it once, the app after it
 * has faded out).  An id in a frame's `removed` closes its entry without a
 * final record.  Ids are never reused: a record for a closed entry is
 * ignored.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "netpulse-record-order.h"

G_BEGIN_DECLS

typedef struct {
  /* First, so that a pointer to the entry, or to its record, is one to
   * its keyed record (netpulsectl's rows rely on it). */
  NetpulseKeyedRecord keyed;
  gboolean            closed;
  gpointer            data;   /* the consumer's own (the app's connection), not freed */
} NetpulseRecordEntry;

/* What one apply did: entries borrowed from the table, in frame order. */
typedef struct {
  GPtrArray *added;     /* ids new to the table */
  GPtrArray *changed;   /* known ids with a new record */
  /* Entries that closed with this frame: by their final record (then also
   * in added or changed, and their record is flagged CLOSED) or without
   * one (an id in `removed`, or missing from a snapshot). */
  GPtrArray *closed;
} NetpulseRecordChanges;

void netpulse_record_changes_init  (NetpulseRecordChanges *changes);
void netpulse_record_changes_clear (NetpulseRecordChanges *changes);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NetpulseRecordChanges, netpulse_record_changes_clear)

#define NETPULSE_TYPE_RECORD_TABLE (netpulse_record_table_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseRecordTable, netpulse_record_table, NETPULSE, RECORD_TABLE, GObject)

NetpulseRecordTable *netpulse_record_table_new             (void);

guint                netpulse_record_table_get_size        (NetpulseRecordTable   *self);
NetpulseRecordEntry *netpulse_record_table_lookup          (NetpulseRecordTable   *self,
                                                            guint64                id);
/* The entries, in no particular order (a new array, entries borrowed). */
GPtrArray           *netpulse_record_table_get_entries     (NetpulseRecordTable   *self);

/* An update frame: @changed records are added or replace their entry (and
 * close it when flagged CLOSED), the ids in @removed close theirs.
 * @changes, if not NULL, is filled in (netpulse_record_changes_init()). */
void                 netpulse_record_table_apply_update    (NetpulseRecordTable   *self,
                                                            const NetpulseRecord  *changed,
                                                            guint                  n_changed,
                                                            const guint64         *removed,
                                                            guint                  n_removed,
                                                            NetpulseRecordChanges *changes);
/* A snapshot: @records are the whole table; open entries not among them
 * have closed. */
void                 netpulse_record_table_apply_snapshot  (NetpulseRecordTable   *self,
                                                            const NetpulseRecord  *records,
                                                            guint                  n_records,
                                                            NetpulseRecordChanges *changes);

void                 netpulse_record_table_remove          (NetpulseRecordTable   *self,
                                                            guint64                id);
/* Removes every closed entry; returns how many. */
guint                netpulse_record_table_remove_closed   (NetpulseRecordTable   *self);
void                 netpulse_record_table_remove_all      (NetpulseRecordTable   *self);

G_END_DECLS
