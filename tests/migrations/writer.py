"""A writer process: application requests in a loop, each timed, until told to stop.

    python -m tests.migrations.writer DATABASE PREVIOUS REVISION --log requests.csv --stop FILE

It connects through PGHOST like the tests, makes the requests of `traffic.operations_across(
PREVIOUS, REVISION)` in turn, one transaction each, and appends one line per request to the log:
start and end (time.monotonic(), comparable across processes on the same machine), operation,
lock timeouts met, and the error that failed it, if any. It sets lock_timeout as a service
should (a request never waits long behind a migration) and retries a request that hit it: that
is the one documented, retryable failure. Any other error fails the request. It stops when the
stop file appears, or after --max-seconds whatever happens.
"""

import argparse
import csv
import random
import time
from pathlib import Path

import psycopg
from psycopg import errors

from tests.migrations import traffic

RETRY_PAUSE = 0.01  # seconds between a lock timeout and the request's next attempt


def run(args: argparse.Namespace) -> None:
    operations = traffic.operations_across(args.previous, args.revision)
    created: dict[str, list] = {}
    deadline = time.monotonic() + args.max_seconds
    with (
        psycopg.connect(dbname=args.database, user="postgres", autocommit=True) as connection,
        Path(args.log).open("w", newline="") as log,
    ):
        connection.execute(f"SET lock_timeout = '{args.lock_timeout}'")
        writer = csv.writer(log)
        index = 0
        while not Path(args.stop).exists() and time.monotonic() < deadline:
            operation = operations[index % len(operations)]
            index += 1
            if operation.needs and not created.get(operation.needs):
                continue
            params = {"id": random.choice(created[operation.needs])} if operation.needs else None
            started, lock_timeouts, failure = time.monotonic(), 0, ""
            while True:
                try:
                    with connection.transaction():
                        cursor = connection.execute(operation.sql, params)
                        if operation.makes:
                            created.setdefault(operation.makes, []).append(cursor.fetchone()[0])
                    break
                except errors.LockNotAvailable:
                    lock_timeouts += 1
                    time.sleep(RETRY_PAUSE)
                except psycopg.Error as error:
                    failure = f"{error.sqlstate}: {str(error).splitlines()[0]}"
                    break
            writer.writerow(
                [
                    f"{started:.6f}",
                    f"{time.monotonic():.6f}",
                    operation.name,
                    lock_timeouts,
                    failure,
                ]
            )
            log.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("previous")
    parser.add_argument("revision")
    parser.add_argument("--log", required=True)
    parser.add_argument("--stop", required=True)
    parser.add_argument("--lock-timeout", default="1s")
    parser.add_argument("--max-seconds", type=float, default=600)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
