/* netpulse-gate-checks.c — the polkit checks of NetpulseGate: one per
 * caller and kind (interactive or not) in flight, shared by that caller's
 * calls, withdrawn on a timeout or when the caller leaves.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-gate"

#include "config.h"

#include "netpulse-gate-private.h"
#include "netpulse-helper-error.h"

static void
check_free (Check *check)
{
  g_clear_handle_id (&check->timeout_id, g_source_remove);
  g_clear_object (&check->cancellable);
  g_ptr_array_unref (check->calls);
  g_object_unref (check->gate);
  g_free (check);
}

void
_netpulse_gate_check_withdraw (Check      *check,
                const char *why)
{
  if (check->withdrawn == NULL)
    check->withdrawn = why;
  g_cancellable_cancel (check->cancellable);
}

static void
checked_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Check *check = user_data;
  NetpulseGate *self = check->gate;
  Caller *caller = check->caller;
  g_autoptr(GError) error = NULL;
  NetpulseAuthorityResult answer;

  answer = netpulse_authority_check_finish (NETPULSE_AUTHORITY (source), result, &error);
  if (check->withdrawn != NULL)
    {
      /* Cancelled by us, or polkit's answer raced the cancellation:
       * either way the reason the callers get is ours. */
      g_clear_error (&error);
      answer = NETPULSE_AUTHORITY_FAILED;
      error = g_error_new_literal (NETPULSE_HELPER_ERROR, NETPULSE_HELPER_ERROR_NOT_AUTHORIZED,
                                   check->withdrawn);
    }

  caller->checks[check->interactive] = NULL;
  self->n_checks--;

  /* A caller may well call again from its callback: it finds no check of
   * this kind in flight and starts one. */
  for (guint i = 0; i < check->calls->len; i++)
    _netpulse_gate_finish_call (self, caller, g_ptr_array_index (check->calls, i), answer, error);
  g_ptr_array_set_size (check->calls, 0);

  _netpulse_gate_caller_maybe_drop (caller);
  _netpulse_gate_emit_changed (self);
  check_free (check);
}

static gboolean
check_timeout_cb (gpointer user_data)
{
  Check *check = user_data;

  check->timeout_id = 0;
  g_message ("polkit did not answer about %s in time, withdrawing the check", check->caller->name);
  _netpulse_gate_check_withdraw (check, check->interactive
                         ? "No authentication in time: try again"
                         : "polkit did not answer in time");
  return G_SOURCE_REMOVE;
}

void
_netpulse_gate_start_or_join (NetpulseGate *self,
               Caller       *caller,
               Call         *call)
{
  Check *check = caller->checks[call->interactive];

  if (check == NULL)
    {
      check = g_new0 (Check, 1);
      check->gate = g_object_ref (self);
      check->caller = caller;
      check->interactive = call->interactive;
      check->cancellable = g_cancellable_new ();
      check->calls = g_ptr_array_new ();
      check->timeout_id = g_timeout_add_seconds (call->interactive
                                                 ? NETPULSE_GATE_INTERACTIVE_TIMEOUT_S
                                                 : NETPULSE_GATE_TIMEOUT_S,
                                                 check_timeout_cb, check);
      caller->checks[call->interactive] = check;
      self->n_checks++;
      netpulse_authority_check (self->authority, caller->name, call->interactive,
                                check->cancellable, checked_cb, check);
    }

  g_ptr_array_add (check->calls, call);
}
