"""The whole pipeline through the CLI at smoke size: contract metrics, skipping, determinism, resume after a real
SIGKILL, refusal of another configuration, and clean errors for bad input.

Interrupted *dataset writes* (a SIGKILL inside the writer, an exception mid-chunk) are covered at the dataset level
in tests/test_data.py (test_killed_write_is_never_mistaken_for_complete, test_exception_mid_write_leaves_nothing);
here the data *stage* is interrupted and must neither be taken for complete nor break the re-run.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from internal_rl.cli import main
from internal_rl.config import load_config
from internal_rl.pipeline import ORDER

ROOT = Path(__file__).resolve().parents[1]
SMOKE = str(ROOT / "configs" / "smoke.yaml")
CFG = load_config(SMOKE)

CONTRACT = {
    "data": ["expert_success"],
    "pretrain": ["action_accuracy", "action_nll"],
    "probe": ["accuracy_by_layer", "chance"],
    "steer": ["post_task_success", "post_task_success_unsteered"],
    "discover": [
        "switch_f1",
        "switch_precision",
        "switch_recall",
        "switches_per_episode",
        "subgoals_per_episode",
        "action_nll",
        "kl",
        "expert_target_nll",
    ],
    "rl": [],  # per-method keys, checked below
    "report": [],
}
PRESENT = ORDER
# Stages run by the module fixture one command at a time; rl and report run in test_whole_pipeline_via_run, so
# that a broken late stage fails that test only.
CORE = [s for s in PRESENT if s not in ("rl", "report")]
LATE = [s for s in PRESENT if s in ("rl", "report")]
# timings, the absolute path of the report, and how the finishing process ran (threads, processes; the two-rank
# test compares a torchrun stage with a one-process one)
VOLATILE = {"wall_time_s", "report", "arithmetic"}


def metrics(run: Path, stage: str) -> dict:
    return json.loads((run / stage / "metrics.json").read_text())


def strip(obj):
    """Metrics without what VOLATILE names (recursively)."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    return obj


def tree(path: Path) -> dict[str, int | str]:
    """Every file under ``path`` with its modification time (ns); config.yaml (rewritten with the same text by
    every command) by its content."""
    return {
        str(p.relative_to(path)): p.read_text() if p.name == "config.yaml" else p.stat().st_mtime_ns
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def cli(*args: str) -> int:
    return main([*args, "--quiet"])


def run_core(run: Path) -> None:
    for stage in CORE:
        assert cli(stage, "--config", SMOKE, "--out", str(run)) == 0, stage


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory) -> Path:
    """The smoke pipeline up to discover (each stage's CLI command in order), once for the module."""
    run = tmp_path_factory.mktemp("pipeline") / "run"
    run_core(run)
    return run


def copy_data_stage(src: Path, dst: Path) -> None:
    """Start a run directory with the (complete) data stage of another run with the same data config."""
    dst.mkdir(parents=True)
    shutil.copytree(src / "data", dst / "data")


# ------------------------------------------------------------------------------------------------ contract
def check_contract(run: Path, stage: str) -> None:
    m = metrics(run, stage)
    for key in [*CONTRACT.get(stage, []), "wall_time_s", "seed", "device"]:
        assert key in m, f"{stage}/metrics.json lacks {key}"
    assert m["seed"] == CFG.seed and m["device"] == "cpu" and m["wall_time_s"] >= 0
    assert json.loads((run / stage / "stage.json").read_text())["fingerprint"]


