/* netpulse-authority.c — asks polkit whether a D-Bus caller may monitor.
 *
 * Everything here is asynchronous and runs in the main context: a check
 * that waits for a password prompt holds no thread (see
 * netpulse-gate.c for why that matters).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-authority"

#include "config.h"

#include <polkit/polkit.h>

#include "netpulse-authority.h"
#include "netpulse-helper-error.h"

struct _NetpulseAuthority
{
  GObject          parent_instance;
  char            *action_id;
  PolkitAuthority *polkit;        /* once known: for its "changed" signal */
  GCancellable    *getting;       /* while the first polkit_authority_get_async() runs */
};

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (NetpulseAuthority, netpulse_authority, G_TYPE_OBJECT)

static void
polkit_changed_cb (PolkitAuthority *polkit,
                   gpointer         user_data)
{
  NetpulseAuthority *self = user_data;

  g_debug ("polkit says its rules or authorizations changed");
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
got_polkit_for_changes_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PolkitAuthority) polkit = polkit_authority_get_finish (result, &error);
  NetpulseAuthority *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;                     /* finalized: @user_data is gone */

  self = user_data;
  g_clear_object (&self->getting);
  if (polkit == NULL)
    {
      g_warning ("Cannot reach polkit, revoked authorizations will not be noticed: %s",
                 error->message);
      return;
    }

  self->polkit = g_steal_pointer (&polkit);
  g_signal_connect (self->polkit, "changed", G_CALLBACK (polkit_changed_cb), self);
}

static void
netpulse_authority_finalize (GObject *object)
{
  NetpulseAuthority *self = NETPULSE_AUTHORITY (object);

  if (self->getting != NULL)
    g_cancellable_cancel (self->getting);
  g_clear_object (&self->getting);
  if (self->polkit != NULL)
    g_signal_handlers_disconnect_by_data (self->polkit, self);
  g_clear_object (&self->polkit);
  g_clear_pointer (&self->action_id, g_free);

  G_OBJECT_CLASS (netpulse_authority_parent_class)->finalize (object);
}

