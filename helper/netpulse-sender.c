/* netpulse-sender.c — turns a tick's changes into frames on the
 * subscribers' streams.
 *
 * Serialising a frame of thousands of records is the most expensive step
 * of a tick, so it happens in one worker thread (FIFO: frames keep their
 * order), from records the main context copied out of the collector
 * (NetpulseChanges, shared by every subscriber at the same generation).
 * The finished frames come back to the main context, which hands each to
 * its subscriber's NetpulseStream; that never blocks.
 *
 * Coalescing: a subscriber holds at most one frame (being built or being
 * written).  An interval that comes due meanwhile is skipped, and the next
 * frame carries every change since the last one built, so nothing is lost
 * and sequence numbers stay contiguous.  Only the intervals skipped because
 * the subscriber's stream had no room count towards the slow-reader rule:
 * a slow build is the helper's fault, not the reader's.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-sender"

#include "config.h"

#include "netpulse-frame.h"
#include "netpulse-sender.h"

struct _NetpulseSender
{
  GObject       parent_instance;

  GMainContext *main_context;
  GThreadPool  *pool;
  char         *instance_id;      /* in every frame's extra */
};

G_DEFINE_FINAL_TYPE (NetpulseSender, netpulse_sender, G_TYPE_OBJECT)

typedef struct
{
  NetpulseSubscription *subscription;
  NetpulseChanges      *changes;
  guint64               sequence;
  guint64               timestamp_ns;
  guint32               flags;
  GPtrArray            *pieces;         /* GBytes, built in the worker */
} Frame;

static void
frame_free (gpointer data)
{
  Frame *frame = data;

  g_object_unref (frame->subscription);
  netpulse_changes_unref (frame->changes);
  g_clear_pointer (&frame->pieces, g_ptr_array_unref);
  g_free (frame);
}

typedef struct
{
  NetpulseSender *self;
  GPtrArray      *frames;     /* Frame */
} Job;

static void
job_free (Job *job)
{
  g_object_unref (job->self);
  g_ptr_array_unref (job->frames);
  g_free (job);
}

/* Main context: the frames are ready.  A subscription that ended meanwhile
 * has a closed stream, which drops the frame. */
static gboolean
job_done_cb (gpointer user_data)
{
  Job *job = user_data;

  for (guint i = 0; i < job->frames->len; i++)
    {
      Frame *frame = g_ptr_array_index (job->frames, i);
      NetpulseStream *stream = netpulse_subscription_get_stream (frame->subscription);

      netpulse_subscription_set_building (frame->subscription, FALSE);
      if (!netpulse_stream_is_closed (stream))
        netpulse_stream_send (stream, frame->pieces);
    }

  job_free (job);
  return G_SOURCE_REMOVE;
}

/* In the worker thread.  A NetpulseChanges is only touched here while its
 * job is on its way (GVariant and GBytes are thread-safe). */
static void
job_run (gpointer data,
         gpointer user_data)
{
  Job *job = data;
  g_autoptr(GSource) source = g_idle_source_new ();

  for (guint i = 0; i < job->frames->len; i++)
    {
      Frame *frame = g_ptr_array_index (job->frames, i);

      frame->pieces = netpulse_changes_build_frame (frame->changes, frame->sequence,
                                                    frame->timestamp_ns, frame->flags,
                                                    job->self->instance_id);
    }

  /* Not g_main_context_invoke(): with nobody iterating the main context
   * (shutting down) it would run the callback here.  Ahead of method
   * calls: GDBus dispatches those at G_PRIORITY_DEFAULT, so at an idle
   * priority a flood of calls (from anyone, authorized or not) kept the
   * frame in hand, and the next tick skipped the subscriber's interval. */
  g_source_set_priority (source, NETPULSE_SENDER_PRIORITY);
  g_source_set_callback (source, job_done_cb, job, NULL);
  g_source_attach (source, job->self->main_context);
}

static Frame *
frame_new (NetpulseSubscription *subscription,
           NetpulseCollector    *collector,
           NetpulseChanges      *changes,
           gint64                now_us)
{
  Frame *frame = g_new0 (Frame, 1);

  frame->subscription = g_object_ref (subscription);
  frame->sequence = netpulse_subscription_advance (subscription, collector, now_us, &frame->flags);
  frame->timestamp_ns = netpulse_collector_get_timestamp (collector);
  frame->changes = netpulse_changes_ref (changes);
  netpulse_subscription_set_building (subscription, TRUE);
  return frame;
}

static void
push (NetpulseSender *self,
      GPtrArray      *frames)
{
  Job *job;

  /* Shut down (the helper is exiting): nothing more is built. */
  if (self->pool == NULL)
    {
      for (guint i = 0; i < frames->len; i++)
        netpulse_subscription_set_building (((Frame *) g_ptr_array_index (frames, i))->subscription,
                                            FALSE);
      return;
    }

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->frames = g_ptr_array_ref (frames);
  g_thread_pool_push (self->pool, job, NULL);
}

