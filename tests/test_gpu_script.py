"""scripts/gpu_paper_run.py at smoke size on the CPU: calibration, pretraining on a stream with snapshots, the
steerability curve at three layers, the probe and one metacontroller, all written under --out."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )


def test_gpu_script_runs_end_to_end_at_tiny_size(tmp_path):
    out = tmp_path / "gpu"
    r = run_script("gpu_paper_run.py", "--tiny", "--minutes", "0.25", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    steps = summary["pretrain_steps"]
    assert steps >= 20 and steps % 4 == 0 and summary["episodes_seen"] == steps * 16
    snapshots = sorted(p.name for p in (out / "run" / "pretrain" / "snapshots").iterdir())
    assert len(snapshots) == 4 and f"step{steps}" in snapshots
    checks = summary["steerability"]
    assert {c["layer"] for c in checks} == {0, 1, 2} and len(checks) == 12  # 4 snapshots x 3 layers
    assert all(0.0 <= c["post_steered_success"] <= 1.0 for c in checks)
    assert "accuracy_by_layer" in summary["probe"] and "f1" in summary["discover"]
    assert "[calibrate]" in r.stdout and "[done]" in r.stdout


def test_gpu_ant_script_runs_end_to_end_at_tiny_size(tmp_path):
    """scripts/gpu_ant_run.py --tiny: generation timed on every core, D sized, the data stage (its smoke expert),
    pretraining timed then sized, the probe curve, the probe and the steer stages, all under --out."""
    out = tmp_path / "ant"
    r = run_script("gpu_ant_run.py", "--tiny", "--minutes", "0.25", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generation_episodes_per_s"] > 0 and summary["data"]["episodes"]["train"] == 32
    assert summary["pretrain_steps"] == 8 and summary["sequences_seen"] == 8 * 8
    assert [h["step"] for h in summary["probe_curve"]] == [2, 4, 6, 8]
    assert all(0.0 <= h["probe_layer1"] <= 1.0 for h in summary["probe_curve"])
    assert "accuracy_by_layer" in summary["probe"] and 0.0 <= summary["steer"]["post_task_success"] <= 1.0
    assert r.stdout.count("[calibrate]") == 2 and "[done]" in r.stdout
    no_expert = run_script("gpu_ant_run.py", "--out", str(tmp_path / "x"))
    assert no_expert.returncode != 0 and "--expert" in no_expert.stderr and not (tmp_path / "x").exists()
