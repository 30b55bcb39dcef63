"""Figures the safety tests produce (kills injected, hostile rows tried), summed over a run and
printed at its end: the numbers docs/RELIABILITY.md quotes."""

from collections import Counter

COUNTS: Counter[str] = Counter()
MAXIMA: dict[str, float] = {}


def count(name: str, amount: int = 1) -> None:
    COUNTS[name] += amount


def maximum(name: str, value: float) -> None:
    MAXIMA[name] = max(value, MAXIMA.get(name, value))


def lines() -> list[str]:
    return [f"{name}: {value}" for name, value in sorted(COUNTS.items())] + [
        f"{name}: {value:.2f}" for name, value in sorted(MAXIMA.items())
    ]
