"""Running independent jobs in a few forked worker processes: each worker is forked once and
takes jobs one after another (a fork of a Django process costs tens of milliseconds), jobs and
results going as length-prefixed pickles through a pair of pipes per worker.

Plain `os.fork` rather than multiprocessing: a Celery prefork worker is a daemonic process, and
multiprocessing refuses to start children from one. A worker never touches the database (its
inherited connection stays unused and is not closed: it leaves with `os._exit`); it returns
what the parent records."""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import selectors
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator

_END = object()
_HEADER = 8  # bytes of length before each message


class WorkerFailed(RuntimeError):
    """A job failed in its worker process (the message carries the worker's traceback)."""


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(_HEADER, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


def _receive(fd: int) -> object:
    """One message, blocking (in a worker)."""

    def exactly(size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    return pickle.loads(exactly(int.from_bytes(exactly(_HEADER), "big")))  # noqa: S301 (ours)


def _serve(fn: Callable, jobs_fd: int, results_fd: int) -> None:
    """A worker's life: run each job it is sent until told to stop (None). A thread takes
    jobs off the pipe as soon as they come, so the parent's write of a queued job (one
    sent ahead, while the worker is busy) never waits for the job in hand to finish."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()

    def take() -> None:
        try:
            # The pipe closed (the parent is gone): stop after the jobs in hand.
            with contextlib.suppress(EOFError, OSError):
                while (job := _receive(jobs_fd)) is not None:
                    jobs.put(job)
        finally:
            jobs.put(None)

    threading.Thread(target=take, name="jobs", daemon=True).start()
    while (job := jobs.get()) is not None:
        try:
            _send(results_fd, ("ok", fn(job)))
        except BaseException:
            _send(results_fd, ("error", traceback.format_exc()))
            return


def _die_with_parent() -> None:
    """Linux: the worker is killed if the process that forked it dies (a Celery hard time
    limit), instead of finishing a shard nobody will record."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Worker:
    def __init__(self, fn: Callable) -> None:
        jobs_read, self.jobs_fd = os.pipe()
        self.results_fd, results_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the worker
            status = 0
            try:
                _die_with_parent()
                os.close(self.jobs_fd)
                os.close(self.results_fd)
                _serve(fn, jobs_read, results_write)
            except BaseException:
                status = 1
            finally:
                os._exit(status)
        os.close(jobs_read)
        os.close(results_write)
        self.buffer = bytearray()
        self.jobs: deque = deque()  # sent, results not yet back: the first is in hand

    def give(self, job) -> None:
        self.jobs.append(job)
        # A worker that has just failed a queued job is gone: its error (or, without one, the
        # end of its results pipe) is what the caller reads next, and raises.
        with contextlib.suppress(BrokenPipeError):
            _send(self.jobs_fd, job)

    def message(self):
        """A whole message read so far, or None."""
        if len(self.buffer) < _HEADER:
            return None
        size = int.from_bytes(self.buffer[:_HEADER], "big")
        if len(self.buffer) < _HEADER + size:
            return None
        data = bytes(self.buffer[_HEADER : _HEADER + size])
        del self.buffer[: _HEADER + size]
        return pickle.loads(data)  # noqa: S301 (our own worker)

    def stop(self, *, kill: bool) -> None:
        with contextlib.suppress(OSError):
            if kill:
                os.kill(self.pid, signal.SIGKILL)
            else:
                _send(self.jobs_fd, None)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        for fd in (self.jobs_fd, self.results_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def run_forked(
    fn: Callable,
    jobs: Iterable,
    *,
    workers: int,
    while_waiting: Callable | None = None,
    ahead: int = 1,
) -> Iterator[tuple[object, object]]:
    """Yield (job, fn(job)) as each job finishes, in at most `workers` worker processes; jobs
    are pulled from `jobs` one at a time. Each worker holds up to `ahead` jobs beyond the one
    it is on, so it goes straight on to the next while this process is busy (recording a
    result, `while_waiting`) instead of waiting to be handed one. The first failure raises
    WorkerFailed; stopping early (or a failure) kills the workers. `while_waiting`: called
    once, in this process, after the first jobs have been handed out."""
    pending = iter(jobs)
    pool: list[_Worker] = []
    selector = selectors.DefaultSelector()
    busy = 0
    clean = False

    def hand_out(worker: _Worker) -> bool:
        job = next(pending, _END)
        if job is _END:
            return False
        worker.give(job)
        return True

    try:
        while len(pool) < max(workers, 1):
            job = next(pending, _END)
            if job is _END:
                break
            worker = _Worker(fn)
            pool.append(worker)
            selector.register(worker.results_fd, selectors.EVENT_READ, worker)
            worker.give(job)
            busy += 1
        # Then the jobs queued ahead, round the workers (each started on its first already).
        for _ in range(max(ahead, 0)):
            for worker in pool:
                if hand_out(worker):
                    busy += 1
        if while_waiting is not None and busy:
            while_waiting()
        while busy:
            for key, _ in selector.select():
                worker = key.data
                chunk = os.read(worker.results_fd, 1 << 20)
                if not chunk:
                    raise WorkerFailed(f"worker {worker.pid} ended without a result")
                worker.buffer += chunk
                while (message := worker.message()) is not None:
                    kind, value = message
                    if kind != "ok":
                        raise WorkerFailed(value)
                    job = worker.jobs.popleft()
                    busy -= 1
                    if hand_out(worker):
                        busy += 1
                    yield job, value
        clean = True
    finally:
        for worker in pool:
            worker.stop(kill=not clean)
        selector.close()
