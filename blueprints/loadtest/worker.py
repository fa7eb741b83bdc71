"""The locust side of a load test, run as its own process: `python -m blueprints.loadtest.worker < plan.json`.

Importing locust monkey-patches the interpreter for gevent, so it happens only here, never in the process that
asked for the run (`blueprints.loadtest.runner` starts this one). Locust users send chat completions, streaming
(each content chunk timed) or not; each finished request goes back as one JSON line on stdout (`protocol`).
"""

from __future__ import annotations

# Before anything that may load ssl or socket: importing locust applies gevent's monkey-patching.
import locust  # isort: split

import collections
import itertools
import os
import random
import sys
import time
import traceback
from dataclasses import dataclass
from typing import IO, Any

import gevent
import requests
from gevent.queue import Queue
from locust.env import Environment
from locust.exception import StopUser

from blueprints.loadtest.protocol import Endpoint, Heartbeat, RequestSample, WorkerPlan
from blueprints.loadtest.sse import StreamResult, read_stream
from blueprints.loadtest.workload import PoissonArrivals, build_prompt

SHUTDOWN_GRACE_S = 5.0
"""After the last request's timeout, how long the run may take to wind down before it is cut."""
POLL_S = 0.02


@dataclass(frozen=True)
class Ticket:
    """One request to send."""

    index: int
    endpoint: Endpoint
    prompt: str
    input_tokens: int
    max_tokens: int
    arrival_s: float
    """When it was due, on the run's clock."""


class Dispatcher:
    """Hands requests to the locust users until the run's bounds are reached, and writes back what returns.

    All of it runs on one OS thread under gevent, so the counters need no locks."""

    def __init__(self, plan: WorkerPlan, out: IO[str]) -> None:
        self.plan = plan
        self.workload = plan.workload
        self.out = out
        self.issued = 0
        self.completed = 0
        self.issuing_done = False
        self.fatal: str | None = None
        self._last_beat: tuple[int, int] | None = None
        self._lengths = random.Random(self.workload.seed)
        self._shape: tuple[str, int, int] = ("", 0, 0)
        self._queue: Queue[Ticket | None] | None = (
            Queue() if isinstance(self.workload.arrivals, PoissonArrivals) else None
        )
        self._started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    @property
    def finished(self) -> bool:
        return self.fatal is not None or (self.issuing_done and self.completed == self.issued)

    def _make(self, arrival_s: float) -> Ticket:
        endpoints = self.plan.endpoints
        turn = self.issued % len(endpoints)
        if turn == 0:  # a new shape; the other endpoints get the same one
            input_tokens = self.workload.input_tokens.sample(self._lengths)
            max_tokens = self.workload.output_tokens.sample(self._lengths)
            self._shape = (build_prompt(self._lengths, input_tokens), input_tokens, max_tokens)
        prompt, input_tokens, max_tokens = self._shape
        ticket = Ticket(self.issued, endpoints[turn], prompt, input_tokens, max_tokens, arrival_s)
        self.issued += 1
        return ticket

    def take(self) -> Ticket | None:
        """The next request for a user, or None when the run issues no more."""
        if self._queue is not None:
            return self._queue.get()
        if self.issued >= self.workload.max_requests or self.elapsed() >= self.workload.duration_s:
            self.issuing_done = True
            return None
        return self._make(self.elapsed())

    def schedule(self, arrivals: PoissonArrivals) -> None:
        """Open loop: put requests on the queue at Poisson arrival times (own random stream, so the arrival
        times do not change the drawn lengths), then one stop marker per user."""
        assert self._queue is not None
        gaps = random.Random(self.workload.seed + 1)
        due_s = 0.0
        while self.issued < self.workload.max_requests:
            due_s += gaps.expovariate(arrivals.rate_rps)
            if due_s >= self.workload.duration_s:
                break
            gevent.sleep(max(0.0, due_s - self.elapsed()))
            self._queue.put(self._make(due_s))
        self.issuing_done = True
        for _ in range(arrivals.users):
            self._queue.put(None)

    def finish(self, sample: RequestSample) -> None:
        self.completed += 1
        self._write(sample)

    def heartbeat(self, *, unless_unchanged: bool = False) -> None:
        """Report the run's state; with `unless_unchanged`, only if requests were issued or finished since."""
        state = (self.issued, self.completed)
        if unless_unchanged and state == self._last_beat:
            return
        self._last_beat = state
        in_flight = self.issued - self.completed
        self._write(Heartbeat(elapsed_s=self.elapsed(), issued=self.issued, in_flight=in_flight))

    def on_user_error(self, user_instance: Any, exception: Exception, tb: Any, **_: Any) -> None:
        self.fatal = "".join(traceback.format_exception(type(exception), exception, tb))

    def _write(self, message: RequestSample | Heartbeat) -> None:
        self.out.write(message.model_dump_json() + "\n")
        self.out.flush()


