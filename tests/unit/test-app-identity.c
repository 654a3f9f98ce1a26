/* test-app-identity.c — the helper's identity cache (helper/netpulse-app-identity.c)
 * on a /proc the test writes: read once per pid and start time, read
 * again when the pid is reused, kept for a process that has exited,
 * bounded; and the flow table's rule of naming a flow when its process is
 * (re)learnt and keeping that name.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "netpulse-app-identity.h"
#include "netpulse-flow-table.h"

typedef struct {
  char *root;
} FakeProc;

/* /proc/PID/{stat,exe,cmdline,cgroup} of one process; the command name
 * in stat holds a space and a parenthesis, as a hostile one may. */
static void
write_process_in_state (FakeProc   *proc,
                        guint32     pid,
                        guint64     start_time,
                        const char *state,
                        const char *exe,
                        const char *cmdline,
                        gsize       cmdline_len,
                        const char *cgroup)
{
  g_autofree char *dir = g_strdup_printf ("%s/%u", proc->root, pid);
  g_autofree char *stat_path = g_build_filename (dir, "stat", NULL);
  g_autofree char *exe_path = g_build_filename (dir, "exe", NULL);
  g_autofree char *cmdline_path = g_build_filename (dir, "cmdline", NULL);
  g_autofree char *cgroup_path = g_build_filename (dir, "cgroup", NULL);
  g_autofree char *stat = g_strdup_printf ("%u (a b) c) %s 1 %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %"
                                           G_GUINT64_FORMAT " 1000 100 18446744073709551615", pid, state, pid, pid,
                                           start_time);
  g_autofree char *cgroup_text = g_strdup_printf ("0::%s\n", cgroup);

  g_assert_no_errno (g_mkdir_with_parents (dir, 0755));
  g_assert_true (g_file_set_contents (stat_path, stat, -1, NULL));
  g_unlink (exe_path);
  if (exe != NULL)
    g_assert_no_errno (symlink (exe, exe_path));
  g_assert_true (g_file_set_contents (cmdline_path, cmdline, (gssize) cmdline_len, NULL));
  g_assert_true (g_file_set_contents (cgroup_path, cgroup_text, -1, NULL));
}

static void
write_process (FakeProc   *proc,
               guint32     pid,
               guint64     start_time,
               const char *exe,
               const char *cmdline,
               gsize       cmdline_len,
               const char *cgroup)
{
  write_process_in_state (proc, pid, start_time, "S", exe, cmdline, cmdline_len, cgroup);
}

