"""ProMES effectiveness: interpolation, clamping, the overall score, percent of maximum and
priorities."""

from __future__ import annotations

import pytest

from bot.services.promes import Contingency, Indicator, priorities, score

DEFECTS = Contingency(((8.0, -60.0), (4.0, 0.0), (1.0, 80.0)))


def test_defect_rate_example_from_the_brief():
    assert DEFECTS.effectiveness(3.0) == pytest.approx(26.667, abs=0.001)
    assert round(DEFECTS.effectiveness(3.0), 1) == 26.7
    assert DEFECTS.effectiveness(4.0) == 0.0
    assert DEFECTS.effectiveness(6.0) == pytest.approx(-30.0)


@pytest.mark.parametrize(("value", "expected"), [(12.0, -60.0), (8.0, -60.0), (0.5, 80.0),
                                                 (0.0, 80.0), (1.0, 80.0)])
def test_values_outside_the_points_are_clamped(value, expected):
    assert DEFECTS.effectiveness(value) == expected


def test_overall_score_and_percent_of_maximum_over_three_indicators():
    indicators = [
        Indicator("defects", DEFECTS, step=-1.0),
        Indicator("on_time", Contingency.from_levels(worst=70, expected=90, best=100,
                                                     worst_effect=-80, best_effect=100),
                  step=2.0),
        Indicator("absenteeism", Contingency(((10.0, -50.0), (5.0, 0.0), (2.0, 50.0))),
                  step=-0.5),
    ]
    values = {"defects": 3.0, "on_time": 95.0, "absenteeism": 6.0}
    result = score(indicators, values)
    assert result.per_indicator == pytest.approx(
        {"defects": 26.667, "on_time": 50.0, "absenteeism": -10.0}, abs=0.001)
    assert result.overall == pytest.approx(66.667, abs=0.001)
    assert result.maximum == 80 + 100 + 50
    assert result.percent_of_maximum == pytest.approx(100 * 66.667 / 230, abs=0.001)

    ranked = priorities(indicators, values)
    # One step: defects 3 -> 2 gains 26.7; on-time 95 -> 97 gains 20; absenteeism 6 -> 5.5
    # gains 5.
    assert [key for key, _gain in ranked] == ["defects", "on_time", "absenteeism"]
    assert ranked[0][1] == pytest.approx(26.667, abs=0.001)


def test_a_period_without_a_value_is_left_out():
    indicators = [Indicator("defects", DEFECTS, step=-1.0)]
    assert score(indicators, {}).overall == 0 and score(indicators, {}).percent_of_maximum is None


@pytest.mark.parametrize("points", [((1.0, 0.0),), ((1.0, 0.0), (1.0, 10.0)),
                                    ((1.0, 0.0), (2.0, 150.0))])
def test_bad_contingencies_are_refused(points):
    with pytest.raises(ValueError):
        Contingency(points)
