/* netpulse-replay-source.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-replay"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "netpulse-replay-source.h"

/* Bounds for playing at the recording's own pace. */
#define MIN_PACE_MS 10
#define MAX_PACE_MS 5000

/* A recording holds a tick's records packed (pack_record()): as
 * NetpulseRecords, with their fixed text arrays, 10,000 connections × 12
 * ticks took 130 MB; packed, 30 MB.  The packed ticks go to an unlinked
 * temporary file, read back one at a time when played (the page cache
 * holds them, not the app: the replay stands for the helper, whose
 * messages the app does not keep either), and each tick is unpacked into
 * one array that every tick reuses.  Without a temporary file they stay
 * in memory. */
typedef struct {
  guint64  timestamp_ns;
  GByteArray *packed; /* the tick's records, packed; NULL once spilled */
  goffset  offset;    /* spilled: where in the file, and how long */
  gsize    length;
  guint    n_records;
  GArray  *removed;   /* guint64, empty: a recording has every closed connection's final record */
  GVariant *counters; /* a{st} from a warning line before the tick, or NULL */
} Tick;

struct _NetpulseReplaySource
{
  NetpulseSource  parent_instance;

  char           *path;
  guint           fixed_interval_ms;
  GPtrArray      *ticks;       /* Tick*, NULL until loaded */
  GArray         *unpacked;    /* NetpulseRecord: the tick being played */
  int             spill_fd;    /* packed ticks, or -1 */
  goffset         spill_end;
  GByteArray     *read_back;   /* the tick being played, read from spill_fd */
  guint           next;
  guint           timeout_id;
};

G_DEFINE_FINAL_TYPE (NetpulseReplaySource, netpulse_replay_source, NETPULSE_TYPE_SOURCE)

/* Numbers as they are, text up to its end: the field order of
 * netpulse-record-fields.h. */
#define PACK_NUMBER(name)  g_byte_array_append (out, (const guint8 *) &r->name, sizeof r->name);
#define PACK_STRING(name)  g_byte_array_append (out, (const guint8 *) r->name, \
                                                strnlen (r->name, sizeof r->name - 1)); \
                           g_byte_array_append (out, (const guint8 *) "", 1);
#define PACK_U64(name)     PACK_NUMBER (name)
#define PACK_U32(name)     PACK_NUMBER (name)
#define PACK_U16(name)     PACK_NUMBER (name)
#define PACK_U8(name)      PACK_NUMBER (name)
#define PACK_DOUBLE(name)  PACK_NUMBER (name)
#define PACK_PROTO(name)   PACK_NUMBER (name)
#define PACK_STATE(name)   PACK_NUMBER (name)
#define PACK_FLAGS(name)   PACK_NUMBER (name)
#define PACK_APPKIND(name) PACK_NUMBER (name)
#define PACK_COMM(name)    PACK_STRING (name)
#define PACK_ADDR(name)    PACK_STRING (name)
#define PACK_TEXT(name)    PACK_STRING (name)
#define PACK(kind, name, max) PACK_##kind (name)

static void
pack_record (GByteArray           *out,
             const NetpulseRecord *r)
{
  NETPULSE_RECORD_FIELDS (PACK)
}

#define UNPACK_NUMBER(name)  memcpy (&r->name, p, sizeof r->name); p += sizeof r->name;
/* pack_record() wrote at most sizeof - 1 bytes and the NUL. */
#define UNPACK_STRING(name)  n = strlen ((const char *) p) + 1; memcpy (r->name, p, n); p += n;
#define UNPACK_U64(name)     UNPACK_NUMBER (name)
#define UNPACK_U32(name)     UNPACK_NUMBER (name)
#define UNPACK_U16(name)     UNPACK_NUMBER (name)
#define UNPACK_U8(name)      UNPACK_NUMBER (name)
#define UNPACK_DOUBLE(name)  UNPACK_NUMBER (name)
#define UNPACK_PROTO(name)   UNPACK_NUMBER (name)
#define UNPACK_STATE(name)   UNPACK_NUMBER (name)
#define UNPACK_FLAGS(name)   UNPACK_NUMBER (name)
#define UNPACK_APPKIND(name) UNPACK_NUMBER (name)
#define UNPACK_COMM(name)    UNPACK_STRING (name)
#define UNPACK_ADDR(name)    UNPACK_STRING (name)
#define UNPACK_TEXT(name)    UNPACK_STRING (name)
#define UNPACK(kind, name, max) UNPACK_##kind (name)

