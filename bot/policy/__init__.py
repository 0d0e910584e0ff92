'''Approval policy: who may decide a request, how many must agree, and for how long.

A policy is resolved per request from, lowest to highest: the settings defaults, the
policy file named by ``APPROVALS_POLICY``, and the interrupt's own ``approval`` block,
which may only tighten the file (see :mod:`bot.policy.book` for the exact order and for
batches of actions, :mod:`bot.policy.floor` for what tightening means). An edit is
judged by the policy its new arguments resolve to, never by a weaker one.

The policy file (TOML)
----------------------
Every table may set any of these fields; a field left out keeps the value from below.

==========================  ====================================================  =========
field                       meaning                                               default
==========================  ====================================================  =========
``channel``                 channel to post in (``C…``)                           settings
``approvers``               user ids ``U…``/``W…`` and user-group ids ``S…``;     ``[]``
                            empty means anyone in the channel may decide
``required_approvals``      how many different people must approve (≥ 1)         ``1``
``allow_self_approval``     may the requester approve their own request           ``false``
``timeout_s``               seconds before the request times out                  ``86400``
``on_timeout``              ``"reject"`` (auto-reject) or ``"wait"`` (stay open,  ``reject``
                            marked overdue, reminders go on)
``allowed_decisions``       subset of approve, edit, reject, respond              approve,
                                                                                  edit,
                                                                                  reject
``reminder_s``              seconds between reminders (the first one period      none (¾ of
                            after posting)                                        timeout)
``reminders``               how many reminders at most (0: none)                  ``1``
``notify``                  ``"channel"``, or ``"dm"``: each eligible approver    channel
                            (groups expanded) also gets the request, its
                            buttons and reminders by DM
``escalate_after_s``        seconds without a decision before escalating         none
``escalate_to``             users and groups who become eligible then, and are    ``[]``
                            mentioned (and DMed with ``notify = "dm"``)
``external_users``          people of other workspaces or organisations (Slack    ``false``
                            Connect) may decide
==========================  ====================================================  =========

``[graphs.G]`` may also set ``graph_may_relax = true``: only then may the interrupt's
``approval`` block loosen the file; otherwise it can only tighten it.

.. code-block:: toml

    [defaults]                        # the whole file's defaults
    timeout_s = 14400
    reminder_s = 3600

    [actions.send_email]              # this action name, in any graph
    allowed_decisions = ["approve", "reject"]

    [graphs.payments]                 # every action of the graph "payments"
    channel = "C0PAYMENTS"
    approvers = ["S0FINANCE"]

    [graphs.payments.actions.pay]     # the action "pay" of "payments": beats [actions.pay]
    timeout_s = 7200

    [[graphs.payments.actions.pay.rules]]
    when = "amount > 10000"           # every matching rule applies, in file order
    required_approvals = 2

    [[graphs.payments.actions.pay.rules]]
    when = "amount >= 100000"         # later rules win: write thresholds ascending
    required_approvals = 3
    approvers = ["S0FINANCE", "U0CFO"]

    [[graphs.payments.actions.pay.rules]]
    when = ['has(payee.country) && !(payee.country in ["US", "CA"])',
            "amount > 0"]             # a list: all conditions must hold
    channel = "C0PAYINTL"

Rules (``[[... .rules]]``) may sit in any table; each has a ``when`` and at least one
field. ``when`` is a CEL expression over the action's arguments (see
:mod:`bot.policy.cel`): ``amount > 10000 && currency == "EUR"``,
``recipient in ["offshore", "unknown"] || amount > 50000``. It is compiled once at
start, never evaluated as Python. CEL is typed (``10000`` is an integer, ``10000.0`` a
double); a condition that cannot be evaluated for a request (a missing argument, a wrong
type) fails closed: the stricter of applying the rule or not applies, and the request's
audit log notes it. The old ``x not in [...]`` is read as ``!(x in [...])``.

An invalid file stops the bot at start with ``FILE:LINE: FIELD: what is wrong``.
'''

from __future__ import annotations

from bot.policy.book import PolicyBook, Resolution, Rule, Section, request_policy
from bot.policy.cel import CelCondition as Condition
from bot.policy.cel import ConditionError, parse_conditions
from bot.policy.eligibility import (
    check_can_decide,
    describe_approvers,
    expand_approvers,
    mention,
)
from bot.policy.floor import Override, escalated, meet, tighten
from bot.policy.loader import load_policy_file, parse_policy
from bot.policy.model import Policy, PolicyPatch

__all__ = [
    "Condition",
    "Override",
    "ConditionError",
    "Policy",
    "PolicyBook",
    "PolicyPatch",
    "Resolution",
    "Rule",
    "Section",
    "check_can_decide",
    "describe_approvers",
    "escalated",
    "expand_approvers",
    "load_policy_file",
    "meet",
    "mention",
    "parse_conditions",
    "parse_policy",
    "request_policy",
    "tighten",
]
