/* netpulse-app-identity.c
 *
 * Reads what /proc says about a process and keeps it while the process
 * lives: a flow relearns its pid often (each new connection of a busy
 * server), and exe, command line and cgroup do not change under a pid
 * that keeps its start time (an exec() keeps both; we accept that the
 * name then lags until a new process takes over the flow).
 *
 * Runs in the sandboxed helper: the exe link of another user's process is
 * a ptrace access check (CAP_SYS_PTRACE, kept for this and for
 * netpulse-proc-owners.c); cmdline, stat and cgroup are readable by all.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-collector"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "netpulse-app-id.h"
#include "netpulse-app-identity.h"
#include "netpulse-cgroup-paths.h"

/* An entry nobody asked for in this long is dropped (its process has
 * most likely exited; if not, it is read again). */
#define ENTRY_MAX_IDLE_US  (60 * G_USEC_PER_SEC)
#define SWEEP_INTERVAL_US  (30 * G_USEC_PER_SEC)

typedef struct {
  guint64        start_time;
  gint64         last_used_us;
  char          *exe;
  char          *cmdline;
  NetpulseAppId  id;
} Entry;

struct _NetpulseAppIdentity
{
  char       *proc_root;
  guint       max_entries;
  GHashTable *entries;           /* pid → Entry */
  gint64      last_sweep_us;
  NetpulseCgroupPaths *cgroups;  /* names the cgroup of processes gone; NULL: none */
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->exe);
  g_free (entry->cmdline);
  g_free (entry);
}

NetpulseAppIdentity *
netpulse_app_identity_new (const char *proc_root,
                           guint       max_entries)
{
  NetpulseAppIdentity *self = g_new0 (NetpulseAppIdentity, 1);

  g_assert (proc_root != NULL);
  g_assert (max_entries > 0);

  self->proc_root = g_strdup (proc_root);
  self->max_entries = max_entries;
  self->entries = g_hash_table_new_full (NULL, NULL, NULL, entry_free);
  self->last_sweep_us = g_get_monotonic_time ();
  return self;
}

void
netpulse_app_identity_free (NetpulseAppIdentity *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->entries);
  netpulse_cgroup_paths_free (self->cgroups);
  g_free (self->proc_root);
  g_free (self);
}

void
netpulse_app_identity_set_cgroup_mount (NetpulseAppIdentity *self,
                                        const char          *mount)
{
  g_assert (self != NULL);

  g_clear_pointer (&self->cgroups, netpulse_cgroup_paths_free);
  if (mount != NULL)
    self->cgroups = netpulse_cgroup_paths_new (mount);
}

guint
netpulse_app_identity_get_size (NetpulseAppIdentity *self)
{
  return g_hash_table_size (self->entries);
}

/* At most NETPULSE_APP_ID_MAX_INPUT bytes of /proc/PID/@name: a command
 * line can be megabytes long, and only its start is shown. */
