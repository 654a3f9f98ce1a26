/* netpulsectl.c — command-line client of the Netpulse helper.
 *
 *   netpulsectl monitor [--interval MS] [--json] [--count N] [--sort KEY] [--filter TEXT]
 *                       [--by connection|app] [--no-ask-password]
 *   netpulsectl status [--json]
 *
 * Exit status, which scripts may rely on (also in --help):
 *   0  success
 *   1  usage error: unknown command or option, bad value
 *   2  the system bus is not available
 *   3  the helper is not installed or cannot be activated
 *   4  not authorized (polkit said no, or the password prompt was dismissed)
 *   5  the helper failed, or left the bus while we were subscribed
 * Every failure prints one line on stderr.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "netpulse-client.h"
#include "netpulse-protocol.h"
#include "netpulse-text.h"

#include "netpulsectl-private.h"

static const char *
exit_status_help (void)
{
  return _("Exit status:\n"
           "  0  success\n"
           "  1  usage error\n"
           "  2  the system bus is not available\n"
           "  3  the Netpulse helper is not installed or cannot be started\n"
           "  4  not authorized to monitor network connections\n"
           "  5  the Netpulse helper failed or stopped");
}

/* Errors {{{1 */

int
netpulsectl_exit_status_for_error (const GError *error)
{
  if (error->domain != NETPULSE_CLIENT_ERROR)
    return EXIT_HELPER_FAILED;

  switch ((NetpulseClientError) error->code)
    {
    case NETPULSE_CLIENT_ERROR_BUS_UNAVAILABLE:
      return EXIT_BUS_UNAVAILABLE;
    case NETPULSE_CLIENT_ERROR_HELPER_MISSING:
      return EXIT_HELPER_MISSING;
    case NETPULSE_CLIENT_ERROR_NOT_AUTHORIZED:
      return EXIT_NOT_AUTHORIZED;
    case NETPULSE_CLIENT_ERROR_HELPER_FAILED:
    case NETPULSE_CLIENT_ERROR_HELPER_LOST:
    case NETPULSE_CLIENT_ERROR_SUBSCRIPTION_ENDED:
    default:
      return EXIT_HELPER_FAILED;
    }
}

/* One line on stderr, whatever the message holds: an error may quote a
 * name or an argument, escaped like everything else from outside. */
void
netpulsectl_print_error (const char *message)
{
  g_autofree char *line = g_strdup (message);
  g_autofree char *safe = NULL;

  g_strdelimit (line, "\r\n", ' ');
  g_strchomp (line);
  fprintf (stderr, "netpulsectl: %s\n", netpulse_text_safe (line, &safe));
}

int
netpulsectl_report_error (const GError *error)
{
  netpulsectl_print_error (error->message);
  return netpulsectl_exit_status_for_error (error);
}

int
netpulsectl_usage_error (const char *command,
             const char *message)
{
  g_autofree char *line = NULL;

  if (command != NULL)
    line = g_strdup_printf (_("%s: %s (see “netpulsectl %s --help”)"), command, message, command);
  else
    line = g_strdup_printf (_("%s (see “netpulsectl --help”)"), message);
  netpulsectl_print_error (line);
  return EXIT_USAGE;
}

/* Option parsing {{{1 */

/* Parses @argv (the command name first) with @entries; on an error prints
 * it and returns FALSE. */
gboolean
netpulsectl_parse_options (const char         *command,
               const char         *summary,
               const GOptionEntry *entries,
               int                 argc,
               char              **argv,
               int                *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  context = g_option_context_new (command);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, exit_status_help ());
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      *status = netpulsectl_usage_error (command, error->message);
      return FALSE;
    }
  /* argv[0] is the program, argv[1] the command. */
  if (argc > 2)
    {
      g_autofree char *message = g_strdup_printf (_("unexpected argument “%s”"), argv[2]);

      *status = netpulsectl_usage_error (command, message);
      return FALSE;
    }
  return TRUE;
}

/* The polkit agent for terminals {{{1 */

/* In a terminal, with no desktop agent around, polkit has nobody to ask for
 * the password and says no.  Like pkexec, register a text agent for this
 * very process (polkit finds it from our bus name) and wait until it has
 * registered.  Not with --fallback (as systemctl runs it, for a session):
 * polkitd skips a process's agent that is marked fallback and looks for
 * the session's instead, so outside a desktop session nobody was asked.
 * Best effort: without it, authorization may still succeed (rules, a
 * desktop agent). */
GSubprocess *
netpulsectl_start_tty_agent (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pid = NULL;
  g_autofree char *path = g_find_program_in_path ("pkttyagent");
  int fds[2];
  char c;

  if (path == NULL || !isatty (STDIN_FILENO))
    return NULL;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error))
    {
      g_debug ("Cannot start pkttyagent: %s", error->message);
      return NULL;
    }

  pid = g_strdup_printf ("%d", (int) getpid ());
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  agent = g_subprocess_launcher_spawn (launcher, &error, path, "--notify-fd", "3",
                                       "--process", pid, NULL);
  g_clear_object (&launcher);   /* closes our copy of the write end */
  if (agent == NULL)
    {
      g_debug ("Cannot start pkttyagent: %s", error->message);
      close (fds[0]);
      return NULL;
    }

  /* The agent closes the fd once registered, or exits: either way EOF. */
  while (read (fds[0], &c, 1) < 0 && errno == EINTR)
    ;
  close (fds[0]);

  return g_steal_pointer (&agent);
}

void
netpulsectl_stop_tty_agent (GSubprocess *agent)
{
  if (agent == NULL)
    return;
  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
}


/* main {{{1 */

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n%s\n\n%s\n",
           _("Usage:\n"
             "  netpulsectl COMMAND [OPTION…]\n"
             "  netpulsectl COMMAND --help"),
           _("Commands:\n"
             "  monitor   Show the network connections of all processes, live\n"
             "  status    Show the state of the Netpulse helper\n"
             "  usage     Show how much each application used (the usage history)\n"
             "  recording Turn the usage history on or off, or show its state\n"
             "  metrics   Print the counters for Prometheus, or export them to node_exporter"),
           exit_status_help ());
}

int
main (int    argc,
      char **argv)
{
  const char *command;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("netpulsectl");
  /* stdout carries the table or the JSON lines; with G_MESSAGES_DEBUG set,
   * GLib would mix its debug messages into them. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_USAGE;
    }

  command = argv[1];
  if (g_str_equal (command, "--help") || g_str_equal (command, "-h") ||
      g_str_equal (command, "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (command, "--version"))
    {
      printf ("netpulsectl %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
  if (g_str_equal (command, "monitor"))
    return netpulsectl_cmd_monitor (argc, argv);
  if (g_str_equal (command, "status"))
    return netpulsectl_cmd_status (argc, argv);
  if (g_str_equal (command, "usage"))
    return netpulsectl_cmd_usage (argc, argv);
  if (g_str_equal (command, "recording"))
    return netpulsectl_cmd_recording (argc, argv);
  if (g_str_equal (command, "metrics"))
    return netpulsectl_cmd_metrics (argc, argv);

  {
    g_autofree char *message = g_strdup_printf (_("unknown command “%s”"), command);

    return netpulsectl_usage_error (NULL, message);
  }
}