/* The record at @p, which it returns moved past it. */
static const guint8 *
unpack_record (NetpulseRecord *r,
               const guint8   *p)
{
  gsize n;

  /* Every field is written; what lies past a text's end is left from the
   * tick before (text fields are read up to their end only). */
  NETPULSE_RECORD_FIELDS (UNPACK)
  return p;
}

/* Moves @tick's packed records to the end of the spill file. */
static void
spill_tick (NetpulseReplaySource *self,
            Tick                 *tick)
{
  gsize done = 0;

  if (self->spill_fd < 0 || tick->packed == NULL)
    return;
  while (done < tick->packed->len)
    {
      gssize n = pwrite (self->spill_fd, tick->packed->data + done, tick->packed->len - done,
                         self->spill_end + (goffset) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;   /* a full /tmp: this tick stays in memory */
      done += (gsize) n;
    }
  tick->offset = self->spill_end;
  tick->length = tick->packed->len;
  self->spill_end += (goffset) tick->packed->len;
  g_clear_pointer (&tick->packed, g_byte_array_unref);
}

/* NULL with @error set when the spill file cannot be read back. */
static const guint8 *
packed_records (NetpulseReplaySource *self,
                const Tick           *tick,
                GError              **error)
{
  gsize done = 0;

  if (tick->packed != NULL)
    return tick->packed->data;
  g_byte_array_set_size (self->read_back, (guint) tick->length);
  while (done < tick->length)
    {
      gssize n = pread (self->spill_fd, self->read_back->data + done, tick->length - done,
                        tick->offset + (goffset) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, NETPULSE_SOURCE_ERROR, NETPULSE_SOURCE_ERROR_BAD_INPUT,
                       _("Could not read the recording back from its temporary file: %s"),
                       n < 0 ? g_strerror (errno) : _("it is shorter than written"));
          return NULL;
        }
      done += (gsize) n;
    }
  return self->read_back->data;
}

static GArray *
unpack_tick (NetpulseReplaySource *self,
             const Tick           *tick,
             GError              **error)
{
  const guint8 *p = packed_records (self, tick, error);

  if (p == NULL)
    return NULL;

  g_array_set_size (self->unpacked, tick->n_records);
  for (guint i = 0; i < tick->n_records; i++)
    p = unpack_record (&g_array_index (self->unpacked, NetpulseRecord, i), p);
  return self->unpacked;
}

static void
tick_free (gpointer data)
{
  Tick *tick = data;

  g_clear_pointer (&tick->packed, g_byte_array_unref);
  g_array_unref (tick->removed);
  g_clear_pointer (&tick->counters, g_variant_unref);
  g_free (tick);
}

static Tick *
tick_new (guint64 timestamp_ns)
{
  Tick *tick = g_new0 (Tick, 1);

  tick->timestamp_ns = timestamp_ns;
  tick->packed = g_byte_array_new ();
  tick->removed = g_array_new (FALSE, FALSE, sizeof (guint64));
  return tick;
}

static void
netpulse_replay_source_stop (NetpulseSource *source)
{
  NetpulseReplaySource *self = NETPULSE_REPLAY_SOURCE (source);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
}

static guint
delay_after (NetpulseReplaySource *self,
             guint                 index)
{
  Tick *now, *next;
  guint64 delta_ms;

  if (self->fixed_interval_ms > 0 || index + 1 >= self->ticks->len)
    return self->fixed_interval_ms > 0 ? self->fixed_interval_ms : 200;

  now = g_ptr_array_index (self->ticks, index);
  next = g_ptr_array_index (self->ticks, index + 1);
  delta_ms = next->timestamp_ns > now->timestamp_ns
             ? (next->timestamp_ns - now->timestamp_ns) / 1000000 : 0;
  return CLAMP (delta_ms, MIN_PACE_MS, MAX_PACE_MS);
}

