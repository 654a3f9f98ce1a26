/* netpulse-gate.h — the helper's authorization of method calls: polkit,
 * asynchronously, with a bounded number of pending checks.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "netpulse-authority.h"

G_BEGIN_DECLS

/* Method calls that may wait for polkit at once: from one caller (bus
 * connection), from one user, and in total (of callers whose user is
 * known).  More are answered at once with io.github.netpulse.Error.Busy. */
#define NETPULSE_GATE_MAX_PENDING_PER_CALLER  16
#define NETPULSE_GATE_MAX_PENDING_PER_UID     32
#define NETPULSE_GATE_MAX_PENDING             128
/* Calls of callers whose uid the bus has not told yet (their first ones),
 * per caller and in all: beyond it, Busy for new callers only, so that
 * many fresh connections cannot fill the caps of known callers. */
#define NETPULSE_GATE_MAX_NEW_PER_CALLER      4
#define NETPULSE_GATE_MAX_NEW_CALLS           128
/* Callers with nothing pending whose uid and name watch are kept. */
#define NETPULSE_GATE_MAX_IDLE_CALLERS        64
/* How long a check may wait for polkit before the call is answered
 * NotAuthorized and the check (and its prompt) withdrawn. */
#define NETPULSE_GATE_INTERACTIVE_TIMEOUT_S   120
#define NETPULSE_GATE_TIMEOUT_S               25

#define NETPULSE_TYPE_GATE (netpulse_gate_get_type ())

G_DECLARE_FINAL_TYPE (NetpulseGate, netpulse_gate, NETPULSE, GATE, GObject)

/* Called once per netpulse_gate_authorize(), in the main context, with
 * the invocation (ours to answer: transfer full).  @result is
 * NETPULSE_AUTHORITY_AUTHORIZED, or something else with @error: Busy (a
 * cap was reached), NotAuthorized (with polkit's reason), or
 * NotAuthorized because the caller left the bus. */
typedef void (*NetpulseGateFunc) (GDBusMethodInvocation   *invocation,
                                  NetpulseAuthorityResult  result,
                                  const GError            *error,
                                  gpointer                 user_data);

NetpulseGate *netpulse_gate_new           (NetpulseAuthority     *authority,
                                           GDBusConnection       *connection);

/* Asks polkit whether the caller of @invocation may monitor.  At most one
 * interactive check per caller is in flight: calls of the same caller
 * that arrive meanwhile share its answer (so do non-interactive ones). */
void          netpulse_gate_authorize     (NetpulseGate          *self,
                                           GDBusMethodInvocation *invocation,
                                           gboolean               interactive,
                                           NetpulseGateFunc       func,
                                           gpointer               user_data);

/* Method calls waiting for an answer. */
guint         netpulse_gate_get_n_pending (NetpulseGate          *self);

/* Adds "pending-authorizations", "authorization-checks" (polkit calls
 * in flight), "busy-refusals" to an a{st} builder. */
void          netpulse_gate_add_counters  (NetpulseGate          *self,
                                           GVariantBuilder       *builder);
void          netpulse_gate_add_zero_counters (GVariantBuilder       *builder);

/* Withdraws every check; their calls are answered NotAuthorized. */
void          netpulse_gate_cancel_all    (NetpulseGate          *self);

/* Signals:
 *   "changed" ()  the counters changed. */

G_END_DECLS
