"""Pretraining task sets: the paper's Table A1 (default, unchanged) and the control set of the in-distribution
experiment (every transition, 3-6 pairs, only the exact post task held out)."""

from collections import Counter

import pytest

from internal_rl.config import ConfigError, load_config
from internal_rl.envs import (
    POST_TASK,
    PRETRAIN_TASKS,
    abstract_transitions,
    all_transition_tasks,
    letters_of,
    pretraining_tasks,
)

ALL_12 = {(a, b) for a in "ABCD" for b in "ABCD" if a != b}


def test_default_task_set_is_table_a1():
    assert pretraining_tasks() == pretraining_tasks("table_a1") == list(PRETRAIN_TASKS)
    assert load_config(None).data.task_set == "table_a1"
    seen = set().union(*(abstract_transitions(t) for t in pretraining_tasks()))
    assert len(seen) == 8 and not seen & abstract_transitions(POST_TASK)


def test_control_set_has_every_transition_lengths_3_to_6_and_not_the_post_task():
    tasks = all_transition_tasks()
    words = [letters_of(t) for t in tasks]
    assert set().union(*(abstract_transitions(t) for t in tasks)) == ALL_12
    assert abstract_transitions(POST_TASK) <= ALL_12
    assert {len(w) for w in words} == {3, 4, 5, 6}
    assert "ABCDAB" not in words and POST_TASK not in tasks
    assert all(a != b for w in words for a, b in zip(w, w[1:], strict=False))  # no repeated pair
    # every other sequence of each length is present: 4 * 3^(n-1) per length, minus the post task
    distinct = Counter(len(w) for w in set(words))
    assert distinct == {3: 36, 4: 108, 5: 324, 6: 971}


def test_control_set_draws_lengths_uniformly():
    counts = Counter(len(letters_of(t)) for t in all_transition_tasks())
    assert counts[3] == counts[4] == counts[5] == 972 and counts[6] == 971  # one length-6 copy (ABCDAB) held out


def test_task_set_is_validated_by_name():
    with pytest.raises(ConfigError, match="data.task_set"):
        load_config(None, ["data.task_set=all"])
    with pytest.raises(ValueError, match="unknown task set"):
        pretraining_tasks("all")
