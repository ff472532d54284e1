"""`practice serve`: the web server and one background worker, started and stopped together,
so that the default install still runs with one command (`make run`)."""

import gc
import signal
import subprocess
import sys
import time

from flask import Flask
from sqlalchemy.orm import configure_mappers


def serve_commands(host: str, port: int, web_processes: int) -> list[list[str]]:
    return [
        [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_processes),
         "--access-logfile", "-", "practice.wsgi:app"],
        [sys.executable, "-m", "practice", "worker"],
    ]


FULL_COLLECTION_EVERY = 100  # collections of the middle generation (Python's default: 10)


def frozen(app: Flask) -> Flask:
    """The app, once its process has built it, taken out of the garbage collector's walks.

    A server process keeps what it built for its whole life (modules, routes, the models'
    mappers, a few hundred thousand objects), and a large page allocates enough to set off
    full collections, each of which walked all of it (most of a busy day's collection time).
    Frozen, they are never walked again: a full collection walks what was made since.
    Called by each process that serves the app (practice.wsgi, `practice worker`, the
    benchmark's site) right after building it; never in tests, as nothing frozen is freed."""
    configure_mappers()  # done at the first query otherwise, and kept for good: frozen with the rest
    gc.collect()  # frozen garbage would never be freed
    gc.freeze()
    # What the first requests build and keep (compiled statements and templates, some 50,000
    # objects) is not frozen, and a full collection walking it still takes about 20 ms: a full
    # collection after 100 of the middle generation instead of 10 took Today's collection time
    # on the large practice from about 8 ms a request to 3 (cyclic garbage that reached the
    # oldest generation waits longer; little does, a request's objects are freed by their counts).
    youngest, middle, _ = gc.get_threshold()
    gc.set_threshold(youngest, middle, FULL_COLLECTION_EVERY)
    return app


def supervise(commands: list[list[str]], *, grace: float = 30.0, poll: float = 0.5) -> int:
    """Run the commands side by side until one of them ends or this process gets SIGINT
    (Ctrl-C) or SIGTERM; then stop the others with SIGTERM (a worker finishes the job in
    hand), and kill whatever is still running after `grace` seconds.

    Returns 0 when asked to stop, else the exit status of the command that ended first."""
    asked = []
    previous = {number: signal.signal(number, lambda signum, frame: asked.append(signum))
                for number in (signal.SIGINT, signal.SIGTERM)}
    # Own process groups: Ctrl-C in the terminal reaches this process only, which then
    # asks each child once (a worker would take a second signal as "stop at once").
    processes, ended = [], []
    try:
        processes = [subprocess.Popen(command, process_group=0) for command in commands]
        while not asked and not ended:
            time.sleep(poll)
            ended = [process for process in processes if process.poll() is not None]
    finally:
        _stop(processes, grace)
        for number, handler in previous.items():
            signal.signal(number, handler)
    if asked or not ended:
        return 0
    # Both should run until asked to stop: one ending by itself is a failure, whatever it says.
    return ended[0].returncode or 1


def _stop(processes: list[subprocess.Popen], grace: float) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
