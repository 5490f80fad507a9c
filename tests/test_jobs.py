"""``--jobs N``: the same data for any number of workers, and failures that stay one line.

Real processes on fresh databases of the suite's vendor (temporary SQLite files, new databases
on the PostgreSQL or MariaDB/MySQL server): ``migrate``, then the fixed heavy build of
``test_identical_data`` with ``--jobs 1``, ``2`` and ``4``, one after another. The dumps are
compared whole, primary keys included (``dumpdata``), and each build's pk-independent fingerprint
must be the pinned one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from mentara_seed.jobs import MIN_CHUNK_GAPS, chunks_of, validate_jobs
from tests.test_identical_data import FINGERPRINT, MODE, SCALE, SEED
from tests.test_reliability import fresh_databases, sigint_as_at_a_terminal, subprocess_env

ROOT = Path(__file__).resolve().parent.parent
NOW_ISO = "2026-01-15T12:00:00Z"  # tests.conftest.NOW, which the pinned fingerprint used
JOBS = ("1", "2", "4")
#: Steps whose fills are @parallel and large enough at heavy x1 to be shared.
SHARED_STEPS = ("mentara.Client.comments", "mentara.Client.conversations", "mentara.Client.posts")

FINGERPRINT_SCRIPT = """
import django
django.setup()
from tests.conftest import content_dump
from tests.test_identical_data import fingerprint
print(fingerprint(content_dump()))
"""


def env_for(url: str, **extra: str) -> dict[str, str]:
    """The settings of the pinned build (the test settings, DEBUG off as under pytest: seeded
    users get the unusable password) on ``url``."""
    return {
        **subprocess_env(url),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DJANGO_DEBUG": "0",
        **extra,
    }


def manage(url: str, *args: str) -> str:
    return python(
        url,
        "from django.core.management import execute_from_command_line\n"
        f"execute_from_command_line({['manage.py', *args]!r})",
    )


def python(url: str, script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env_for(url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


@pytest.fixture(scope="module")
def builds() -> Iterator[dict[str, SimpleNamespace]]:
    with fresh_databases(len(JOBS), migrate=False) as urls:
        found = {}
        # One after another: each build's workers have the machine's cores to themselves.
        for jobs, url in zip(JOBS, urls, strict=True):
            manage(url, "migrate", "-v0")
            report = manage(
                url,
                *("seed_dynamic", "--mode", MODE, "--scale", str(SCALE), "--seed", str(SEED)),
                *("--now", NOW_ISO, "--jobs", jobs, "--strict", "-v3", "--no-color"),
            )
            found[jobs] = SimpleNamespace(
                report=report,
                dump=manage(url, "dumpdata", "mentara", "--indent", "0"),
                fingerprint=python(url, FINGERPRINT_SCRIPT),
            )
        yield found


def step_line(report: str, step_id: str) -> str:
    lines = report.splitlines()
    return next(line for line in lines if line.strip().split(" ")[0].rstrip(":") == step_id)


def test_jobs_2_and_4_write_the_same_rows_with_the_same_keys(builds) -> None:
    serial = builds["1"].dump
    assert serial.count('"model": "mentara.comment"') > 10_000
    for jobs in ("2", "4"):
        assert builds[jobs].dump == serial, f"--jobs {jobs} wrote other data than --jobs 1"


def test_every_build_has_the_pinned_fingerprint(builds) -> None:
    for jobs in JOBS:
        assert builds[jobs].fingerprint == FINGERPRINT, f"--jobs {jobs}"


def test_the_large_parallel_steps_ran_in_workers(builds) -> None:
    """The comparison above means something only if the workers made those rows."""
    assert "workers" not in builds["1"].report
    for jobs in ("2", "4"):
        for step_id in SHARED_STEPS:
            assert step_line(builds[jobs].report, step_id).endswith(f" by {jobs} workers")
    # Steps that balance load or claim unique values stay in the parent.
    for step_id in ("mentara.Therapist.clients", "mentara.Client.population"):
        assert "workers" not in step_line(builds["4"].report, step_id)


# Chunks and the jobs option -------------------------------------------------------------------


def gaps(*missing: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(pk=index, missing=n) for index, n in enumerate(missing)]


def test_chunks_keep_every_gap_once_in_order() -> None:
    items = gaps(*([1] * 50 + [40] * 10 + [3] * 100))
    chunks = chunks_of(items, 4)
    assert 2 < len(chunks) <= 4 * 6
    assert [gap for chunk in chunks for gap in chunk] == items
    rows = [sum(gap.missing for gap in chunk) for chunk in chunks]
    assert max(rows) <= 2 * (sum(rows) / len(rows)) + 40  # balanced by rows, not by gaps


def test_too_few_gaps_stay_in_one_chunk() -> None:
    assert chunks_of(gaps(*([5] * (2 * MIN_CHUNK_GAPS - 1))), 4) == [
        gaps(*([5] * (2 * MIN_CHUNK_GAPS - 1)))
    ]
    assert len(chunks_of(gaps(*([5] * 100)), 1)) == 1


def test_jobs_values() -> None:
    assert validate_jobs(1) == 1
    assert validate_jobs("64") == 64
    assert 1 <= validate_jobs("auto") <= 64
    assert validate_jobs("auto") == min(len(os.sched_getaffinity(0)), 64)


# A worker that dies, and Ctrl-C, while workers run ---------------------------------------------

#: The heavy build, with the client comments' fill replaced: each worker writes its pid to a
#: file, then one of them dies (``exit``), every one waits (``wait``), or every one naps and then
#: fills as usual (``nap``). ``SIGINT_IGNORED`` starts the run with SIGINT ignored,
#: ``SIGINT_KILLS`` with SIGINT's default action (the process dies of it, with no clean-up).
FAILING_RUN = """
import os, signal, sys, time
import django
django.setup()
from mentara_seed import parallel
from project.mentara import seeding