static gboolean
on_timeout (gpointer user_data)
{
  NetpulseReplaySource *self = user_data;
  guint played = self->next;

  self->timeout_id = 0;
  if (!netpulse_replay_source_step (self))
    return G_SOURCE_REMOVE;
  if (self->next < self->ticks->len)
    self->timeout_id = g_timeout_add (delay_after (self, played), on_timeout, self);
  return G_SOURCE_REMOVE;
}

static void
netpulse_replay_source_start (NetpulseSource *source)
{
  NetpulseReplaySource *self = NETPULSE_REPLAY_SOURCE (source);
  g_autoptr(GError) error = NULL;

  netpulse_replay_source_stop (source);
  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_CONNECTING, NULL);

  if (self->ticks == NULL && !netpulse_replay_source_load (self, &error))
    {
      netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_FAILED, error);
      return;
    }

  self->next = 0;
  if (self->ticks->len == 0)
    {
      netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_FINISHED, NULL);
      return;
    }
  netpulse_source_set_state (source, NETPULSE_SOURCE_STATE_RUNNING, NULL);
  /* The first tick is a snapshot of what was there when recording began.
   * It comes from the main loop once the window has drawn, as the
   * helper's first answer does: not inside the window's construction. */
  self->timeout_id = g_idle_add (on_timeout, self);
}

static void
netpulse_replay_source_finalize (GObject *object)
{
  NetpulseReplaySource *self = NETPULSE_REPLAY_SOURCE (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_pointer (&self->ticks, g_ptr_array_unref);
  g_clear_pointer (&self->unpacked, g_array_unref);
  g_clear_pointer (&self->read_back, g_byte_array_unref);
  if (self->spill_fd >= 0)
    close (self->spill_fd);
  g_free (self->path);

  G_OBJECT_CLASS (netpulse_replay_source_parent_class)->finalize (object);
}

static void
netpulse_replay_source_class_init (NetpulseReplaySourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NetpulseSourceClass *source_class = NETPULSE_SOURCE_CLASS (klass);

  object_class->finalize = netpulse_replay_source_finalize;
  source_class->start = netpulse_replay_source_start;
  source_class->stop = netpulse_replay_source_stop;
}

static void
netpulse_replay_source_init (NetpulseReplaySource *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  self->unpacked = g_array_new (FALSE, TRUE, sizeof (NetpulseRecord));
  self->read_back = g_byte_array_new ();
  self->spill_fd = g_file_open_tmp ("netpulse-replay-XXXXXX", &path, &error);
  if (self->spill_fd >= 0)
    unlink (path);
  else
    g_debug ("The recording stays in memory: %s", error->message);
}

NetpulseSource *
netpulse_replay_source_new (const char *path,
                            guint       interval_ms)
{
  NetpulseReplaySource *self = g_object_new (NETPULSE_TYPE_REPLAY_SOURCE, NULL);

  self->path = g_strdup (path);
  self->fixed_interval_ms = interval_ms;
  /* Recorded pids are not this machine's processes. */
  netpulse_source_set_live (NETPULSE_SOURCE (self), FALSE);
  return NETPULSE_SOURCE (self);
}

gboolean
netpulse_replay_source_load (NetpulseReplaySource *self,
                             GError              **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (NETPULSE_IS_REPLAY_SOURCE (self), FALSE);

  if (self->path == NULL || !g_file_get_contents (self->path, &contents, NULL, &local_error))
    {
      g_set_error (error, NETPULSE_SOURCE_ERROR, NETPULSE_SOURCE_ERROR_BAD_INPUT,
                   _("Could not read the recording: %s"),
                   local_error != NULL ? local_error->message : _("no file given"));
      return FALSE;
    }
  return netpulse_replay_source_load_data (self, contents, self->path, error);
}

/* A line `netpulsectl monitor --json` prints when the helper could not
 * track everything: {"type":"warning","flow_overflow":N,"peers_aggregated":M,…}.
 * Returns its counters (a{st}, floating), or NULL if @line is not one. */
static GVariant *
parse_warning_line (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  GVariantBuilder builder;

  if (strstr (line, "\"type\"") == NULL || !json_parser_load_from_data (parser, line, -1, NULL))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (json_object_get_string_member_with_default (object, "type", ""), "warning") != 0)
    return NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&builder, "{st}", "flow-overflow",
                         (guint64) MAX (json_object_get_int_member_with_default (object, "flow_overflow", 0), 0));
  g_variant_builder_add (&builder, "{st}", "peers-aggregated",
                         (guint64) MAX (json_object_get_int_member_with_default (object, "peers_aggregated", 0), 0));
  return g_variant_builder_end (&builder);
}