static void
netpulse_authority_class_init (NetpulseAuthorityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_authority_finalize;

  signals[CHANGED] = g_signal_new ("changed",
                                   G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
netpulse_authority_init (NetpulseAuthority *self)
{
}

NetpulseAuthority *
netpulse_authority_new (const char *action_id)
{
  NetpulseAuthority *self;

  g_return_val_if_fail (action_id != NULL, NULL);

  self = g_object_new (NETPULSE_TYPE_AUTHORITY, NULL);
  self->action_id = g_strdup (action_id);

  /* Asynchronously, so that a slow or absent polkitd cannot hold up the
   * start (the bus may be waiting for us to own our name). */
  self->getting = g_cancellable_new ();
  polkit_authority_get_async (self->getting, got_polkit_for_changes_cb, self);
  return self;
}

/* One check: the task's data. */
typedef struct
{
  char    *bus_name;
  gboolean interactive;
} Check;

static void
check_free (Check *check)
{
  g_free (check->bus_name);
  g_free (check);
}

/* What a check found: the task's value, also for a no. */
typedef struct
{
  NetpulseAuthorityResult  result;
  GError                  *error;     /* unless AUTHORIZED */
} Outcome;

static void
outcome_free (Outcome *outcome)
{
  g_clear_error (&outcome->error);
  g_free (outcome);
}

static void
return_outcome (GTask                   *task,
                NetpulseAuthorityResult  result,
                GError                  *error)
{
  Outcome *outcome = g_new0 (Outcome, 1);

  outcome->result = result;
  outcome->error = error;
  g_task_return_pointer (task, outcome, (GDestroyNotify) outcome_free);
}

static GError *
not_authorized (const char *message)
{
  return g_error_new_literal (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED, message);
}

/* What the action lets a caller do, for the messages below: the configure
 * action (SetRecording) is not about seeing connections. */
static const char *
action_purpose (NetpulseAuthority *self)
{
  return g_str_has_suffix (self->action_id, ".configure")
           ? "to change the recording of network usage"
           : "to monitor network connections";
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NetpulseAuthority *self = g_task_get_source_object (task);
  Check *check = g_task_get_task_data (task);
  g_autoptr(PolkitAuthorizationResult) answer = NULL;
  g_autoptr(GError) error = NULL;

  answer = polkit_authority_check_authorization_finish (POLKIT_AUTHORITY (source), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("The check of %s was withdrawn", check->bus_name);
          return_outcome (task, NETPULSE_AUTHORITY_FAILED, g_steal_pointer (&error));
          return;
        }
      g_warning ("polkit could not check %s for %s: %s",
                 self->action_id, check->bus_name, error->message);
      return_outcome (task, NETPULSE_AUTHORITY_FAILED,
                      g_error_new (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                                   "Could not ask polkit for authorization: %s", error->message));
      return;
    }

  if (polkit_authorization_result_get_is_authorized (answer))
    {
      g_debug ("%s is authorized for %s", check->bus_name, self->action_id);
      return_outcome (task, NETPULSE_AUTHORITY_AUTHORIZED, NULL);
      return;
    }

  /* Per call, and a flood of them is to be expected: debug, not message. */
  g_debug ("%s is not authorized for %s%s", check->bus_name, self->action_id,
           polkit_authorization_result_get_dismissed (answer) ? " (prompt dismissed)" : "");

  if (polkit_authorization_result_get_dismissed (answer))
    return_outcome (task, NETPULSE_AUTHORITY_DENIED,
                    not_authorized ("The authentication request was dismissed"));
  else if (polkit_authorization_result_get_is_challenge (answer))
    {
      g_autofree char *message =
        g_strdup_printf ("Authentication is required %s%s", action_purpose (self),
                         check->interactive ? ", and no authentication agent could ask for it" : "");

      return_outcome (task, NETPULSE_AUTHORITY_CHALLENGE, not_authorized (message));
    }
  else if (g_str_has_suffix (self->action_id, ".configure"))
    return_outcome (task, NETPULSE_AUTHORITY_DENIED,
                    not_authorized ("You are not allowed to change the recording of network usage "
                                    "on this computer"));
  else
    return_outcome (task, NETPULSE_AUTHORITY_DENIED,
                    not_authorized ("You are not allowed to monitor the network connections "
                                    "of this computer"));
}

static void
check_with (NetpulseAuthority *self,
            PolkitAuthority   *polkit,
            GTask             *task)
{
  Check *check = g_task_get_task_data (task);
  g_autoptr(PolkitSubject) subject = NULL;
  g_autoptr(PolkitDetails) details = polkit_details_new ();

  /* The bus name, not the pid: a pid can be recycled or belong to a
   * process that exec'd something else, a unique bus name cannot. */
  subject = polkit_system_bus_name_new (check->bus_name);
  /* For rules (action.lookup ("netpulse.interactive")): a caller's own
   * request, which may prompt, or a check again after polkit changed. */
  polkit_details_insert (details, "netpulse.interactive", check->interactive ? "true" : "false");
  polkit_authority_check_authorization (polkit, subject, self->action_id, details,
                                        check->interactive
                                        ? POLKIT_CHECK_AUTHORIZATION_FLAGS_ALLOW_USER_INTERACTION
                                        : POLKIT_CHECK_AUTHORIZATION_FLAGS_NONE,
                                        g_task_get_cancellable (task), checked_cb, task);
}

static void
got_polkit_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  NetpulseAuthority *self = g_task_get_source_object (task);
  g_autoptr(PolkitAuthority) polkit = NULL;
  g_autoptr(GError) error = NULL;

  polkit = polkit_authority_get_finish (result, &error);
  if (polkit == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          return_outcome (task, NETPULSE_AUTHORITY_FAILED, g_steal_pointer (&error));
          return;
        }
      g_warning ("Cannot reach polkit: %s", error->message);
      return_outcome (task, NETPULSE_AUTHORITY_FAILED,
                      g_error_new (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                                   "Could not ask polkit for authorization: %s", error->message));
      return;
    }

  check_with (self, polkit, g_steal_pointer (&task));
}

void
netpulse_authority_check (NetpulseAuthority   *self,
                          const char          *bus_name,
                          gboolean             interactive,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;

  g_return_if_fail (NETPULSE_IS_AUTHORITY (self));
  g_return_if_fail (bus_name != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, netpulse_authority_check);
  /* The caller's cancellation must reach polkitd (it withdraws the
   * agent's dialog), so the task reports what polkit reports instead of
   * returning early. */
  g_task_set_check_cancellable (task, FALSE);
  check = g_new0 (Check, 1);
  check->bus_name = g_strdup (bus_name);
  check->interactive = interactive;
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);

  /* The authority we keep for its "changed" signal, once it is there
   * (its proxy follows a polkitd that restarts).  Not
   * polkit_authority_get_async() for every check: it initializes the
   * authority in a thread of GLib's pool, a pool job per check. */
  if (self->polkit != NULL)
    check_with (self, self->polkit, g_steal_pointer (&task));
  else
    polkit_authority_get_async (cancellable, got_polkit_cb, g_steal_pointer (&task));
}

NetpulseAuthorityResult
netpulse_authority_check_finish (NetpulseAuthority  *self,
                                 GAsyncResult       *result,
                                 GError            **error)
{
  Outcome *outcome;
  NetpulseAuthorityResult value;

  g_return_val_if_fail (NETPULSE_IS_AUTHORITY (self), NETPULSE_AUTHORITY_FAILED);
  g_return_val_if_fail (g_task_is_valid (result, self), NETPULSE_AUTHORITY_FAILED);

  /* Never an error of the task itself: see return_outcome(). */
  outcome = g_task_propagate_pointer (G_TASK (result), NULL);
  g_assert (outcome != NULL);
  value = outcome->result;
  if (outcome->error != NULL)
    g_propagate_error (error, g_steal_pointer (&outcome->error));
  outcome_free (outcome);
  return value;
}