if os.environ.get("SIGINT_IGNORED"):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a script's background job has it
if os.environ.get("SIGINT_KILLS"):
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a host program that dies of Ctrl-C

PARENT = os.getpid()
PIDS = os.environ["PIDS"]
original = seeding.ClientSeeder.fill_comments

@parallel(prepare=original.mentara_parallel_prepare)
def fill_comments(self, ctx, gaps):
    if os.getpid() == PARENT:
        raise AssertionError("the fill ran in the parent")
    with open(os.path.join(PIDS, str(os.getpid())), "w"):
        pass
    if os.environ["HOW"] == "exit":
        try:  # exactly one worker dies, whichever gets here first
            os.close(os.open(os.path.join(PIDS, "..", "died"), os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            pass
        else:
            os._exit(3)
    if os.environ["HOW"] == "nap":
        time.sleep(3)
        return original(self, ctx, gaps)
    time.sleep(60)

seeding.ClientSeeder.fill_comments = fill_comments
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "seed_dynamic", "--mode", "heavy", "--seed", "15",
                           "--now", "2026-01-15T12:00:00Z", "--jobs", "2", "-v0"])
"""

COUNT_COMMENTS = """
import django
django.setup()
from project.mentara.models import Comment, Post
print(Comment.objects.count(), Post.objects.count())
"""


def start_failing_run(url: str, how: str, pids: str, **env: str) -> subprocess.Popen[str]:
    with sigint_as_at_a_terminal():
        return subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(FAILING_RUN)],
            cwd=ROOT,
            env=env_for(url, HOW=how, PIDS=pids, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )


def wait_for_both_workers(run: subprocess.Popen[str], pids: str) -> None:
    """Until both workers of the run are inside the fill (each wrote its pid)."""
    deadline = time.monotonic() + 120
    while len(os.listdir(pids)) < 2 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(os.listdir(pids)) == 2, run.communicate()[1][-2000:]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_failed_in_one_line(err: str, cause: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-3000:]
    assert lines[0].startswith("CommandError: step mentara.Client.comments failed on database")
    assert cause in lines[0]
    assert "this step was rolled back" in lines[0]


@pytest.fixture
def failing_database() -> Iterator[str]:
    with fresh_databases(1, migrate=False) as (url,):
        manage(url, "migrate", "-v0")
        yield url


def test_a_worker_that_dies_fails_the_step_in_one_line(failing_database: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        pids = os.path.join(directory, "pids")
        os.mkdir(pids)
        run = start_failing_run(failing_database, "exit", pids)
        _out, err = run.communicate(timeout=120)  # the other worker's 60 s wait is cut short
        assert run.returncode == 1
        assert_failed_in_one_line(err, "WorkerFailed: a worker process of 2")
        workers = [int(name) for name in os.listdir(pids)]
        assert workers and not any(alive(pid) for pid in workers)
    comments, posts = python(failing_database, COUNT_COMMENTS).split()
    assert comments == "0" and int(posts) > 0  # the earlier steps were kept


def test_ctrl_c_while_workers_run_fails_the_step_in_one_line(failing_database: str) -> None:
    with tempfile.TemporaryDirectory() as pids:
        run = start_failing_run(failing_database, "wait", pids)
        wait_for_both_workers(run, pids)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _out, err = run.communicate(timeout=60)
        assert run.returncode == 128 + signal.SIGINT, err[-3000:]
        assert_failed_in_one_line(err, "interrupted by SIGINT")
        workers = [int(name) for name in os.listdir(pids)]
        assert not any(alive(pid) for pid in workers)
    comments, _posts = python(failing_database, COUNT_COMMENTS).split()
    assert comments == "0"


def test_ctrl_c_is_left_to_the_parent_and_ignored_where_the_parent_ignores_it(
    failing_database: str,
) -> None:
    """A run started with SIGINT ignored (a script's background job, ``nohup``) goes on when the
    group gets one: its workers ignore it too instead of dying of it and failing the step."""
    with tempfile.TemporaryDirectory() as pids:
        run = start_failing_run(failing_database, "nap", pids, SIGINT_IGNORED="1")
        wait_for_both_workers(run, pids)
        os.killpg(run.pid, signal.SIGINT)
        _out, err = run.communicate(timeout=180)
        assert run.returncode == 0, err[-3000:]
    comments, _posts = python(failing_database, COUNT_COMMENTS).split()
    assert int(comments) > 0


@pytest.mark.skipif(sys.platform != "linux", reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_workers_end_when_their_parent_dies_without_stopping_them(failing_database: str) -> None:
    """A parent that dies of Ctrl-C outright (a host program that keeps SIGINT's default) runs
    no clean-up: its workers, which leave Ctrl-C to it, still end instead of waiting forever."""
    with tempfile.TemporaryDirectory() as pids:
        run = start_failing_run(failing_database, "wait", pids, SIGINT_KILLS="1")
        wait_for_both_workers(run, pids)
        os.killpg(run.pid, signal.SIGINT)
        run.communicate(timeout=60)
        assert run.returncode == -signal.SIGINT  # died of it, as that program does
        workers = [int(name) for name in os.listdir(pids)]
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in workers if alive(pid)]
        for pid in left:  # not to leave them behind when the assertion fails
            os.kill(pid, signal.SIGKILL)
        assert not left
