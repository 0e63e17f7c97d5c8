"""ProMES effectiveness, as SIMAPRO uses it.

For each indicator the team agrees a contingency: points mapping indicator values to
effectiveness from -100 to +100, the expected level scoring 0. Each period:

- effectiveness of an indicator: linear interpolation between its points, clamped at the ends;
- overall effectiveness: the sum over indicators;
- percent of maximum: 100 x overall / sum of each indicator's best effectiveness;
- priorities: the gain f(x + step) - f(x) of a realistic step, largest first.

Example (defect rate): points (8 %, -60), (4 %, 0), (1 %, +80) give +26.7 at 3 %.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EFFECTIVENESS_MIN, EFFECTIVENESS_MAX = -100.0, 100.0


@dataclass(frozen=True)
class Contingency:
    """Points (indicator value, effectiveness), in any order; at least two distinct values."""

    points: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        if len(self.points) < 2:
            raise ValueError("a contingency needs at least two points")
        values = [value for value, _ in self.points]
        if len(set(values)) != len(values):
            raise ValueError("two points of a contingency share the same indicator value")
        for _, effect in self.points:
            if not EFFECTIVENESS_MIN <= effect <= EFFECTIVENESS_MAX:
                raise ValueError("effectiveness must be between -100 and +100")
        object.__setattr__(self, "points", tuple(sorted(self.points)))

    def effectiveness(self, value: float) -> float:
        points = self.points
        if value <= points[0][0]:
            return points[0][1]
        if value >= points[-1][0]:
            return points[-1][1]
        for (x0, y0), (x1, y1) in itertools.pairwise(points):
            if x0 <= value <= x1:
                return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
        raise AssertionError("unreachable: value lies between the end points")

    @property
    def best(self) -> float:
        return max(effect for _, effect in self.points)

    @classmethod
    def from_levels(
        cls, *, worst: float, expected: float, best: float, worst_effect: float = -100.0,
        best_effect: float = 100.0,
    ) -> Contingency:
        """Three points: the minimum, the expected level (0) and the maximum."""
        return cls(((worst, worst_effect), (expected, 0.0), (best, best_effect)))


@dataclass(frozen=True)
class Indicator:
    key: str
    contingency: Contingency
    step: float  # a realistic improvement in one period, signed in the good direction


@dataclass(frozen=True)
class Score:
    per_indicator: dict[str, float]
    overall: float
    maximum: float

    @property
    def percent_of_maximum(self) -> float | None:
        return 100.0 * self.overall / self.maximum if self.maximum else None


def score(indicators: Iterable[Indicator], values: dict[str, float]) -> Score:
    """Effectiveness of the indicators that have a value this period."""
    per: dict[str, float] = {}
    maximum = 0.0
    for indicator in indicators:
        if indicator.key not in values:
            continue
        per[indicator.key] = indicator.contingency.effectiveness(values[indicator.key])
        maximum += indicator.contingency.best
    return Score(per, sum(per.values()), maximum)


def priorities(
    indicators: Sequence[Indicator], values: dict[str, float]
) -> list[tuple[str, float]]:
    """Indicators ranked by the effectiveness a realistic step would gain, largest first."""
    gains = []
    for indicator in indicators:
        if indicator.key not in values:
            continue
        now = values[indicator.key]
        gain = (indicator.contingency.effectiveness(now + indicator.step)
                - indicator.contingency.effectiveness(now))
        gains.append((indicator.key, gain))
    return sorted(gains, key=lambda item: item[1], reverse=True)
