"""Run configuration: paper defaults, strict loading with errors naming the field, overrides, round trips and the
stage fingerprints that decide what the pipeline redoes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from internal_rl.config import (
    ConfigError,
    RunConfig,
    dump_yaml,
    fingerprint,
    from_dict,
    load_config,
    parse_override,
    to_dict,
)
from internal_rl.pipeline import sections as _sections

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
CONFIGS = sorted(CONFIG_DIR.glob("*.yaml"))


# ------------------------------------------------------------------------------------------------ defaults
def test_defaults_are_the_papers_values():
    c = RunConfig()
    # SPEC §1: gridworld-pinpad
    assert (c.env.size, c.env.num_colors, c.env.num_walls, c.env.max_steps) == (7, 8, 4, 100)
    # SPEC §2: base model and pretraining
    assert (c.model.depth, c.model.width, c.model.heads, c.model.mlp) == (6, 256, 4, 512)
    assert c.model.head_dim == 64 and c.model.num_buckets == 32 and c.model.init_scale == 0.1
    assert c.model.obs_dim == 637
    assert c.pretrain.lr == 3e-4 and c.pretrain.weight_decay == 0.03
    assert c.pretrain.batch_size == 1024 and c.pretrain.steps == 256_000
    assert c.pretrain.obs_weight == 0.01
    # SPEC §3-4: probes and steering
    assert (c.probe.steps, c.probe.batch_size, c.probe.lr, c.probe.weight_decay) == (8_000, 512, 1e-3, 0.0)
    assert (c.steer.rank, c.steer.steps, c.steer.batch_size, c.steer.lr) == (16, 3_200, 512, 1e-3)
    # SPEC §5: metacontroller (Table A9)
    d = c.discover
    assert (d.latent_dim, d.history_dim, d.embed_dim, d.encoder_hidden, d.decoder_hidden, d.rank) == (
        8,
        32,
        32,
        64,
        32,
        16,
    )
    assert (d.steps, d.batch_size, d.lr, d.weight_decay, d.seeds) == (64_000, 512, 1e-3, 0.03, 3)
    assert d.alpha_sweep == (0.0, 0.05, 0.1, 0.17, 0.3, 0.5, 1.0)
    # SPEC §6: internal RL
    assert c.rl.clip == 0.2 and c.rl.lr == 3e-5 and c.rl.batch_size == 1024 and c.rl.updates == 100_000
    assert set(c.rl.methods) >= {"internal_rl", "raw_action_rl", "no_temporal_abstraction", "cotrained"}
    # controlled layer -1 resolves to L/2
    assert c.layer(c.discover.layer) == 3 and c.layer(c.steer.layer) == 3 and c.layer(2) == 2


def test_paper_yaml_is_the_defaults():
    paper = load_config(CONFIG_DIR / "paper.yaml")
    assert dataclasses.replace(paper, name="cpu", device="auto") == RunConfig()


def test_configs_are_frozen():
    c = RunConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.pretrain.lr = 1.0  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------ loading
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_yaml_in_configs_loads_and_round_trips(path):
    cfg = load_config(path)
    assert isinstance(cfg, RunConfig)
    assert cfg.name == path.stem
    # every key the file sets is reflected in the loaded config
    raw = yaml.safe_load(path.read_text()) or {}
    loaded = to_dict(cfg)
    for section, value in raw.items():
        if isinstance(value, dict):
            for k, v in value.items():
                assert loaded[section][k] == v, f"{section}.{k}"
        else:
            assert loaded[section] == value
    assert from_dict(yaml.safe_load(dump_yaml(cfg))) == cfg


def test_config_list_is_not_empty():
    assert {p.stem for p in CONFIGS} >= {"cpu", "smoke", "paper", "demo"}


# ------------------------------------------------------------------------------------------------ overrides
def test_set_overrides_nested_fields_and_lists():
    cfg = load_config(
        CONFIG_DIR / "smoke.yaml",
        [
            "pretrain.lr=1e-3",
            "model.depth=4",
            "rl.methods=[internal_rl, raw_action_rl]",
            "discover.alpha_sweep=[0, 0.5]",
            "steer.sweep_layers=true",
            "seed=7",
            "name=other",
            "model.encoder=conv",
        ],
    )
    assert cfg.pretrain.lr == 1e-3 and isinstance(cfg.pretrain.lr, float)
    assert cfg.model.depth == 4
    assert cfg.rl.methods == ("internal_rl", "raw_action_rl")
    assert cfg.discover.alpha_sweep == (0.0, 0.5) and all(isinstance(a, float) for a in cfg.discover.alpha_sweep)
    assert cfg.steer.sweep_layers is True
    assert (cfg.seed, cfg.name, cfg.model.encoder) == (7, "other", "conv")
    # the other fields of an overridden section keep the file's values
    assert cfg.model.width == 32 and cfg.pretrain.steps == 20


def test_later_override_wins_and_section_without_file_entry_is_created():
    cfg = load_config(None, ["probe.steps=5", "probe.steps=9", "env.max_steps=60"])
    assert cfg.probe.steps == 9 and cfg.env.max_steps == 60


@pytest.mark.parametrize(
    "text,path,value",
    [
        ("pretrain.lr=1e-3", ["pretrain", "lr"], 1e-3),
        ("pretrain.lr=3.0e-5", ["pretrain", "lr"], 3e-5),
        ("seed=3", ["seed"], 3),
        ("name=a=b", ["name"], "a=b"),
        ("rl.methods=[a, b]", ["rl", "methods"], ["a", "b"]),
        ("steer.sweep_layers=false", ["steer", "sweep_layers"], False),
    ],
)
def test_parse_override(text, path, value):
    assert parse_override(text) == (path, value)


def test_override_without_equals_is_an_error():
    with pytest.raises(ConfigError, match="pretrain.lr"):
        load_config(None, ["pretrain.lr"])


# ------------------------------------------------------------------------------------------------ errors
def _error(overrides, data=None) -> str:
    with pytest.raises(ConfigError) as e:
        from_dict(data or {}, overrides)
    return str(e.value)


@pytest.mark.parametrize(
    "override,field",
    [
        # unknown keys, top level and nested
        ("bogus=1", "bogus"),
        ("pretrain.bogus=1", "pretrain.bogus"),
        ("model.dropout=0.1", "model.dropout"),
        # wrong types
        ("model.depth=four", "model.depth"),
        ("model.depth='4'", "model.depth"),
        ("model.depth=true", "model.depth"),
        ("model.depth=2.5", "model.depth"),
        ("pretrain.steps=1.0", "pretrain.steps"),
        ("pretrain.batch_size=false", "pretrain.batch_size"),
        ("pretrain.lr=fast", "pretrain.lr"),
        ("pretrain.lr=true", "pretrain.lr"),
        ("steer.sweep_layers=1", "steer.sweep_layers"),
        ("rl.methods=internal_rl", "rl.methods"),
        ("discover.alpha_sweep=[0.1, x]", "discover.alpha_sweep[1]"),
        ("model=3", "model"),
        # negative / zero sizes
        ("model.width=0", "model.width"),
        ("model.depth=-1", "model.depth"),
        ("pretrain.batch_size=0", "pretrain.batch_size"),
        ("pretrain.steps=-10", "pretrain.steps"),
        ("pretrain.lr=0", "pretrain.lr"),
        ("pretrain.weight_decay=-0.1", "pretrain.weight_decay"),
        ("pretrain.stop_at=-1", "pretrain.stop_at"),
        ("pretrain.stop_at=999999999", "pretrain.stop_at"),  # past the schedule's steps
        ("pretrain.stream_from=-1", "pretrain.stream_from"),
        ("pretrain.stream_from=100", "pretrain.stream_from"),  # no stream to start (data.stream is false)
        ("data.train_episodes=-5", "data.train_episodes"),
        ("env.size=0", "env.size"),
        ("discover.latent_dim=0", "discover.latent_dim"),
        ("discover.alpha_sweep=[0.1, -1]", "discover.alpha_sweep"),
        ("discover.kl_warmup_steps=-1", "discover.kl_warmup_steps"),
        ("discover.kl_free_steps=-1", "discover.kl_free_steps"),
        ("discover.alpha_late_from=-1", "discover.alpha_late_from"),
        ("discover.alpha_late=-0.1", "discover.alpha_late"),
        ("discover.decoder_b_init=-0.01", "discover.decoder_b_init"),
        ("discover.restart_check=-1", "discover.restart_check"),
        ("discover.restart_check=999999999", "discover.restart_check"),  # past the schedule's steps
        ("discover.restarts=-1", "discover.restarts"),
        ("discover.open_gate_steps=-1", "discover.open_gate_steps"),
        ("discover.gate_noise=-0.5", "discover.gate_noise"),
        ("discover.targets=greedy", "discover.targets"),
        ("pretrain.targets=greedy", "pretrain.targets"),
        ("steer.targets=greedy", "steer.targets"),
        ("data.meta_epsilon=-0.1", "data.meta_epsilon"),
        ("rl.clip=0", "rl.clip"),
        ("steer.rank=-4", "steer.rank"),
        ("data.epsilon=1.5", "data.epsilon"),
        ("seed=-1", "seed"),
        ("workers=-1", "workers"),
        # invalid enums
        ("model.encoder=resnet", "model.encoder"),
        ("pretrain.schedule=linear", "pretrain.schedule"),
        ("rl.methods=[internal_rl, dqn]", "rl.methods"),
        ("rl.raw_actions=mode", "rl.raw_actions"),
        ("device=tpu", "device"),
        # out of range combinations
        ("steer.layer=7", "steer.layer"),
        ("discover.layer=9", "discover.layer"),
        ("discover.layer=-2", "discover.layer"),
        ("model.width=130", "model.width"),  # not divisible by 4 heads
        ("env.num_colors=60", "env.num_colors"),  # does not fit on the 7x7 grid
    ],
)
def test_errors_name_the_field(override, field):
    msg = _error([override])
    assert msg.startswith(field + ":"), msg


def test_stream_from_changes_pretraining_and_what_follows_it():
    base = _fingerprints(load_config(None, ["data.stream=true"]))
    new = _fingerprints(load_config(None, ["data.stream=true", "pretrain.stream_from=48000"]))
    assert {s for s in STAGES if base[s] != new[s]} == set(STAGES) - {"data"}


def test_layer_is_checked_against_the_configured_depth():
    assert _error(["model.depth=2", "steer.layer=3"]).startswith("steer.layer:")
    assert load_config(None, ["model.depth=2", "steer.layer=2"]).steer.layer == 2


def test_error_from_yaml_file_names_the_field(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("pretrain: {steps: 10, lr: 1.0e-3, batch_sise: 8}\n")
    with pytest.raises(ConfigError, match=r"^pretrain\.batch_sise: unknown key"):
        load_config(p)
    p.write_text("- a list\n")
    with pytest.raises(ConfigError, match="top level"):
        load_config(p)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.yaml")


def test_empty_yaml_is_refused_and_no_config_gives_the_defaults(tmp_path):
    p = tmp_path / "empty.yaml"
    p.write_text("# nothing\n")  # an empty file is a mistake (a wrong path, a lost edit), not "the defaults"
    with pytest.raises(ConfigError, match="is empty"):
        load_config(p)
    assert load_config(None) == RunConfig()


# ------------------------------------------------------------------------------------------------ round trip
def test_round_trip_to_dict_and_yaml():
    cfg = load_config(
        None,
        [
            "model.depth=4",
            "rl.methods=[internal_rl]",
            "discover.alpha_sweep=[0.2]",
            "pretrain.lr=1e-3",
            "data.epsilon=0.1",
        ],
    )
    d = to_dict(cfg)
    assert isinstance(d["rl"]["methods"], list)  # YAML/JSON friendly
    assert from_dict(d) == cfg
    assert from_dict(yaml.safe_load(dump_yaml(cfg))) == cfg
    assert dump_yaml(from_dict(yaml.safe_load(dump_yaml(cfg)))) == dump_yaml(cfg)


def test_from_dict_does_not_mutate_its_input():
    data = {"pretrain": {"steps": 5}}
    from_dict(data, ["pretrain.lr=1e-2", "model.depth=2"])
    assert data == {"pretrain": {"steps": 5}}


# ------------------------------------------------------------------------------------------------ fingerprints
def _fingerprints(cfg: RunConfig) -> dict[str, str]:
    return {name: fingerprint(*parts) for name, parts in _sections(cfg).items()}


STAGES = ("data", "pretrain", "probe", "steer", "discover", "rl", "report")


@pytest.mark.parametrize(
    "override,changed",
    [
        ("seed=1", set(STAGES)),
        ("env.max_steps=90", set(STAGES)),
        ("data.train_episodes=99", set(STAGES)),
        ("data.meta_tasks=chains", set(STAGES) - {"pretrain"}),  # D* changes; pretraining never reads it
        ("pretrain.stop_at=10", set(STAGES) - {"data", "pretrain"}),  # the same schedule, stopped elsewhere
        ("model.width=128", set(STAGES) - {"data"}),
        ("pretrain.lr=1e-3", set(STAGES) - {"data"}),
        ("probe.steps=10", {"probe", "report"}),  # the report shows every stage's numbers
        ("steer.rank=8", {"steer", "report"}),
        ("discover.latent_dim=4", {"discover", "rl", "report"}),
        ("discover.targets=expert", {"discover", "rl", "report"}),
        ("pretrain.targets=expert", set(STAGES) - {"data"}),
        ("pretrain.init_from=runs/other", set(STAGES) - {"data"}),
        ("steer.targets=expert", {"steer", "report"}),
        ("data.meta_epsilon=0.1", set(STAGES) - {"pretrain"}),  # D* changes; pretraining never reads it
        ("rl.lr=1e-4", {"rl", "report"}),
        ("name=other", set()),  # naming, device and threads do not change results
        ("device=cpu", set()),
        ("threads=2", set()),
        ("workers=4", set()),  # the data stage's processes: the datasets do not depend on them
    ],
)
def test_fingerprint_changes_iff_a_relevant_section_changes(override, changed):
    base = _fingerprints(RunConfig())
    new = _fingerprints(load_config(None, [override]))
    assert {s for s in STAGES if base[s] != new[s]} == changed


def test_fingerprint_is_stable_and_order_independent():
    a = load_config(None, ["pretrain.lr=1e-3", "model.depth=4"])
    b = load_config(None, ["model.depth=4", "pretrain.lr=0.001"])
    assert _fingerprints(a) == _fingerprints(b)
    assert fingerprint(a.model, a.pretrain) != fingerprint(a.pretrain, a.model)  # sections are positional
    assert len(fingerprint(a.model)) == 16 and all(ch in "0123456789abcdef" for ch in fingerprint(a.model))


@pytest.mark.parametrize(
    "override,field", [("model.action=gaussian", "model.action"), ("model.encoder=vector", "model.obs_size")]
)
def test_the_gridworld_refuses_ant_shaped_models(override, field):
    """A Gaussian action head or vector encoder cannot read the gridworld's data: a one-line error naming it."""
    with pytest.raises(ConfigError, match=field):
        load_config(None, [override])
    with pytest.raises(ConfigError, match="model.encoder"):
        load_config(None, ["model.encoder=vector", "model.obs_size=41"])
