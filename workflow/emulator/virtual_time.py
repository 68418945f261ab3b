"""Virtual time for mocked executions (`StartExecution` on `<machine ARN>#<case>`): Wait states and retry backoff take
no wall time, and the history's timestamps still show the times AWS would.

A mocked execution's root event-history context carries a `Clock`: how far ahead of the wall clock the execution
is. Every frame moto opens (a task's, a Map iteration's, a Parallel branch's: `Environment.as_inner_frame_of`)
forks a child clock at its parent's offset, and closing the frame (`EventHistoryContext.integrate`, moto's own join
of the event ids) joins it back: the parent's offset becomes the latest of the two, so two branches that each wait
a day take a day, not two.

- `EventManager.add_event`: an event of a context with a clock is stamped at that clock's time; the thread
  remembers the clock it last stamped with (or none), which is how the two places that have no environment find it:
  the retrier's sleep (it follows its TaskFailed event on the same thread) and the context object's
  `State.EnteredTime` (written just after its StateEntered event).
- `WaitFunction._wait_interval`: a Wait advances the clock instead of sleeping; `Timestamp._get_wait_seconds` counts
  from the clock's time, so `Timestamp`/`TimestampPath` waits end when AWS's would.
- `BaseExecutionWorkerCommunication._reflect_execution_status`: the execution's stop date is the clock's.

Executions without a clock (every unmocked one) keep the wall clock and their scaled retry sleeps, as before.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any

from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext, EventManager

from workflow.emulator.patches import moto_original

_CLOCK = "_orderflow_clock"
_ADD_EVENT = moto_original(EventManager, "add_event")
_INTEGRATE = moto_original(EventHistoryContext, "integrate")
_thread = threading.local()


class Clock:
    """Seconds ahead of the wall clock; forked per frame, joined when the frame closes."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(seconds=self.offset)

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.offset += seconds

    def join(self, other: Clock) -> None:
        with self._lock:
            self.offset = max(self.offset, other.offset)


def clock_of(context: Any) -> Clock | None:
    found = vars(context).get(_CLOCK) if hasattr(context, "__dict__") else None
    return found if isinstance(found, Clock) else None


def env_clock(env: Environment) -> Clock | None:
    return clock_of(env.event_history_context)


def keep_time(context: EventHistoryContext, clock: Clock) -> None:
    vars(context)[_CLOCK] = clock


def thread_clock() -> Clock | None:
    """The clock of the last event this thread stamped (None when it had none)."""
    found = getattr(_thread, "clock", None)
    return found if isinstance(found, Clock) else None


def add_event(self: EventManager, context: EventHistoryContext, *args: Any, **kwargs: Any) -> int:
    clock = clock_of(context)
    _thread.clock = clock
    if clock is not None and kwargs.get("timestamp") is None and len(args) < 3:
        kwargs["timestamp"] = clock.now()
    result: int = _ADD_EVENT(self, context, *args, **kwargs)
    return result


def forking(original: Any) -> Any:
    """`Environment.as_inner_frame_of` (a classmethod; `as_frame_of` goes through it): the frame's clock starts at its
    parent's time."""
    function = original.__func__ if hasattr(original, "__func__") else original

    def as_inner_frame_of(cls: type[Environment], env: Environment, *args: Any, **kwargs: Any) -> Environment:
        frame: Environment = function(cls, env, *args, **kwargs)
        parent = env_clock(env)
        if parent is not None and clock_of(frame.event_history_context) is None:
            keep_time(frame.event_history_context, Clock(parent.offset))
        return frame

    return classmethod(as_inner_frame_of)


def integrate(self: EventHistoryContext, other: EventHistoryContext) -> None:
    """moto's join of a closed frame's event ids, and of its clock."""
    _INTEGRATE(self, other)
    mine, theirs = clock_of(self), clock_of(other)
    if mine is not None and theirs is not None:
        mine.join(theirs)


def waiting(original: Any) -> Any:
    """`WaitFunction._wait_interval`: a mocked execution's Wait moves its clock and returns at once."""

    def _wait_interval(self: Any, env: Environment, wait_seconds: int) -> None:
        clock = env_clock(env)
        if clock is None:
            original(self, env, wait_seconds)
        else:
            clock.advance(wait_seconds)

    return _wait_interval


def counting_from_clock(original: Any) -> Any:
    """`Timestamp._get_wait_seconds`: moto counts from the wall clock; a mocked execution is `offset` ahead of it."""

    def _get_wait_seconds(self: Any, env: Environment) -> int:
        seconds: int = original(self, env)
        clock = env_clock(env)
        return seconds if clock is None else int(seconds - clock.offset)

    return _get_wait_seconds


class RetryTime:
    """The retrier's `time` module: a mocked execution's retry interval moves its clock; any other sleep is scaled
    (production intervals stay in the definition, the local system waits a fraction of them)."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        clock = thread_clock()
        if clock is not None:
            clock.advance(seconds)
        else:
            time.sleep(seconds * self.scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def now_in_thread(tz: datetime.tzinfo | None = None) -> datetime.datetime:
    """What the state module's `datetime.now` answers: the thread's clock in a mocked execution, else the wall's."""
    clock = thread_clock()
    moment = datetime.datetime.now(tz=datetime.UTC) if clock is None else clock.now()
    return moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)


def stopping_at_clock(original: Any) -> Any:
    """`BaseExecutionWorkerCommunication._reflect_execution_status`: the stop date of a mocked execution is its
    clock's."""

    def _reflect_execution_status(self: Any) -> None:
        original(self)
        worker = getattr(self.execution, "exec_worker", None)
        env = getattr(worker, "env", None)
        clock = env_clock(env) if env is not None else None
        if clock is not None:
            self.execution.stop_date = clock.now()

    return _reflect_execution_status