def test_every_stage_writes_contract_metrics(smoke_run):
    assert {"data", "pretrain"} <= set(CORE)
    for stage in CORE:
        check_contract(smoke_run, stage)
    d = metrics(smoke_run, "data")
    assert set(d["expert_success"]) >= {"train", "eval", "meta"}
    assert all(0.0 <= v <= 1.0 for v in d["expert_success"].values())
    assert d["expert_success"]["meta"] == 1.0  # epsilon = 0 expert always succeeds
    p = metrics(smoke_run, "pretrain")
    assert 0.0 <= p["action_accuracy"] <= 1.0 and p["action_nll"] > 0
    assert p["history"][-1]["step"] == CFG.pretrain.steps
    assert (smoke_run / "pretrain" / "checkpoint" / "model.safetensors").exists()
    arith = p["arithmetic"]  # what the backbone's rounding depends on, beside the seed (E50)
    assert arith["threads"] >= 1 and arith["device"] == "cpu" and arith["processes"] == 1
    assert arith["torch"] == torch.__version__ and arith["cpu_capability"]
    if "probe" in CORE:
        pr = metrics(smoke_run, "probe")
        assert len(pr["accuracy_by_layer"]) == CFG.model.depth + 1
        assert all(0.0 <= a <= 1.0 for a in pr["accuracy_by_layer"]) and pr["chance"] == 0.25
    if "steer" in CORE:
        st = metrics(smoke_run, "steer")
        assert 0.0 <= st["post_task_success"] <= 1.0 and 0.0 <= st["post_task_success_unsteered"] <= 1.0
    if "discover" in CORE:
        di = metrics(smoke_run, "discover")
        for k in ("switch_f1", "switch_precision", "switch_recall"):
            assert 0.0 <= di[k] <= 1.0, k
        assert di["switches_per_episode"] >= 0 and di["subgoals_per_episode"] >= 1 and di["kl"] >= 0
    assert load_config(smoke_run / "config.yaml") == CFG  # the resolved config is recorded


def test_whole_pipeline_via_run(smoke_run, tmp_path):
    """`internal-rl run` finishes the pipeline (the completed stages are skipped, not redone), is a no-op when
    repeated, and gives the same late-stage metrics twice."""
    outs = []
    for name in ("a", "b"):
        run = tmp_path / name
        shutil.copytree(smoke_run, run)
        before = tree(run)
        assert cli("run", "--config", SMOKE, "--out", str(run)) == 0
        after = tree(run)
        assert {k: v for k, v in after.items() if k in before} == before  # earlier stages untouched
        for stage in PRESENT:
            check_contract(run, stage)
        assert cli("run", "--config", SMOKE, "--out", str(run)) == 0
        assert tree(run) == after  # whole pipeline complete: a no-op
        outs.append(run)
    if "rl" in LATE:
        rl = metrics(outs[0], "rl")
        for method in CFG.rl.methods:
            r = rl["methods"][method]
            assert 0.0 <= r["success_rate"] <= 1.0 and r["episodes"] > 0, method
            # internal RL's methods also report their mean codes' success, per seed; raw actions have none
            assert ("success_rate_mean_per_seed" in r) == (method != "raw_action_rl"), method
            if "success_rate_mean" in r:
                assert r["success_rate_mean"] == float(np.median(r["success_rate_mean_per_seed"])), method
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        ea = EventAccumulator(str(outs[0] / "rl" / "tb"))
        ea.Reload()
        tags = set(ea.Tags()["scalars"])
        for method in CFG.rl.methods:  # TensorBoard: every method's sampled success, internal RL's mean codes too
            assert f"success_rate/{method}/seed0" in tags, method
            assert (f"success_rate_mean/{method}/seed0" in tags) == (method != "raw_action_rl"), method
    if "report" in LATE:
        report = (outs[0] / "report" / "report.md").read_text()
        arith = metrics(outs[0], "pretrain")["arithmetic"]
        line = next(t for t in report.splitlines() if t.startswith("- pretraining's arithmetic"))
        assert f"torch {torch.__version__}" in line and f"threads {arith['threads']}" in line and "processes 1" in line
        if "rl" in LATE and "internal_rl" in CFG.rl.methods:
            mean = metrics(outs[0], "rl")["methods"]["internal_rl"]["success_rate_mean"]
            assert f"| rl | internal_rl: with the policy's mean codes | {mean:.3f} |" in report
        if "rl" in LATE and "code_ceiling" in metrics(outs[0], "rl"):  # the three choosers, each with its progress
            c = metrics(outs[0], "rl")["code_ceiling"]
            row = " / ".join(
                f"{c[f'{k}_success']:.3f} ({c[f'{k}_progress']:.2f})" for k in ("start", "uniform", "ceiling")
            )
            assert row in report
    for stage in LATE:
        assert strip(metrics(outs[0], stage)) == strip(metrics(outs[1], stage)), stage