gboolean
netpulse_replay_source_load_data (NetpulseReplaySource *self,
                                  const char           *contents,
                                  const char           *name,
                                  GError              **error)
{
  g_autoptr(GPtrArray) ticks = g_ptr_array_new_with_free_func (tick_free);
  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autoptr(GVariant) pending_counters = NULL;
  Tick *tick = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      NetpulseRecord record;
      GVariant *counters;
      guint64 ts = 0;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      /* Applies from the records that follow it. */
      if ((counters = parse_warning_line (lines[i])) != NULL)
        {
          g_clear_pointer (&pending_counters, g_variant_unref);
          pending_counters = g_variant_ref_sink (counters);
          continue;
        }
      if (!netpulse_record_parse_json (&record, lines[i], &ts, &local_error))
        {
          g_set_error (error, NETPULSE_SOURCE_ERROR, NETPULSE_SOURCE_ERROR_BAD_INPUT,
                       _("%s, line %u: not a connection record: %s"),
                       name, i + 1, local_error->message);
          return FALSE;
        }
      if (tick == NULL || tick->timestamp_ns != ts)
        {
          if (tick != NULL)
            spill_tick (self, tick);
          tick = tick_new (ts);
          tick->counters = g_steal_pointer (&pending_counters);
          g_ptr_array_add (ticks, tick);
        }
      pack_record (tick->packed, &record);
      tick->n_records++;
    }

  if (pending_counters != NULL && tick != NULL && tick->counters == NULL)
    tick->counters = g_steal_pointer (&pending_counters);
  if (tick != NULL)
    spill_tick (self, tick);

  g_clear_pointer (&self->ticks, g_ptr_array_unref);
  self->ticks = g_steal_pointer (&ticks);
  self->next = 0;
  return TRUE;
}

guint
netpulse_replay_source_get_n_ticks (NetpulseReplaySource *self)
{
  return self->ticks != NULL ? self->ticks->len : 0;
}

gboolean
netpulse_replay_source_step (NetpulseReplaySource *self)
{
  g_autoptr(GError) error = NULL;
  GArray *records;
  Tick *tick;

  g_return_val_if_fail (NETPULSE_IS_REPLAY_SOURCE (self), FALSE);

  if (self->ticks == NULL || self->next >= self->ticks->len)
    return FALSE;

  tick = g_ptr_array_index (self->ticks, self->next++);
  records = unpack_tick (self, tick, &error);
  if (records == NULL)
    {
      self->next = self->ticks->len;
      netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_FAILED, error);
      return FALSE;
    }
  if (tick->counters != NULL)
    netpulse_source_set_counters (NETPULSE_SOURCE (self), tick->counters);
  netpulse_source_emit_update (NETPULSE_SOURCE (self), tick->timestamp_ns, records, tick->removed);
  if (self->next == self->ticks->len)
    netpulse_source_set_state (NETPULSE_SOURCE (self), NETPULSE_SOURCE_STATE_FINISHED, NULL);
  return TRUE;
}
