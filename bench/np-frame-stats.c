/* np-frame-stats.c — frame and update timings of a GTK 4 app, from outside.
 *
 * GTK only prints frame timings (GDK_DEBUG=frames) when it was built with
 * G_ENABLE_DEBUG, which distributions do not do.  This small library, put
 * in LD_PRELOAD with NP_FRAME_STATS=PATH set, adds signal emission hooks:
 *
 *   on GdkFrameClock "before-paint", "layout", "paint", "after-paint":
 *     one line per frame
 *       F <start_us> <total_us> <layout_us> <paint_us> <cpu_us> <frame_time_us> <fps>
 *     start = monotonic time of before-paint, total = up to after-paint
 *     (update + layout + paint phases), cpu = process CPU time over the
 *     same span, frame_time = gdk_frame_clock_get_frame_time(), fps =
 *     gdk_frame_clock_get_fps() (GTK's own GdkFrameTimings average).
 *   on NetpulseSource "update" (the app's data source; hooked as soon as
 *     the type exists, which is before the window starts it; another type
 *     with NP_FRAME_STATS_SOURCE=TYPE, as bench/np-gtk-floor.c's):
 *     U <t_us> <process_cpu_us> <n_changed> <n_removed>
 *     so that the CPU spent between two updates is the cost of one update
 *     (applying it to the models and drawing the frames it causes).
 *
 * Times are CLOCK_MONOTONIC and CLOCK_PROCESS_CPUTIME_ID in microseconds.
 * Nothing of the app is changed; without NP_FRAME_STATS the library does
 * nothing.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <gtk/gtk.h>
#include <stdio.h>
#include <time.h>

typedef struct {
  FILE   *out;
  gint64  before_us;
  gint64  layout_us;
  gint64  paint_us;
  gint64  before_cpu_us;
  gulong  update_hook;
} Stats;

static Stats stats;

static gint64
clock_us (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_update (GSignalInvocationHint *hint,
           guint                  n_params,
           const GValue          *params,
           gpointer               user_data)
{
  GArray *changed = n_params > 2 ? g_value_get_boxed (&params[2]) : NULL;
  GArray *removed = n_params > 3 ? g_value_get_boxed (&params[3]) : NULL;

  fprintf (stats.out, "U %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u %u\n",
           clock_us (CLOCK_MONOTONIC), clock_us (CLOCK_PROCESS_CPUTIME_ID),
           changed != NULL ? changed->len : 0, removed != NULL ? removed->len : 0);
  fflush (stats.out);
  return TRUE;
}

/* NetpulseSource lives in the app's executable and is registered when the
 * app creates its source.  The window is created right after and starts
 * the source (older builds had its first update before any frame): the
 * hook goes in when the next class with an interface is initialized (the
 * window's own, its list models'), see np_frame_stats_init(). */
static void
hook_source_updates (void)
{
  const char *name = g_getenv ("NP_FRAME_STATS_SOURCE");
  GType type;
  guint signal_id;

  if (stats.update_hook != 0)
    return;
  type = g_type_from_name (name != NULL && name[0] != '\0' ? name : "NetpulseSource");
  if (type == 0 || g_type_class_peek (type) == NULL)
    return;
  signal_id = g_signal_lookup ("update", type);
  if (signal_id != 0)
    stats.update_hook = g_signal_add_emission_hook (signal_id, 0, on_update, NULL, NULL);
}

static gboolean
on_before_paint (GSignalInvocationHint *hint,
                 guint                  n_params,
                 const GValue          *params,
                 gpointer               user_data)
{
  stats.before_us = clock_us (CLOCK_MONOTONIC);
  stats.before_cpu_us = clock_us (CLOCK_PROCESS_CPUTIME_ID);
  stats.layout_us = stats.paint_us = 0;
  hook_source_updates ();
  return TRUE;
}

static gboolean
on_layout (GSignalInvocationHint *hint,
           guint                  n_params,
           const GValue          *params,
           gpointer               user_data)
{
  stats.layout_us = clock_us (CLOCK_MONOTONIC);
  return TRUE;
}

static gboolean
on_paint (GSignalInvocationHint *hint,
          guint                  n_params,
          const GValue          *params,
          gpointer               user_data)
{
  stats.paint_us = clock_us (CLOCK_MONOTONIC);
  return TRUE;
}

static gboolean
on_after_paint (GSignalInvocationHint *hint,
                guint                  n_params,
                const GValue          *params,
                gpointer               user_data)
{
  GdkFrameClock *clock = g_value_get_object (&params[0]);
  gint64 now = clock_us (CLOCK_MONOTONIC);
  gint64 cpu = clock_us (CLOCK_PROCESS_CPUTIME_ID);

  if (stats.before_us == 0)
    return TRUE;
  fprintf (stats.out, "F %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
           " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %.2f\n",
           stats.before_us, now - stats.before_us,
           stats.layout_us != 0 && stats.paint_us != 0 ? stats.paint_us - stats.layout_us : 0,
           stats.paint_us != 0 ? now - stats.paint_us : 0,
           cpu - stats.before_cpu_us,
           gdk_frame_clock_get_frame_time (clock),
           gdk_frame_clock_get_fps (clock));
  fflush (stats.out);
  stats.before_us = 0;
  return TRUE;
}

static void
on_interface_initialized (gpointer check_data,
                          gpointer g_iface)
{
  hook_source_updates ();
}

static void
add_hook (GType               type,
          const char         *name,
          GSignalEmissionHook hook)
{
  guint signal_id = g_signal_lookup (name, type);

  if (signal_id != 0)
    g_signal_add_emission_hook (signal_id, 0, hook, NULL, NULL);
  else
    g_printerr ("np-frame-stats: no signal %s\n", name);
}

__attribute__((constructor)) static void
np_frame_stats_init (void)
{
  const char *path = g_getenv ("NP_FRAME_STATS");
  GType type;

  if (path == NULL || path[0] == '\0')
    return;
  stats.out = fopen (path, "w");
  if (stats.out == NULL)
    {
      g_printerr ("np-frame-stats: cannot write %s\n", path);
      return;
    }

  /* Signals exist once the class is initialized; keep it so. */
  type = GDK_TYPE_FRAME_CLOCK;
  g_type_class_ref (type);
  add_hook (type, "before-paint", on_before_paint);
  add_hook (type, "layout", on_layout);
  add_hook (type, "paint", on_paint);
  add_hook (type, "after-paint", on_after_paint);
  g_type_add_interface_check (NULL, on_interface_initialized);
}