static void
remove_process (FakeProc *proc,
                guint32   pid)
{
  static const char * const names[] = { "stat", "exe", "cmdline", "cgroup" };
  g_autofree char *dir = g_strdup_printf ("%s/%u", proc->root, pid);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fake_proc_set_up (FakeProc      *proc,
                  gconstpointer  data)
{
  proc->root = g_dir_make_tmp ("netpulse-proc-XXXXXX", NULL);
  g_assert_nonnull (proc->root);
}

static void
fake_proc_tear_down (FakeProc      *proc,
                     gconstpointer  data)
{
  for (guint32 pid = 1; pid < 40; pid++)
    remove_process (proc, pid);
  g_rmdir (proc->root);
  g_free (proc->root);
}

#define EPIPHANY_CMDLINE "epiphany\0--new-window\0https://example.org\0"
#define EPIPHANY_SCOPE "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-org.gnome.Epiphany-4321.scope"

static void
test_read_and_cache (FakeProc      *proc,
                     gconstpointer  data)
{
  g_autoptr(NetpulseAppIdentity) identity = netpulse_app_identity_new (proc->root, 16);
  NetpulseRecord record = { 0 };

  write_process (proc, 7, 1000, "/usr/bin/epiphany", EPIPHANY_CMDLINE, sizeof EPIPHANY_CMDLINE - 1, EPIPHANY_SCOPE);
  g_assert_true (netpulse_app_identity_fill (identity, 7, "epiphany", NULL, &record));
  g_assert_cmpstr (record.exe, ==, "/usr/bin/epiphany");
  g_assert_cmpstr (record.cmdline, ==, "epiphany --new-window https://example.org");
  g_assert_cmpstr (record.unit, ==, "app-gnome-org.gnome.Epiphany-4321.scope");
  g_assert_cmpstr (record.app_id, ==, "org.gnome.Epiphany");
  g_assert_cmpuint (record.app_kind, ==, NETPULSE_APP_KIND_DESKTOP);

  /* Same start time: the cache answers, whatever the files say now. */
  write_process (proc, 7, 1000, "/usr/bin/other", "other", 5, "/system.slice/other.service");
  memset (&record, 0, sizeof record);
  g_assert_true (netpulse_app_identity_fill (identity, 7, "epiphany", NULL, &record));
  g_assert_cmpstr (record.app_id, ==, "org.gnome.Epiphany");

  /* The pid was reused (another start time): read again. */
  write_process (proc, 7, 2000, "/usr/sbin/sshd", "sshd: user\0", 11, "/system.slice/sshd.service");
  g_assert_true (netpulse_app_identity_fill (identity, 7, "sshd", NULL, &record));
  g_assert_cmpstr (record.exe, ==, "/usr/sbin/sshd");
  g_assert_cmpstr (record.cmdline, ==, "sshd: user");
  g_assert_cmpstr (record.unit, ==, "sshd.service");
  g_assert_cmpstr (record.app_id, ==, "sshd");
  g_assert_cmpuint (record.app_kind, ==, NETPULSE_APP_KIND_SERVICE);
  g_assert_cmpuint (netpulse_app_identity_get_size (identity), ==, 1);

  /* Exited: what the cache knew of it. */
  remove_process (proc, 7);
  memset (&record, 0, sizeof record);
  g_assert_true (netpulse_app_identity_fill (identity, 7, "sshd", NULL, &record));
  g_assert_cmpstr (record.app_id, ==, "sshd");
  g_assert_cmpstr (record.exe, ==, "/usr/sbin/sshd");
}

static void
test_unknown_process (FakeProc      *proc,
                      gconstpointer  data)
{
  g_autoptr(NetpulseAppIdentity) identity = netpulse_app_identity_new (proc->root, 16);
  NetpulseRecord record = { 0 };

  /* Never seen and gone: the name the kernel gave, nothing more. */
  g_strlcpy (record.exe, "stale", sizeof record.exe);
  g_assert_false (netpulse_app_identity_fill (identity, 8, "curl", NULL, &record));
  g_assert_cmpstr (record.exe, ==, "");
  g_assert_cmpstr (record.cmdline, ==, "");
  g_assert_cmpstr (record.unit, ==, "");
  g_assert_cmpstr (record.app_id, ==, "curl");
  g_assert_cmpuint (record.app_kind, ==, NETPULSE_APP_KIND_PROCESS);

  /* Gone, but the kernel named its executable while it ran: named as it
   * was while alive (python3.11, not the comm a script set). */
  g_assert_false (netpulse_app_identity_fill (identity, 11, "np-server", "python3.11", &record));
  g_assert_cmpstr (record.exe, ==, "");
  g_assert_cmpstr (record.app_id, ==, "python3.11");
  g_assert_cmpuint (record.app_kind, ==, NETPULSE_APP_KIND_PROCESS);
  g_assert_false (netpulse_app_identity_fill (identity, 12, "curl", "", &record));
  g_assert_cmpstr (record.app_id, ==, "curl");

  /* Exited and not reaped yet (a zombie: stat is there, exe and command
   * line are not): named as it was while it ran, and not remembered so. */
  write_process_in_state (proc, 13, 77, "Z", NULL, "", 0, "/");
  g_assert_false (netpulse_app_identity_fill (identity, 13, "np-e2e-server", "npa-1234", &record));
  g_assert_cmpstr (record.app_id, ==, "npa-1234");
  g_assert_cmpuint (netpulse_app_identity_get_size (identity), ==, 0);
  /* Seen alive before: what was read then. */
  write_process (proc, 14, 78, "/usr/bin/rsync", "rsync\0", 6, "/");
  g_assert_true (netpulse_app_identity_fill (identity, 14, "rsync", "rsync", &record));
  write_process_in_state (proc, 14, 78, "Z", NULL, "", 0, "/");
  g_assert_true (netpulse_app_identity_fill (identity, 14, "np-comm", "rsync", &record));
  g_assert_cmpstr (record.app_id, ==, "rsync");
  g_assert_cmpstr (record.exe, ==, "/usr/bin/rsync");

  /* A kernel thread: no exe, an empty command line. */
  write_process (proc, 9, 5, NULL, "", 0, "/");
  g_assert_true (netpulse_app_identity_fill (identity, 9, "kworker/0:1", NULL, &record));
  g_assert_cmpstr (record.exe, ==, "");
  g_assert_cmpstr (record.app_id, ==, "kworker/0:1");
}

static void
test_hostile_process (FakeProc      *proc,
                      gconstpointer  data)
{
  g_autoptr(NetpulseAppIdentity) identity = netpulse_app_identity_new (proc->root, 16);
  g_autoptr(GString) cmdline = g_string_new ("evil");
  NetpulseRecord record = { 0 };

  for (guint i = 0; i < 100000; i++)
    g_string_append_len (cmdline, "\0\x1b[2J\xff", 6);
  write_process (proc, 10, 1, "/tmp/\x1b]0;owned\x07", cmdline->str, cmdline->len, "/evil\x1b.service");
  g_assert_true (netpulse_app_identity_fill (identity, 10, "evil", NULL, &record));
  g_assert_cmpstr (record.exe, ==, "/tmp/\\x1b]0;owned\\x07");
  g_assert_cmpuint (strlen (record.cmdline), <=, 256);
  g_assert_true (g_str_has_prefix (record.cmdline, "evil \\x1b[2J\\xff \\x1b[2J"));
  g_assert_true (g_utf8_validate (record.cmdline, -1, NULL));
  g_assert_cmpstr (record.unit, ==, "evil\\x1b.service");
}

static void
test_bounded (FakeProc      *proc,
              gconstpointer  data)
{
  g_autoptr(NetpulseAppIdentity) identity = netpulse_app_identity_new (proc->root, 8);
  NetpulseRecord record = { 0 };

  for (guint32 pid = 11; pid < 40; pid++)
    {
      write_process (proc, pid, pid, "/usr/bin/python3", "python3\0", 8, "/");
      g_assert_true (netpulse_app_identity_fill (identity, pid, "python3", NULL, &record));
      g_assert_cmpuint (netpulse_app_identity_get_size (identity), <=, 8);
    }
}

/* ---- the flow table names a flow when its process is (re)learnt ---- */

typedef struct {
  guint calls;
} Namer;

static void
name_process (guint32         pid,
              const char     *comm,
              const char     *exe_name,
              NetpulseRecord *record,
              gpointer        user_data)
{
  Namer *namer = user_data;
  g_autofree char *app_id = g_strdup_printf ("%s-%u", comm, pid);

  namer->calls++;
  g_strlcpy (record->app_id, app_id, sizeof record->app_id);
  g_strlcpy (record->exe, "/bin/x", sizeof record->exe);
  record->app_kind = NETPULSE_APP_KIND_PROCESS;
}

static void
collect_first (const NetpulseRecord *record,
               gpointer              user_data)
{
  NetpulseRecord *out = user_data;

  *out = *record;
}

static void
test_flow_rule (void)
{
  Namer namer = { 0 };
  NetpulseFlowRules rules = { .max_flows = 64, .udp_idle_ms = 5000, .closed_retain_ms = 60000,
                              .identity = name_process, .identity_data = &namer };
  g_autoptr(NetpulseFlowTable) table = netpulse_flow_table_new (&rules);
  g_autoptr(GHashTable) released = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  struct np_flow flow;
  NetpulseRecord record;
  guint64 now = G_GUINT64_CONSTANT (1000000000000);

  memset (&flow, 0, sizeof flow);
  flow.proto = 6;
  flow.family = 4;
  flow.state = 1;
  flow.last_ns = now;
  flow.first_ns = now;

  /* No process yet (accepted, idle): not named. */
  netpulse_flow_table_begin (table, now, 1000000000, released);
  netpulse_flow_table_take (table, &(struct np_flow_key) { .cookie = 1 }, &flow);
  netpulse_flow_table_end (table, NULL);
  netpulse_flow_table_foreach_open (table, 5 * G_GUINT64_CONSTANT (1000000000), collect_first, &record);
  g_assert_cmpuint (namer.calls, ==, 0);
  g_assert_cmpstr (record.app_id, ==, "");

  /* Its process is learnt: named once, and not again while it stays. */
  flow.has_process = 1;
  flow.pid = 100;
  g_strlcpy (flow.comm, "nc", sizeof flow.comm);
  for (guint i = 0; i < 3; i++)
    {
      netpulse_flow_table_begin (table, now + (i + 1) * G_GUINT64_CONSTANT (1000000000), 1000000000, released);
      flow.rx_bytes += 10;
      netpulse_flow_table_take (table, &(struct np_flow_key) { .cookie = 1 }, &flow);
      netpulse_flow_table_end (table, NULL);
    }
  netpulse_flow_table_foreach_open (table, 5 * G_GUINT64_CONSTANT (1000000000), collect_first, &record);
  g_assert_cmpuint (namer.calls, ==, 1);
  g_assert_cmpstr (record.app_id, ==, "nc-100");

  /* Another process moves its data (a forked child): named again. */
  flow.pid = 101;
  netpulse_flow_table_begin (table, now + 5 * G_GUINT64_CONSTANT (1000000000), 1000000000, released);
  netpulse_flow_table_take (table, &(struct np_flow_key) { .cookie = 1 }, &flow);
  netpulse_flow_table_end (table, NULL);
  netpulse_flow_table_foreach_open (table, 5 * G_GUINT64_CONSTANT (1000000000), collect_first, &record);
  g_assert_cmpuint (namer.calls, ==, 2);
  g_assert_cmpstr (record.app_id, ==, "nc-101");
  g_assert_cmpstr (record.exe, ==, "/bin/x");
}

/* A process gone before it was read: its cgroup id (the directory's inode)
 * still names its application while the cgroup exists; a tree the test
 * makes stands in for the cgroup v2 mount. */
static void
test_gone_in_cgroup (FakeProc      *proc,
                     gconstpointer  data)
{
  g_autoptr(NetpulseAppIdentity) identity = netpulse_app_identity_new (proc->root, 16);
  g_autofree char *mount = g_dir_make_tmp ("netpulse-cgroup-XXXXXX", NULL);
  g_autofree char *slice = g_build_filename (mount, "system.slice", NULL);
  g_autofree char *service = g_build_filename (slice, "npt-backup.service", NULL);
  NetpulseRecord record = { 0 };
  GStatBuf st;

  g_assert_no_errno (g_mkdir_with_parents (service, 0755));
  g_assert_no_errno (g_stat (service, &st));

  /* Without the mount, the executable names it. */
  record.cgroup_id = st.st_ino;
  g_assert_false (netpulse_app_identity_fill (identity, 20, "np-comm", "rsync", &record));
  g_assert_cmpstr (record.app_id, ==, "rsync");

  netpulse_app_identity_set_cgroup_mount (identity, mount);
  g_assert_false (netpulse_app_identity_fill (identity, 20, "np-comm", "rsync", &record));
  g_assert_cmpstr (record.app_id, ==, "npt-backup");
  g_assert_cmpstr (record.unit, ==, "npt-backup.service");
  g_assert_cmpuint (record.app_kind, ==, NETPULSE_APP_KIND_SERVICE);

  /* An id no cgroup has (removed, or never there): the executable. */
  record.cgroup_id = st.st_ino + 1000003;
  g_assert_false (netpulse_app_identity_fill (identity, 21, "np-comm", "rsync", &record));
  g_assert_cmpstr (record.app_id, ==, "rsync");
  g_assert_cmpstr (record.unit, ==, "");

  g_assert_no_errno (g_rmdir (service));
  g_assert_no_errno (g_rmdir (slice));
  g_assert_no_errno (g_rmdir (mount));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/app-identity/read-and-cache", FakeProc, NULL, fake_proc_set_up, test_read_and_cache, fake_proc_tear_down);
  g_test_add ("/app-identity/unknown-process", FakeProc, NULL, fake_proc_set_up, test_unknown_process, fake_proc_tear_down);
  g_test_add ("/app-identity/hostile-process", FakeProc, NULL, fake_proc_set_up, test_hostile_process, fake_proc_tear_down);
  g_test_add ("/app-identity/bounded", FakeProc, NULL, fake_proc_set_up, test_bounded, fake_proc_tear_down);
  g_test_add ("/app-identity/gone-in-cgroup", FakeProc, NULL, fake_proc_set_up, test_gone_in_cgroup, fake_proc_tear_down);
  g_test_add_func ("/app-identity/flow-rule", test_flow_rule);
  return g_test_run ();
}