def test_rerun_is_a_no_op(smoke_run, capsys):
    before = tree(smoke_run)
    snapshot = {s: metrics(smoke_run, s) for s in CORE}
    capsys.readouterr()
    run_core(smoke_run)
    printed = capsys.readouterr().out
    assert tree(smoke_run) == before  # nothing rewritten: every stage was skipped
    assert {s: metrics(smoke_run, s) for s in CORE} == snapshot
    # a skipped stage reports the stored metrics
    assert f"action_accuracy={snapshot['pretrain']['action_accuracy']:.4g}" in printed


def test_same_seed_gives_the_same_metrics(smoke_run, tmp_path):
    other = tmp_path / "again"
    run_core(other)
    for stage in CORE:
        assert strip(metrics(other, stage)) == strip(metrics(smoke_run, stage)), stage


# ------------------------------------------------------------------------------------------------ resume
KILLER = textwrap.dedent("""
    import os, signal, sys
    from internal_rl.train import checkpoint, loop

    real = checkpoint.save_checkpoint

    def save_then_die(*args, **kwargs):  # the first checkpoint reaches the disk, then the process is killed
        real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    loop.save_checkpoint = checkpoint.save_checkpoint = save_then_die
    from internal_rl.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_pretrain_killed_midway_resumes_to_the_same_metrics(smoke_run, tmp_path):
    run = tmp_path / "killed"
    copy_data_stage(smoke_run, run)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INTERNAL_RL_QUIET": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, "pretrain", "--config", SMOKE, "--out", str(run)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    # not complete, but a checkpoint of the first interval is there
    assert not (run / "pretrain" / "metrics.json").exists()
    ckpt_meta = json.loads((run / "pretrain" / "checkpoint" / "meta.json").read_text())
    assert 0 < ckpt_meta["step"] < CFG.pretrain.steps

    assert cli("pretrain", "--config", SMOKE, "--out", str(run)) == 0
    a, b = metrics(smoke_run, "pretrain"), metrics(run, "pretrain")
    assert b["action_accuracy"] == a["action_accuracy"]
    assert b["action_nll"] == a["action_nll"]
    assert strip(b) == strip(a)  # history (held-out metrics at every evaluation), closed-loop success, ...
    assert [h["step"] for h in b["history"]] == list(
        range(CFG.pretrain.eval_every, CFG.pretrain.steps + 1, CFG.pretrain.eval_every)
    )
    # the weights are those of the uninterrupted run
    assert (run / "pretrain" / "checkpoint" / "model.safetensors").read_bytes() == (
        smoke_run / "pretrain" / "checkpoint" / "model.safetensors"
    ).read_bytes()


@pytest.mark.parametrize("stage", ["discover", "rl"])
def test_late_stage_killed_midway_resumes_to_the_same_metrics(smoke_run, tmp_path, stage):
    """Killing discovery or internal RL just after its first checkpoint, then re-running the same command, ends
    with the metrics of an uninterrupted run."""
    reference, run = tmp_path / "uninterrupted", tmp_path / "killed"
    shutil.copytree(smoke_run, reference)
    assert cli(stage, "--config", SMOKE, "--out", str(reference)) == 0
    shutil.copytree(smoke_run, run)
    shutil.rmtree(run / stage, ignore_errors=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INTERNAL_RL_QUIET": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, stage, "--config", SMOKE, "--out", str(run)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert not (run / stage / "metrics.json").exists()
    assert any((run / stage).rglob("meta.json"))  # a checkpoint reached the disk before the kill

    assert cli(stage, "--config", SMOKE, "--out", str(run)) == 0
    assert strip(metrics(run, stage)) == strip(metrics(reference, stage))


def test_discovery_under_two_ranks_matches_one_process(smoke_run, tmp_path, two_ranks):
    """Under torchrun each rank trains its share of the stage's metacontrollers (rank r: jobs r, r + 2, ...) and the
    main rank gathers them: the stage's metrics equal the one-process stage's."""
    run = tmp_path / "ddp"
    shutil.copytree(smoke_run, run)
    shutil.rmtree(run / "discover")
    cmd = [sys.executable, "-m", "internal_rl.cli", "discover", "--config", SMOKE, "--out", str(run), "--quiet"]
    procs = two_ranks(cmd, cwd=ROOT)
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    assert strip(metrics(run, "discover")) == strip(metrics(smoke_run, "discover"))
    names = ("seed0", "always", "cotrained")
    assert all(json.loads((run / "discover" / n / "metrics.json").read_text()) for n in names)
    assert (run / "discover" / "beta_traces_cotrained.png").exists()


def test_rl_under_two_ranks_matches_one_process(smoke_run, tmp_path, two_ranks):
    """Under torchrun the (method, seed) runs are shared between the ranks and gathered by the main rank: the rl
    stage's metrics and its per-run results equal the one-process stage's."""
    reference, run = tmp_path / "one", tmp_path / "ddp"
    shutil.copytree(smoke_run, reference)
    assert cli("rl", "--config", SMOKE, "--out", str(reference)) == 0
    shutil.copytree(smoke_run, run)
    cmd = [sys.executable, "-m", "internal_rl.cli", "rl", "--config", SMOKE, "--out", str(run), "--quiet"]
    procs = two_ranks(cmd, cwd=ROOT)
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    assert strip(metrics(run, "rl")) == strip(metrics(reference, "rl"))
    runs = [f"{m}_seed{k}.json" for m in CFG.rl.methods for k in range(CFG.rl.seeds)]
    assert sorted(p.name for p in (run / "rl").glob("*_seed*.json")) == sorted(runs)
    for r in runs:
        assert strip(json.loads((run / "rl" / r).read_text())) == strip(json.loads((reference / "rl" / r).read_text()))


def test_interrupted_data_stage_is_not_taken_for_complete(smoke_run, tmp_path, monkeypatch):
    import internal_rl.data.generate as gen

    run = tmp_path / "run"
    real, calls = gen.rollout_expert, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # train: 2 chunks, eval: 1, meta: chunk 1 written, chunk 2 interrupted
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "rollout_expert", interrupted)
    assert cli("data", "--config", SMOKE, "--out", str(run)) == 130  # Ctrl-C: "re-run the same command to resume"
    monkeypatch.undo()
    assert not (run / "data" / "metrics.json").exists()
    assert not (run / "data" / "meta" / "meta.json").exists()
    from internal_rl.data import EpisodeDataset

    with pytest.raises((FileNotFoundError, ValueError)):
        EpisodeDataset(run / "data" / "meta")

    assert cli("data", "--config", SMOKE, "--out", str(run)) == 0
    assert strip(metrics(run, "data")) == strip(metrics(smoke_run, "data"))
    assert len(EpisodeDataset(run / "data" / "meta")) == CFG.data.meta_episodes
    assert not [p for p in (run / "data").iterdir() if p.name.startswith(".")]  # no temp dirs left


def test_d_star_of_chains_holds_longer_tasks_and_no_post_task_transition(tmp_path):
    from internal_rl.data.store import read_meta
    from internal_rl.envs import POST_TASK, abstract_transitions, chain_tasks, letters_of

    run = tmp_path / "run"
    assert cli("data", "--config", SMOKE, "--out", str(run), "--set", "data.meta_tasks=chains") == 0
    meta_tasks = [tuple(t) for t in read_meta(run / "data" / "meta")["tasks"]]
    assert meta_tasks == chain_tasks(CFG.pretrain_tasks())
    assert [tuple(t) for t in read_meta(run / "data" / "eval")["tasks"]] == CFG.pretrain_tasks()  # D unchanged
    assert not set().union(*(abstract_transitions(t) for t in meta_tasks)) & abstract_transitions(POST_TASK)
    assert max(len(letters_of(t)) for t in meta_tasks) == 6
    assert metrics(run, "data")["expert_success"]["meta"] == 1.0


def test_d_star_with_meta_epsilon_holds_detours_and_the_held_out_set_is_unchanged(tmp_path):
    """data.meta_epsilon (E56): D* is made with the expert's ε-noise, so some of its recorded actions leave every
    shortest path (the noiseless expert gives them probability 0); the held-out set keeps data.epsilon (0)."""
    from internal_rl.data import EpisodeDataset
    from internal_rl.data.store import read_meta
    from internal_rl.pipeline.artifacts import expert_targets

    run = tmp_path / "run"
    assert cli("data", "--config", SMOKE, "--out", str(run), "--set", "data.meta_epsilon=0.5") == 0
    assert read_meta(run / "data" / "meta")["epsilon"] == 0.5 and read_meta(run / "data" / "eval")["epsilon"] == 0.0

    def off_path(name: str) -> float:
        ds = EpisodeDataset(run / "data" / name)
        b = ds.batch(range(len(ds)))
        q = expert_targets(CFG)(b).gather(-1, b.actions.clamp(min=0)[..., None])[..., 0]  # (B, T)
        return float((q == 0)[b.mask].float().mean())

    assert 0.05 < off_path("meta") < 0.45 and off_path("eval") == 0.0


# ------------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "args,field",
    [
        (["--set", "pretrain.stepz=10"], "pretrain.stepz"),
        (["--set", "bogus=1"], "bogus"),
        (["--set", "model.depth=two"], "model.depth"),
        (["--set", "model.width=true"], "model.width"),
        (["--set", "pretrain.batch_size=1.5"], "pretrain.batch_size"),
        (["--set", "data.train_episodes=-3"], "data.train_episodes"),
        (["--set", "model.width=0"], "model.width"),
        (["--set", "model.encoder=resnet"], "model.encoder"),
        (["--set", "steer.layer=5"], "steer.layer"),
        (["--set", "data.meta_tasks=long"], "data.meta_tasks"),
        (["--set", "pretrain.lr"], "pretrain.lr"),  # no '='
    ],
)
def test_cli_bad_input_exits_2_naming_the_field(tmp_path, capsys, args, field):
    out = tmp_path / "out"
    assert cli("pretrain", "--config", SMOKE, "--out", str(out), *args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert field in lines[0]
    assert not out.exists()


def test_init_from_starts_pretraining_from_another_runs_backbone(smoke_run, tmp_path, capsys):
    """pretrain.init_from (E55's fine-tunes): the model starts with the named run's pretrained weights and trains on
    from them; a folder without a backbone, or one of another model section, is refused in one line naming the field
    before anything is written."""
    from internal_rl.pipeline.artifacts import initial_model, load_backbone

    cfg = load_config(SMOKE, [f"pretrain.init_from={smoke_run}"])
    source, _ = load_backbone(CFG, smoke_run / "pretrain" / "checkpoint", torch.device("cpu"))
    started = initial_model(cfg).state_dict()
    assert all(torch.equal(started[k], v) for k, v in source.state_dict().items())
    fresh_init = initial_model(CFG).state_dict()
    assert not any(torch.equal(fresh_init[k], v) for k, v in source.state_dict().items() if v.is_floating_point())

    run = tmp_path / "ft"
    copy_data_stage(smoke_run, run)
    assert cli("pretrain", "--config", SMOKE, "--out", str(run), "--set", f"pretrain.init_from={smoke_run}") == 0
    fresh = metrics(smoke_run, "pretrain")["history"][0]["action_nll"]  # the first evaluation of each
    assert metrics(run, "pretrain")["history"][0]["action_nll"] < fresh

    for init, extra, field in (
        (tmp_path / "nothing", [], "pretrain.init_from"),
        (smoke_run, ["--set", "model.width=16"], "model.width"),
    ):
        out = tmp_path / "refused"
        assert cli("pretrain", "--config", SMOKE, "--out", str(out), "--set", f"pretrain.init_from={init}", *extra) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "pretrain.init_from" in lines[0] and field in lines[0], lines
        assert not out.exists()


def test_cli_missing_config_file(tmp_path, capsys):
    out = tmp_path / "out"
    missing = tmp_path / "nope.yaml"
    assert cli("data", "--config", str(missing), "--out", str(out)) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(missing) in lines[0]
    assert not out.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cli_cuda_requested_without_cuda_exits_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli("data", "--config", SMOKE, "--out", str(out), "--set", "device=cuda") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: device:")
    assert not out.exists()


def test_cli_bad_yaml_field_exits_2(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    text = Path(SMOKE).read_text()
    assert "probe: {steps: 30," in text
    cfg.write_text(text.replace("probe: {steps: 30,", "probe: {steps: -1,"))
    out = tmp_path / "out"
    assert cli("probe", "--config", str(cfg), "--out", str(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: probe.steps")
    assert not out.exists()


def test_cli_unknown_flag_and_stage(tmp_path, capsys):
    assert main(["data", "--config", SMOKE, "--out", str(tmp_path / "o"), "--bogus"]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    with pytest.raises(SystemExit) as e:  # argparse: unknown sub-command
        main(["train", "--config", SMOKE])
    assert e.value.code == 2
    assert not (tmp_path / "o").exists()


def test_out_with_another_config_is_refused_unless_forced(smoke_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(smoke_run, run)
    before = tree(run)
    capsys.readouterr()
    assert cli("pretrain", "--config", SMOKE, "--out", str(run), "--set", "pretrain.lr=0.002") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "different configuration" in err[0]
    assert tree(run) == before  # nothing touched

    assert cli("pretrain", "--config", SMOKE, "--out", str(run), "--set", "pretrain.lr=0.002", "--force") == 0
    after = tree(run)
    assert load_config(run / "config.yaml").pretrain.lr == 0.002
    # the data stage does not depend on pretrain.*: kept; the pretrain stage was redone
    assert {k: v for k, v in after.items() if k.startswith("data/")} == {
        k: v for k, v in before.items() if k.startswith("data/")
    }
    assert after["pretrain/metrics.json"] != before["pretrain/metrics.json"]
    assert metrics(run, "pretrain")["action_nll"] != metrics(smoke_run, "pretrain")["action_nll"]
    # downstream stages are now stale: they are not reported as complete
    from internal_rl.config import fingerprint
    from internal_rl.pipeline import sections as _sections
    from internal_rl.pipeline.rundir import RunDir

    cfg = load_config(run / "config.yaml")
    rd = RunDir(run, cfg)
    for stage in ("probe", "steer", "discover"):
        if stage in CORE:
            assert not rd.stage(stage, fingerprint(*_sections(cfg)[stage])).is_complete(), stage


def test_a_metacontroller_checkpoint_is_refused_for_another_architecture(smoke_run):
    """Discover checkpoints record the metacontroller's config; loading one with other sizes names the fields."""
    from internal_rl.pipeline.artifacts import CheckpointMismatch, load_metacontroller
    from internal_rl.pipeline.context import existing_run

    meta = json.loads((smoke_run / "discover" / "seed0" / "checkpoint" / "meta.json").read_text())
    assert meta["metacontroller"]["rank"] == CFG.discover.rank and meta["metacontroller"]["width"] == CFG.model.width
    ctx = existing_run(smoke_run, CFG, torch.device("cpu"))
    load_metacontroller(ctx, "seed0")  # the run's own config loads
    other = load_config(SMOKE, [f"discover.rank={CFG.discover.rank + 1}", "discover.switch_hidden=3"])
    with pytest.raises(CheckpointMismatch, match=r"discover.switch_hidden=64, discover.rank=\d+ but"):
        load_metacontroller(existing_run(smoke_run, other, torch.device("cpu")), "seed0")
    # a checkpoint from before discover.embedding existed loads as the default (pooled), and only as that
    path = smoke_run / "discover" / "seed0" / "checkpoint" / "meta.json"
    older = {**meta, "metacontroller": {k: v for k, v in meta["metacontroller"].items() if k != "embedding"}}
    path.write_text(json.dumps(older))
    try:
        load_metacontroller(ctx, "seed0")
        per_step = load_config(SMOKE, ["discover.embedding=per_step"])
        with pytest.raises(CheckpointMismatch, match=r"discover.embedding='pooled' but this run has"):
            load_metacontroller(existing_run(smoke_run, per_step, torch.device("cpu")), "seed0")
    finally:
        path.write_text(json.dumps(meta))


def test_discovery_with_expert_targets_trains_and_reports_both_nlls(smoke_run):
    """discover.targets: expert (E36) through the stage's own trainer on the smoke run: a new metacontroller trains
    to finite losses; held-out metrics carry the recorded actions' NLL and the NLL against the expert's
    distribution; the training loss is the latter's."""
    from internal_rl.pipeline.context import existing_run
    from internal_rl.pipeline.stages.discover import train_metacontroller

    cfg = load_config(SMOKE, ["discover.targets=expert"])
    ctx = existing_run(smoke_run, cfg, torch.device("cpu"))
    _, mc, m, _ = train_metacontroller(ctx, "soft_targets", seed=5, steps=20)
    assert all(math.isfinite(m[k]) and m[k] > 0 for k in ("action_nll", "target_nll"))
    assert m["target_nll"] != m["action_nll"]
    _, mc_sampled, _, _ = train_metacontroller(
        existing_run(smoke_run, CFG, torch.device("cpu")), "hard", seed=5, steps=20
    )
    assert any(not torch.equal(a, b) for a, b in zip(mc.parameters(), mc_sampled.parameters(), strict=True))


def test_code_start_compares_the_code_with_the_uncontrolled_model_and_changes_nothing(smoke_run):
    """code_start (E61): with the B-head at zero (U = 0) the two NLLs are the same number and nothing has started;
    with a B-head that pushes they differ; either way the metacontroller's parameters and mode are left as they
    were."""
    from internal_rl.metacontroller.train import code_start
    from internal_rl.pipeline.context import existing_run
    from internal_rl.pipeline.stages.discover import fit_metacontroller

    ctx = existing_run(smoke_run, CFG, torch.device("cpu"))
    _, mc, trainer = fit_metacontroller(ctx, "start_check", seed=5, stop_at=0, steps=1)
    head = mc.decoder.out_b
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
    at_zero = code_start(trainer, 0, batches=2)
    assert at_zero["nll"] == at_zero["base_nll"] and not at_zero["started"]
    with torch.no_grad():
        head.weight.normal_(std=3.0)
    before = [p.clone() for p in mc.parameters()]
    mc.train()
    pushed = code_start(trainer, 0, batches=2)
    assert pushed["nll"] != pushed["base_nll"] and pushed["base_nll"] == at_zero["base_nll"]
    assert mc.training and all(torch.equal(a, b) for a, b in zip(before, mc.parameters(), strict=True))


def test_a_seed_whose_code_has_not_started_is_restarted_from_a_fresh_draw(smoke_run):
    """discover.restart_check (E61): at smoke size no code starts in 3 steps, so each attempt fails its check; the
    first is set aside and the second (the last allowed) is trained to the end. The result is exactly a direct
    training with the second attempt's seed."""
    from internal_rl.pipeline.context import existing_run
    from internal_rl.pipeline.stages.discover import RESTART_STRIDE, train_metacontroller, train_seed

    cfg = load_config(SMOKE, ["discover.restart_check=3", "discover.restarts=1"])
    ctx = existing_run(smoke_run, cfg, torch.device("cpu"))
    _, mc, m, _ = train_seed(ctx, "seed_restarted", seed=5)
    folder = smoke_run / "discover" / "seed_restarted"
    checks = json.loads((folder / "attempts.json").read_text())["attempts"]
    assert [c["seed"] for c in checks] == [5, 5 + RESTART_STRIDE] and not any(c["started"] for c in checks)
    assert (folder / "attempt0" / "checkpoint").is_dir() and not (folder / "attempt1").exists()
    assert m["restarts"] == 1 and m["start_checks"] == checks
    _, direct, m_direct, _ = train_metacontroller(ctx, "seed_direct", seed=5 + RESTART_STRIDE)
    assert all(torch.equal(a, b) for a, b in zip(mc.parameters(), direct.parameters(), strict=True))
    assert m_direct["f1"] == m["f1"]
    _, _, again, _ = train_seed(ctx, "seed_restarted", seed=5)  # a re-run reads its record and redoes nothing
    assert again["restarts"] == 1


def test_a_seed_whose_code_has_started_is_kept(smoke_run, monkeypatch):
    from internal_rl.pipeline.context import existing_run
    from internal_rl.pipeline.stages import discover

    monkeypatch.setattr(discover, "code_start", lambda trainer, step: {"nll": 0.5, "base_nll": 1.0, "started": True})
    cfg = load_config(SMOKE, ["discover.restart_check=3"])
    _, _, m, _ = discover.train_seed(existing_run(smoke_run, cfg, torch.device("cpu")), "seed_kept", seed=5)
    assert m["restarts"] == 0 and len(m["start_checks"]) == 1
    assert not (smoke_run / "discover" / "seed_kept" / "attempt0").exists()
