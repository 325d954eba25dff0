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
    chain_tasks,
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


def test_chains_use_only_the_pretraining_transitions_at_every_length_to_six():
    tasks = chain_tasks(pretraining_tasks())
    words = [letters_of(t) for t in tasks]
    seen = set().union(*(abstract_transitions(t) for t in pretraining_tasks()))
    assert set().union(*(abstract_transitions(t) for t in tasks)) == seen  # all 8, and nothing else
    assert not set().union(*(abstract_transitions(t) for t in tasks)) & abstract_transitions(POST_TASK)
    distinct = Counter(len(w) for w in set(words))
    assert distinct == {3: 16, 4: 32, 5: 64, 6: 128}  # two successors per pair: 4 * 2^(n-1)
    assert {task for task in tasks if len(task) == 6} == set(pretraining_tasks())  # three pairs: Table A1 itself
    counts = Counter(len(w) for w in words)
    assert counts[3] == counts[4] == counts[5] == counts[6] == 128  # lengths drawn uniformly


def test_chains_task_set_pretrains_on_longer_chains_of_table_a1_transitions_only():
    tasks = pretraining_tasks("table_a1_chains")
    assert tasks == chain_tasks(PRETRAIN_TASKS)
    assert not set().union(*(abstract_transitions(t) for t in tasks)) & abstract_transitions(POST_TASK)
    cfg = load_config(None, ["data.task_set=table_a1_chains", "data.meta_tasks=chains"])
    assert cfg.pretrain_tasks() == tasks and cfg.meta_tasks() == tasks  # chains of chains add nothing
    assert load_config(None, ["data.task_set=table_a1_chains"]).meta_tasks() == tasks


def test_chains_of_the_control_set_hold_the_post_task_out():
    words = {letters_of(t) for t in chain_tasks(all_transition_tasks(), min_pairs=6)}
    assert len(words) == 4 * 3**5 - 1 and "ABCDAB" not in words
    with pytest.raises(ValueError, match=r"no chain of \[3\] pairs"):
        chain_tasks([(0, 1, 2, 3)], min_pairs=3, max_pairs=3)  # AB alone chains to nothing of three pairs


def test_meta_tasks_is_validated_by_name_and_picks_the_tasks_of_d_star():
    assert load_config(None).data.meta_tasks == "pretrain"
    assert load_config(None).meta_tasks() == list(PRETRAIN_TASKS)
    assert load_config(None, ["data.meta_tasks=chains"]).meta_tasks() == chain_tasks(PRETRAIN_TASKS)
    with pytest.raises(ConfigError, match="data.meta_tasks"):
        load_config(None, ["data.meta_tasks=long"])
