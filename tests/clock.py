"""The clock moved: the test process and its embedded server agree on a moment that is not now.

libfaketime (shipped by the `libfaketime` wheel) is preloaded into pytest and, through the
environment, into the server the session starts. Both read their offset from real time from one
file and read it again at most a second later (FAKETIME_CACHE_DURATION), so:

- `make test` ends with `python -m tests.clock`: the tests marked `calendar` once more at each
  moment of MOMENTS (a month, a year, ten years ahead; the last seconds of a month and of a
  year), each on a server of its own started with the clock already there;
- inside such a run, the `clock` fixture moves the clock of both mid-test (a migration in the
  last second of a month, months without maintenance). Outside one it skips.

The monotonic clock is left alone: timeouts and sleeps keep real durations.
"""

import calendar
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

OFFSET_FILE = "FAKETIME_TIMESTAMP_FILE"
LIBRARY = "libfaketime.so.1"
CACHE_SECONDS = 1
# A process reads the file again once a whole second of its cache has passed: within two.
SETTLE_SECONDS = 2 * CACHE_SECONDS + 0.1

# The tests run again at each of these, as functions of the real moment the run starts.
MOMENTS = {
    "a month ahead": lambda now: add_months(now, 1),
    "a year ahead": lambda now: add_months(now, 12),
    "ten years ahead": lambda now: add_months(now, 120),
    # The session's server starts and migrates its templates at the end of one day; the tests
    # run on either side of midnight.
    "the last seconds of next month": lambda now: last_seconds(add_months(now, 1)),
    "the last seconds of the year": lambda now: last_seconds(now.replace(month=12)),
}


def add_months(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.month - 1 + months, 12)
    year, month = moment.year + year, month + 1
    return moment.replace(year=year, month=month, day=min(moment.day, last_day(year, month)))


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def last_seconds(moment: datetime) -> datetime:
    """Two seconds before the end of `moment`'s month."""
    end = moment.replace(day=last_day(moment.year, moment.month), hour=23, minute=59, second=58)
    return end.replace(microsecond=0)


def library() -> Path:
    import libfaketime

    return Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / LIBRARY


class Clock:
    """Moves the clock of this process and of the server it started (both read OFFSET_FILE)."""

    def __init__(self, offset_file: Path):
        self.offset_file = offset_file
        self.initial = float(offset_file.read_text())
        # Real time, from the monotonic clock libfaketime leaves alone.
        self._real_at, self._monotonic_at = time.time() - self.initial, time.monotonic()

    @classmethod
    def of_this_process(cls) -> "Clock | None":
        """The clock, if this process runs under the moved clock (`python -m tests.clock`)."""
        path, preload = os.environ.get(OFFSET_FILE), os.environ.get("LD_PRELOAD", "")
        return cls(Path(path)) if path and Path(preload).name == LIBRARY else None

    def move_to(self, moment: datetime) -> None:
        """From when this returns, it is `moment` for this process and the server, clock running."""
        real_now = self._real_at + time.monotonic() - self._monotonic_at
        self._write(moment.timestamp() - SETTLE_SECONDS - real_now)

    def restore(self) -> None:
        self._write(self.initial)

    def _write(self, offset: float) -> None:
        self.offset_file.write_text(f"{offset:+.6f}\n")
        time.sleep(SETTLE_SECONDS)


def environment(offset_file: Path, preload: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LD_PRELOAD": str(preload),
        OFFSET_FILE: str(offset_file),
        "FAKETIME_CACHE_DURATION": str(CACHE_SECONDS),
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


def start_at(moment: datetime, workdir: Path, args: list[str]) -> subprocess.Popen:
    """pytest on the `calendar` tests, at `moment`, with a server of its own."""
    offset_file = workdir / f"offset-{moment:%Y%m%d%H%M%S}"
    offset_file.write_text(f"{moment.timestamp() - time.time():+.6f}\n")
    offset_file.chmod(0o644)  # the server runs as another system user when we are root
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-m", "calendar", "-q", "-p", "no:cacheprovider", *args],
        env=environment(offset_file, workdir / LIBRARY),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def main(argv: list[str]) -> int:
    """Runs the `calendar` tests at every moment of MOMENTS, side by side (they mostly wait for
    the clock); non-zero if any fails."""
    now = datetime.now(UTC)
    # A directory every user can read: the server runs as another system user when we are root,
    # and a checkout (or a clean clone in a private temporary directory) may be closed to it.
    workdir = Path(tempfile.mkdtemp(prefix="therapy-db-clock-"))
    try:
        workdir.chmod(0o755)
        shutil.copy(library(), workdir / LIBRARY)
        print(f"the calendar tests again, with the clock moved (it is {now:%Y-%m-%d %H:%M} UTC):")
        started = time.monotonic()
        runs = {name: (at(now), start_at(at(now), workdir, argv)) for name, at in MOMENTS.items()}
        failed = 0
        for name, (moment, run) in runs.items():
            output, _ = run.communicate()
            summary = (output.strip().splitlines() or ["no output"])[-1].strip("= ")
            print(f"  {name:<32}{moment:%Y-%m-%d %H:%M:%S}  {summary}")
            if run.returncode != 0:
                failed += 1
                print(output[-8000:])
        print(
            f"  {len(runs) - failed} of {len(runs)} moments passed in "
            f"{time.monotonic() - started:.0f} s"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