def _http_error(response: Any) -> str:
    status = response.status_code or 0
    if status == 0:
        error = getattr(response, "error", None)
        return f"connection: {error}"[:300]
    return f"HTTP {status}: {(response.text or '').strip()[:200]}"


def _read_answer(response: Any) -> StreamResult:
    """A whole (non-streamed) answer: its content counts as arriving when the body has been read."""
    result = StreamResult(done=True)
    try:
        answer = response.json()
    except ValueError:
        result.error = f"malformed answer: {(response.text or '')[:80]!r}"
        return result
    choices = answer.get("choices") or [{}]
    message = choices[0].get("message") or {}
    usage = answer.get("usage") or {}
    if isinstance(usage.get("completion_tokens"), int):
        result.usage_tokens = usage["completion_tokens"]
    if not (message.get("content") or choices[0].get("text")):
        result.error = "answer carried no content"
    return result


def send(client: requests.Session, ticket: Ticket, dispatcher: Dispatcher) -> RequestSample:
    """Send one chat completion (streaming unless the workload says otherwise) and time it."""
    workload = dispatcher.workload
    endpoint = ticket.endpoint
    body: dict[str, Any] = {
        "model": endpoint.model,
        "messages": [{"role": "user", "content": ticket.prompt}],
        "max_tokens": ticket.max_tokens,
    }
    if workload.stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    if workload.ignore_eos:
        body["ignore_eos"] = True
    headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
    start_s = dispatcher.elapsed()
    started = time.perf_counter()
    result = StreamResult()
    with client.post(
        endpoint.chat_url, json=body, headers=headers, stream=workload.stream, catch_response=True,
        name=endpoint.name, timeout=workload.request_timeout_s,
    ) as response:
        status = response.status_code or 0
        if status != 200:
            error: str | None = _http_error(response)
        elif not workload.stream:
            result = _read_answer(response)
            error = result.error
        else:
            chunks = response.iter_content(chunk_size=None)
            try:
                result = read_stream(chunks, time.perf_counter, started + workload.request_timeout_s)
                if result.done:
                    collections.deque(chunks, maxlen=0)  # read the stream's end so the connection is reused
            except (requests.RequestException, OSError) as exc:
                result.error = f"{type(exc).__name__}: {exc}"[:300]
            error = result.error or (None if result.token_times else "stream carried no content")
        e2e_s = time.perf_counter() - started
        if error:
            response.failure(error)
        else:
            response.success()
        if status:  # without a response (connection error) there is nothing to release
            response.close()
    times = result.token_times
    return RequestSample(
        endpoint=endpoint.name,
        index=ticket.index,
        start_s=start_s,
        dispatch_lag_s=max(0.0, start_s - ticket.arrival_s),
        input_tokens=ticket.input_tokens,
        max_tokens=ticket.max_tokens,
        ok=error is None,
        error=error,
        status=status,
        ttft_s=times[0] - started if times else None,
        e2e_s=e2e_s,
        output_tokens=result.output_tokens,
        itl_s=[later - earlier for earlier, later in itertools.pairwise(times)],
    )


def user_class(dispatcher: Dispatcher) -> type[locust.HttpUser]:
    class ChatCompletionsUser(locust.HttpUser):
        host = dispatcher.plan.endpoints[0].chat_url
        wait_time = locust.constant(0)

        @locust.task
        def chat(self) -> None:
            ticket = dispatcher.take()
            if ticket is None:
                raise StopUser()
            dispatcher.finish(send(self.client, ticket, dispatcher))

    return ChatCompletionsUser


def run(plan: WorkerPlan, out: IO[str]) -> str | None:
    """Run the plan to its end; return a traceback if a user crashed, else None."""
    dispatcher = Dispatcher(plan, out)
    workload = plan.workload
    environment = Environment(user_classes=[user_class(dispatcher)], catch_exceptions=False)
    environment.events.user_error.add_listener(dispatcher.on_user_error)
    runner = environment.create_local_runner()
    arrivals = workload.arrivals
    if isinstance(arrivals, PoissonArrivals):
        gevent.spawn(dispatcher.schedule, arrivals)
    runner.start(arrivals.users, spawn_rate=arrivals.users)
    cut_s = workload.duration_s + workload.request_timeout_s + SHUTDOWN_GRACE_S
    next_beat_s = plan.heartbeat_s
    while not dispatcher.finished and dispatcher.elapsed() < cut_s:
        gevent.sleep(POLL_S)
        if dispatcher.elapsed() >= next_beat_s:
            dispatcher.heartbeat()
            next_beat_s += plan.heartbeat_s
    runner.quit()
    dispatcher.heartbeat(unless_unchanged=True)
    return dispatcher.fatal


def main() -> int:
    plan = WorkerPlan.model_validate_json(sys.stdin.read())
    # Messages own the real stdout; anything else printed here (locust, gevent) goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    fatal = run(plan, out)
    out.close()
    if fatal:
        print(f"load generator crashed:\n{fatal}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
