"""The first question offers a close runner-up in one tap; the simulator counts taps right."""

from __future__ import annotations

from nlp.asking import AskingRule, Question, mean_taps, taps, tune_rule
from nlp.taxonomy import FACTOR_IDS

HALF = dict.fromkeys(FACTOR_IDS, 0.5)


def scores(**given: float) -> dict[str, float]:
    return {f: given.get(f, 0.01) for f in FACTOR_IDS}


def test_taps_follow_the_flow() -> None:
    plain = Question(("staff",))
    assert taps(plain, frozenset({"staff"})) == 1  # Yes
    assert taps(plain, frozenset({"staff", "rent_premises"})) == 3  # Change, tick, Done
    assert taps(plain, frozenset()) == 2  # Change, None of these
    assert taps(plain, frozenset({"rent_premises"})) == 4  # Change, untick, tick, Done
    picker = Question(())
    assert taps(picker, frozenset()) == 1  # None of these
    assert taps(picker, frozenset({"staff"})) == 2  # tick, Done
    also = Question(("staff",), ("rent_premises", "staff"))
    assert taps(also, frozenset({"staff", "rent_premises"})) == 1
    assert taps(also, frozenset({"staff"})) == 1
    assert taps(also, frozenset({"admin_tax"})) == 4
    maybe = Question((), ("staff",))
    assert taps(maybe, frozenset({"staff"})) == 1
    assert taps(maybe, frozenset()) == 1
    assert taps(maybe, frozenset({"admin_tax"})) == 3  # Choose, tick, Done


def test_a_close_runner_up_is_offered_and_a_far_one_is_not() -> None:
    rule = AskingRule("add", 0.6)
    close = rule.ask(scores(staff=0.9, rent_premises=0.35), HALF)
    assert close == Question(("staff",), ("staff", "rent_premises"))
    assert close.suggested == "rent_premises"
    far = rule.ask(scores(staff=0.9, rent_premises=0.2), HALF)
    assert far == Question(("staff",))
    two = rule.ask(scores(staff=0.9, admin_tax=0.6, rent_premises=0.4), HALF)
    assert two == Question(("staff", "admin_tax"), ("staff", "admin_tax", "rent_premises"))
    nothing_sure = rule.ask(scores(rent_premises=0.4), HALF)
    assert nothing_sure == Question((), ("rent_premises",))
    assert AskingRule().ask(scores(staff=0.9, rent_premises=0.45), HALF) == Question(("staff",))


def test_tuning_keeps_the_plain_question_when_offering_does_not_help() -> None:
    # The runner-up is always wrong: offering it saves nothing.
    data = [scores(staff=0.9, rent_premises=0.4)] * 10
    gold = [frozenset({"staff"})] * 10
    assert tune_rule(data, gold, HALF) == AskingRule()
    # The runner-up is right half the time: one tap instead of three for those.
    gold = [
        frozenset({"staff", "rent_premises"}) if i % 2 else frozenset({"staff"}) for i in range(10)
    ]
    rule = tune_rule(data, gold, HALF)
    assert rule.mode == "add" and rule.ratio <= 0.8
    assert mean_taps(rule, data, gold, HALF) == 1.0
    assert mean_taps(AskingRule(), data, gold, HALF) == 2.0


def test_rules_round_trip_through_the_model_metadata() -> None:
    rule = AskingRule("add", 0.55)
    assert AskingRule.from_meta(rule.as_meta()) == rule
    assert AskingRule.from_meta(None) == AskingRule()
    assert AskingRule.from_meta({"mode": "bogus", "ratio": 0.5}) == AskingRule()
