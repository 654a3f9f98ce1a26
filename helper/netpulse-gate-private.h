/* netpulse-gate-private.h — what netpulse-gate.c (callers, caps, the
 * gate's life) and netpulse-gate-checks.c (the polkit checks the callers
 * share) share.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include "netpulse-gate.h"
#include "netpulse-name-watch.h"

G_BEGIN_DECLS

typedef struct _Caller Caller;

/* A method call waiting for its answer. */
typedef struct
{
  GDBusMethodInvocation *invocation;
  gboolean               interactive;
  gboolean               uid_counted;
  NetpulseGateFunc       func;
  gpointer               user_data;
} Call;

/* One polkit call, shared by the calls of one caller that wait for it. */
typedef struct
{
  NetpulseGate *gate;           /* owned: outlives the gate's disposal */
  Caller       *caller;         /* stays until its checks are done */
  gboolean      interactive;
  GCancellable *cancellable;
  GPtrArray    *calls;          /* Call */
  guint         timeout_id;
  const char   *withdrawn;      /* why it was cancelled, for the callers */
} Check;

struct _Caller
{
  NetpulseGate      *gate;
  char              *name;
  NetpulseNameWatch *watch;
  GCancellable      *uid_lookup;   /* while GetConnectionUnixUser is on its way */
  gboolean           has_uid;
  guint32            uid;
  GPtrArray         *waiting;      /* Call, for the uid */
  Check             *checks[2];    /* [interactive] */
  guint              n_calls;
  gboolean           gone;         /* left the bus */
  GList             *idle_link;    /* in the gate's idle_callers, while idle */
};

struct _NetpulseGate
{
  GObject            parent_instance;

  NetpulseAuthority *authority;
  GDBusConnection   *connection;
  GHashTable        *callers;      /* unique name → Caller */
  GQueue             idle_callers; /* Caller with nothing pending, oldest first */
  GHashTable        *per_uid;      /* uid → pending calls */
  guint              n_pending;    /* all calls waiting */
  guint              n_uid_waiting;  /* … of them, for their caller's uid */
  guint              n_checks;
  guint64            busy_refusals;
};

/* netpulse-gate.c */
void _netpulse_gate_finish_call       (NetpulseGate            *self,
                                       Caller                  *caller,
                                       Call                    *call,
                                       NetpulseAuthorityResult  result,
                                       const GError            *error);
void _netpulse_gate_caller_maybe_drop (Caller                  *caller);
void _netpulse_gate_emit_changed      (NetpulseGate            *self);

/* netpulse-gate-checks.c */
void _netpulse_gate_start_or_join     (NetpulseGate            *self,
                                       Caller                  *caller,
                                       Call                    *call);
void _netpulse_gate_check_withdraw    (Check                   *check,
                                       const char              *why);

G_END_DECLS
