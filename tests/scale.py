"""How big the safety tests run: the CI size in `make test`, bigger in `make soak`.

`make soak` sets THERAPY_DB_SOAK=1: more data (so each statement a run is killed in lasts
longer), more kill points, more hypothesis examples. Nothing else changes.
"""

import os

SOAK = os.environ.get("THERAPY_DB_SOAK", "") not in ("", "0")


def size(ci: int, soak: int) -> int:
    return soak if SOAK else ci
