"""The report reads stage metrics strictly: a renamed key is an error naming the file and the key."""

import json

import pytest

from internal_rl.report.markdown import StageMetrics, build_report


def test_a_missing_metric_is_an_error_naming_it(tmp_path):
    m = StageMetrics("steer", {"layer": 2, "nested": {"a": 1}})
    assert m["layer"] == 2 and m["nested"]["a"] == 1
    with pytest.raises(KeyError, match=r"'post_task_success' from steer/metrics.json"):
        m["post_task_success"]
    with pytest.raises(KeyError, match=r"steer.nested/metrics.json"):
        m["nested"]["b"]
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "metrics.json").write_text(
        json.dumps({"accuracy_by_layer": [0.3], "wall_time_s": 1.0, "device": "cpu"})
    )  # "chance" renamed away
    with pytest.raises(KeyError, match="chance"):
        build_report(tmp_path)


def test_the_steer_row_says_when_the_fit_swapped_memory():
    """A controller fitted with steer.memory_swap (E52) is not the paper's fit: its row says so; an older run's
    metrics without the key read as the paper's."""
    from internal_rl.report.markdown import _swap

    assert _swap(StageMetrics("steer", {"memory_swap": 0.5, "memory_swap_to": "self"})) == (
        " (fit with 0.5 of the segments' memory swapped: self)"
    )
    assert _swap(StageMetrics("steer", {"memory_swap": 0.0, "memory_swap_to": "other"})) == ""
    assert _swap(StageMetrics("steer", {"layer": 1})) == ""


def test_the_rl_rows_say_when_internal_rl_took_greedy_raw_actions():
    """rl.raw_actions: greedy is not the paper's Alg. 1: the internal-RL rows say so, the raw-action baseline's (which
    always samples) does not; an older run's metrics without the key read as sampled."""
    from internal_rl.report.markdown import _raw_actions

    greedy = StageMetrics("rl", {"raw_actions": "greedy"})
    assert _raw_actions(greedy, "internal_rl") == " (greedy raw actions)"
    assert _raw_actions(greedy, "cotrained") == " (greedy raw actions)"
    assert _raw_actions(greedy, "raw_action_rl") == ""
    assert _raw_actions(StageMetrics("rl", {"raw_actions": "sampled"}), "internal_rl") == ""
    assert _raw_actions(StageMetrics("rl", {"methods": {}}), "internal_rl") == ""


def test_success_curves_draw_the_mean_codes_dashed_only_where_every_seed_has_them(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from internal_rl.report import figures

    drawn = {}
    monkeypatch.setattr(figures, "_save", lambda fig, path: drawn.setdefault(str(path), fig.axes[0].get_lines()))
    run = {"episodes": [0, 10], "success_rate": [0.0, 0.5], "success_rate_mean": [0.0, 0.9]}
    resumed = {"episodes": [0, 10], "success_rate": [0.0, 0.4], "success_rate_mean": [None, 0.8]}
    raw = {"episodes": [0, 10], "success_rate": [0.0, 0.0]}
    figures.plot_success_curves({"internal_rl": [run, run], "raw_action_rl": [raw]}, tmp_path / "a.png")
    figures.plot_success_curves({"internal_rl": [run, resumed]}, tmp_path / "b.png")
    a, b = drawn[str(tmp_path / "a.png")], drawn[str(tmp_path / "b.png")]
    assert [line.get_label() for line in a] == ["internal_rl", "internal_rl (mean codes)", "raw_action_rl"]
    assert a[1].get_linestyle() == "--" and list(a[1].get_ydata()) == [0.0, 0.9]
    assert [line.get_label() for line in b] == ["internal_rl"]  # a seed without the mean at some point: none drawn
    plt.close("all")


def test_the_steer_rows_say_how_the_steered_episodes_ended():
    """The post task's failures split into wrong first colours, wrong second colours and time limits (ant-pinpad:
    wrong colours and time limits); an older run's metrics without them give no row."""
    from internal_rl.report.markdown import _endings

    ended = {"post_task_ended_wrong_pair_start": 0.25, "post_task_ended_wrong_within_pair": 0.0918}
    steer = StageMetrics("steer", {**ended, "post_task_timeout_rate": 0.082})
    assert _endings(steer, "post_task_") == "0.250 / 0.092 / 0.082"
    assert _endings(steer, "post_task_", ant=True) == "0.250 / 0.082"
    assert _endings(StageMetrics("steer", {"post_task_success": 0.6}), "post_task_") is None


def test_the_switch_row_shows_every_seed_beside_the_median():
    """A collapsed discovery seed (E59: F1 0 beside two that switch) shows in the report, not only the median."""
    from internal_rl.report.markdown import _per_seed_f1

    seeds = [{"f1": 0.0}, {"f1": 0.96}, {"f1": 0.98}]
    assert _per_seed_f1(StageMetrics("discover", {"per_seed": seeds})) == " (seeds: 0.000 / 0.960 / 0.980)"
    assert _per_seed_f1(StageMetrics("discover", {"per_seed": seeds[:1]})) == ""
    restarted = [{**seeds[0], "restarts": 1}, {**seeds[1], "restarts": 0}, {**seeds[2], "restarts": 2}]
    assert _per_seed_f1(StageMetrics("discover", {"per_seed": restarted})) == (
        " (seeds: 0.000 after 1 restart / 0.960 / 0.980 after 2 restarts)"
    )
    assert _per_seed_f1(StageMetrics("discover", {"switch_f1": 0.9})) == ""
