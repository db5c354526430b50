"""Signals other domains subscribe to, so they follow their cases without polling.

``case_changed`` is sent at the end of every engine transition (start, claim, complete, return,
delegate, cancel) and every fired timer, inside the transition's transaction: a receiver's writes
commit or roll back with it. Arguments: ``instance`` (the ProcessInstance, already saved),
``action`` (the CaseEvent action: started, claimed, completed, returned, delegated, cancelled,
escalated, reminded), ``task`` (the WorkTask acted on, or None) and ``actor``.
A domain finds its own object from ``instance.subject_type`` / ``instance.subject_id``.
"""

from __future__ import annotations

from django.dispatch import Signal

case_changed = Signal()
