"""Signals other parts subscribe to instead of being called from the workflow by name.

``application_changed`` is sent inside the transaction of every lifecycle transition, after the
application row and its event are written and before the request commits, so a receiver's rows
(a payment request, a refund, a notification) commit or roll back together with the transition.
Receivers get ``sender=application`` and keyword arguments ``action``, ``from_state``, ``to_state``,
``actor`` (a User or None for the system) and ``reason``.
"""

from blinker import Namespace

_signals = Namespace()

application_changed = _signals.signal("application-changed")