/* Whether to skip @subscription's interval, and whether that broke the
 * slow-reader rule (*@too_slow). */
static gboolean
skip (NetpulseSubscription *subscription,
      gint64                now_us,
      gboolean             *too_slow)
{
  gint64 since_us;
  guint skipped;

  *too_slow = FALSE;
  if (!netpulse_subscription_is_busy (subscription))
    return FALSE;

  if (!netpulse_stream_is_busy (netpulse_subscription_get_stream (subscription)))
    {
      g_debug ("%s: its frame is still being built, skipping an interval",
               netpulse_subscription_get_object_path (subscription));
      return TRUE;
    }

  skipped = netpulse_subscription_skip (subscription, now_us, &since_us);
  g_debug ("%s: no room on its stream, %u interval(s) skipped",
           netpulse_subscription_get_object_path (subscription), skipped);
  *too_slow = skipped >= NETPULSE_SENDER_MAX_SKIPPED &&
              now_us - since_us >= NETPULSE_SENDER_MAX_SKIPPED_US;
  return TRUE;
}

/* Subscriptions in step (the same generation and smoothing window) share
 * one set of changes; a SNAPSHOT is everything (generation 0). */
static NetpulseChanges *
changes_for (GHashTable        *changes_since,
             NetpulseCollector *collector,
             guint64            generation,
             guint              window_ms)
{
  g_autofree char *key = g_strdup_printf ("%" G_GUINT64_FORMAT " %u", generation, window_ms);
  NetpulseChanges *changes = g_hash_table_lookup (changes_since, key);

  if (changes == NULL)
    {
      changes = netpulse_changes_collect (collector, generation, window_ms);
      g_hash_table_insert (changes_since, g_steal_pointer (&key), changes);
    }
  return changes;
}

GPtrArray *
netpulse_sender_send_due (NetpulseSender    *self,
                          NetpulseCollector *collector,
                          GPtrArray         *subscriptions,
                          gint64             now_us)
{
  g_autoptr(GHashTable) changes_since =
    g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                           (GDestroyNotify) netpulse_changes_unref);
  g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func (frame_free);
  GPtrArray *too_slow = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (NETPULSE_IS_SENDER (self), too_slow);

  for (guint i = 0; i < subscriptions->len; i++)
    {
      NetpulseSubscription *subscription = g_ptr_array_index (subscriptions, i);
      gboolean slow = FALSE;
      guint64 generation;

      if (!netpulse_subscription_is_due (subscription, now_us, 10 * G_TIME_SPAN_MILLISECOND))
        continue;

      if (skip (subscription, now_us, &slow))
        {
          if (slow)
            g_ptr_array_add (too_slow, g_object_ref (subscription));
          continue;
        }

      generation = netpulse_subscription_wants_snapshot (subscription)
                     ? 0 : netpulse_subscription_get_generation (subscription);
      g_ptr_array_add (frames, frame_new (subscription, collector,
                                          changes_for (changes_since, collector, generation,
                                                       netpulse_subscription_get_window_ms (subscription)),
                                          now_us));
    }

  if (frames->len > 0)
    push (self, frames);
  return too_slow;
}

void
netpulse_sender_send_first (NetpulseSender       *self,
                            NetpulseCollector    *collector,
                            NetpulseSubscription *subscription)
{
  g_autoptr(NetpulseChanges) changes = NULL;
  g_autoptr(GPtrArray) frames = g_ptr_array_new_with_free_func (frame_free);

  g_return_if_fail (NETPULSE_IS_SENDER (self));

  changes = netpulse_changes_collect (collector, 0, netpulse_subscription_get_window_ms (subscription));
  g_ptr_array_add (frames, frame_new (subscription, collector, changes, g_get_monotonic_time ()));
  push (self, frames);
}

void
netpulse_sender_shutdown (NetpulseSender *self)
{
  g_return_if_fail (NETPULSE_IS_SENDER (self));

  if (self->pool != NULL)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
}

static void
netpulse_sender_finalize (GObject *object)
{
  NetpulseSender *self = NETPULSE_SENDER (object);

  netpulse_sender_shutdown (self);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->instance_id, g_free);

  G_OBJECT_CLASS (netpulse_sender_parent_class)->finalize (object);
}

static void
netpulse_sender_class_init (NetpulseSenderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = netpulse_sender_finalize;
}

static void
netpulse_sender_init (NetpulseSender *self)
{
  self->main_context = g_main_context_ref_thread_default ();
  self->pool = g_thread_pool_new (job_run, NULL, 1, FALSE, NULL);
}

NetpulseSender *
netpulse_sender_new (const char *instance_id)
{
  NetpulseSender *self;

  g_return_val_if_fail (instance_id != NULL, NULL);

  self = g_object_new (NETPULSE_TYPE_SENDER, NULL);
  self->instance_id = g_strdup (instance_id);
  return self;
}
