"""The one table the suite prints: every figure with its baseline from the same run."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    part: str
    measured: str
    size: str
    median: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None  # None: no target
    why: str = ""  # where a target is missed: why

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        met = {True: "yes", False: "**no**", None: ""}[self.met]
        return [
            self.part, self.measured, self.size, self.median, self.baseline, ratio, self.target,
            met, self.why if self.met is False else "",
        ]  # fmt: skip


HEADER = ["part", "measured", "size", "median", "baseline (same run)", "ratio", "target", "met",
          "why not"]  # fmt: skip


def markdown(rows: list[Row]) -> str:
    lines = [HEADER, ["---"] * len(HEADER)] + [row.cells() for row in rows]
    return "\n".join("| " + " | ".join(cell.replace("|", "/") for cell in line) + " |"
                     for line in lines)  # fmt: skip


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def count(value: float) -> str:
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.0f}"
