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
