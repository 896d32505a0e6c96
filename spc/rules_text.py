"""Each rule in plain words, for the chart settings, violation log and alerts."""

NELSON_RULE_NAMES: dict[int, str] = {
    1: "Beyond 3σ",
    2: "9 in a row on one side",
    3: "6 in a row trending",
    4: "14 in a row alternating",
    5: "2 of 3 beyond 2σ",
    6: "4 of 5 beyond 1σ",
    7: "15 in a row within 1σ",
    8: "8 in a row beyond 1σ",
}

NELSON_RULE_EXPLANATIONS: dict[int, str] = {
    1: "One point is further than 3 standard deviations from the centre line: something "
    "unusual happened at that moment (an outage, a cold start, a huge prompt).",
    2: "Nine points in a row sit on the same side of the centre line: the process level has "
    "shifted (a new model version, a slower region, a changed prompt).",
    3: "Six points in a row keep rising (or falling): a drift is under way, such as a queue "
    "slowly building up or a cache warming.",
    4: "Fourteen points in a row alternate up and down: two sources are taking turns, such "
    "as two replicas or two models behind one endpoint.",
    5: "Two of three points in a row are beyond 2σ on the same side: an early sign of a "
    "shift, before any point crosses the 3σ limit.",
    6: "Four of five points in a row are beyond 1σ on the same side: a small but real shift.",
    7: "Fifteen points in a row hug the centre line: the variation dropped, which can mean "
    "cached answers, a stubbed dependency, or limits computed from a noisier baseline.",
    8: "Eight points in a row avoid the centre band, on either side: a mixture of two "
    "behaviours, such as fast cache hits and slow misses.",
}

# Western Electric rules are stored with an offset so that one integer names any rule.
WESTERN_ELECTRIC_OFFSET = 100
WESTERN_ELECTRIC_NAMES: dict[int, str] = {
    1: "WE 1: beyond 3σ",
    2: "WE 2: 2 of 3 beyond 2σ",
    3: "WE 3: 4 of 5 beyond 1σ",
    4: "WE 4: 8 in a row on one side",
}

SMOOTHING_SIGNAL = 200  # the EWMA or CUSUM statistic crossed its decision limit
SMOOTHING_NAMES = {SMOOTHING_SIGNAL: "Small sustained shift (EWMA/CUSUM signal)"}


def rule_name(rule: int) -> str:
    if rule in NELSON_RULE_NAMES:
        return NELSON_RULE_NAMES[rule]
    if rule - WESTERN_ELECTRIC_OFFSET in WESTERN_ELECTRIC_NAMES:
        return WESTERN_ELECTRIC_NAMES[rule - WESTERN_ELECTRIC_OFFSET]
    return SMOOTHING_NAMES.get(rule, f"Rule {rule}")


def rule_explanation(rule: int) -> str:
    if rule in NELSON_RULE_EXPLANATIONS:
        return NELSON_RULE_EXPLANATIONS[rule]
    we = rule - WESTERN_ELECTRIC_OFFSET
    if we == 4:
        return "Eight points in a row on the same side of the centre line: a level shift."
    if we in (1, 2, 3):
        return NELSON_RULE_EXPLANATIONS[{1: 1, 2: 5, 3: 6}[we]]
    if rule == SMOOTHING_SIGNAL:
        return (
            "The smoothed statistic crossed its decision limit: a small shift has persisted "
            "long enough to be real, even though no single point looks unusual."
        )
    return ""
