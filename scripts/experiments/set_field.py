"""Set one field of a run's config.yaml: ``set_field.py CONFIG SECTION.FIELD VALUE`` (VALUE parsed as YAML; the
config is checked when a stage loads it)."""

import sys

import yaml

path, key, value = sys.argv[1:]
section, field = key.split(".", 1)
cfg = yaml.safe_load(open(path))
cfg.setdefault(section, {})[field] = yaml.safe_load(value)
with open(path, "w") as f:
    yaml.safe_dump(cfg, f, sort_keys=False)