static char *
read_proc_file (NetpulseAppIdentity *self,
                guint32              pid,
                const char          *name,
                gsize               *length)
{
  g_autofree char *path = g_strdup_printf ("%s/%u/%s", self->proc_root, pid, name);
  g_autofree char *buf = g_malloc (NETPULSE_APP_ID_MAX_INPUT + 1);
  gsize len = 0;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

  if (fd < 0)
    return NULL;
  while (len < NETPULSE_APP_ID_MAX_INPUT)
    {
      ssize_t n = read (fd, buf + len, NETPULSE_APP_ID_MAX_INPUT - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  close (fd);
  buf[len] = '\0';
  if (length != NULL)
    *length = len;
  return g_steal_pointer (&buf);
}

/* PF_EXITING in the flags of /proc/PID/stat (include/linux/sched.h). */
#define TASK_FLAG_EXITING 0x00000004

/* Field 22 of /proc/PID/stat, counted after the command name, which is in
 * parentheses and may itself hold spaces and parentheses.  FALSE also for
 * a process that is exiting or a zombie (state Z or X): its exe link and
 * command line are gone already, and it would be named by its comm, once
 * and for the rest of its pid's life in the cache. */
static gboolean
read_start_time (NetpulseAppIdentity *self,
                 guint32              pid,
                 guint64             *start_time)
{
  g_autofree char *stat = read_proc_file (self, pid, "stat", NULL);
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (stat == NULL || (after = strrchr (stat, ')')) == NULL)
    return FALSE;
  fields = g_strsplit (after + 1, " ", 22);
  /* fields[0] is the empty string before the state (field 3) */
  if (g_strv_length (fields) < 21)
    return FALSE;
  if (fields[1][0] == 'Z' || fields[1][0] == 'X' ||
      (g_ascii_strtoull (fields[7], NULL, 10) & TASK_FLAG_EXITING) != 0)
    return FALSE;
  *start_time = g_ascii_strtoull (fields[20], NULL, 10);
  return TRUE;
}

static Entry *
read_entry (NetpulseAppIdentity *self,
            guint32              pid,
            guint64              start_time,
            const char          *comm)
{
  g_autofree char *exe_path = g_strdup_printf ("%s/%u/exe", self->proc_root, pid);
  g_autofree char *exe = g_file_read_link (exe_path, NULL);
  g_autofree char *cmdline = NULL, *proc_cgroup = NULL, *cgroup = NULL;
  Entry *entry = g_new0 (Entry, 1);
  gsize cmdline_len = 0;

  cmdline = read_proc_file (self, pid, "cmdline", &cmdline_len);
  proc_cgroup = read_proc_file (self, pid, "cgroup", NULL);
  cgroup = netpulse_app_id_cgroup_v2 (proc_cgroup);

  entry->start_time = start_time;
  entry->exe = netpulse_app_id_escape (exe, -1, sizeof (((NetpulseRecord *) 0)->exe));
  entry->cmdline = netpulse_app_id_cmdline (cmdline, cmdline_len, sizeof (((NetpulseRecord *) 0)->cmdline));
  netpulse_app_id_parse (&entry->id, cgroup, exe, comm);
  return entry;
}

static void
sweep (NetpulseAppIdentity *self,
       gint64               now)
{
  GHashTableIter iter;
  Entry *entry;

  if (now - self->last_sweep_us < SWEEP_INTERVAL_US && g_hash_table_size (self->entries) < self->max_entries)
    return;
  self->last_sweep_us = now;
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (now - entry->last_used_us > ENTRY_MAX_IDLE_US)
      g_hash_table_iter_remove (&iter);
  /* Still full: all busy.  Start afresh rather than grow; it is a cache. */
  if (g_hash_table_size (self->entries) >= self->max_entries)
    g_hash_table_remove_all (self->entries);
}

/* The entry of the process running as @pid now, read if new.  A pid whose
 * start time changed while we read belongs to another process: not cached. */
static Entry *
lookup_live (NetpulseAppIdentity *self,
             guint32              pid,
             const char          *comm)
{
  Entry *entry = g_hash_table_lookup (self->entries, GUINT_TO_POINTER (pid));
  guint64 start_time, after;

  if (!read_start_time (self, pid, &start_time))
    return NULL;
  if (entry != NULL && entry->start_time == start_time)
    return entry;

  entry = read_entry (self, pid, start_time, comm);
  if (!read_start_time (self, pid, &after) || after != start_time)
    {
      entry_free (entry);
      return NULL;
    }
  g_hash_table_replace (self->entries, GUINT_TO_POINTER (pid), entry);
  return entry;
}

static void
copy_entry (NetpulseRecord *record,
            const Entry    *entry)
{
  g_strlcpy (record->exe, entry->exe, sizeof record->exe);
  g_strlcpy (record->cmdline, entry->cmdline, sizeof record->cmdline);
  g_strlcpy (record->unit, entry->id.unit, sizeof record->unit);
  g_strlcpy (record->app_id, entry->id.app_id, sizeof record->app_id);
  record->app_kind = entry->id.kind;
}

gboolean
netpulse_app_identity_fill (NetpulseAppIdentity *self,
                            guint32              pid,
                            const char          *comm,
                            const char          *exe_name,
                            NetpulseRecord      *record)
{
  gint64 now = g_get_monotonic_time ();
  Entry *entry;
  NetpulseAppId from_comm;
  const char *cgroup = NULL;

  g_assert (self != NULL);
  g_assert (record != NULL);

  sweep (self, now);
  entry = lookup_live (self, pid, comm);
  /* Exited: the process we knew under this pid, if any, is the best guess
   * (its flow's bytes were counted while it lived). */
  if (entry == NULL)
    entry = g_hash_table_lookup (self->entries, GUINT_TO_POINTER (pid));
  if (entry != NULL)
    {
      entry->last_used_us = now;
      copy_entry (record, entry);
      return TRUE;
    }

  /* Gone before we looked: named as it would have been while it ran (its
   * cgroup if that is still there, else its executable), not by a comm
   * that may differ from both. */
  if (self->cgroups != NULL)
    cgroup = netpulse_cgroup_paths_lookup (self->cgroups, record->cgroup_id);
  netpulse_app_id_parse (&from_comm, cgroup, exe_name, comm);
  record->exe[0] = '\0';
  record->cmdline[0] = '\0';
  g_strlcpy (record->unit, from_comm.unit, sizeof record->unit);
  g_strlcpy (record->app_id, from_comm.app_id, sizeof record->app_id);
  record->app_kind = from_comm.kind;
  return FALSE;
}
