"""The docs a researcher navigates by: docs/experiments.md's contents list every experiment it holds."""

import re
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parents[1] / "docs" / "experiments.md"


def test_the_experiments_contents_list_every_experiment_once_in_order():
    text = EXPERIMENTS.read_text()
    head, body = text.split("## E1.", 1)
    headings = re.findall(r"^## (E\d+)\. ", "## E1." + body, flags=re.M)
    listed = re.findall(r"^- \*\*(E\d+)\*\* ", head, flags=re.M)
    assert headings and listed == headings, "docs/experiments.md: update its Contents (one line per ## En. heading)"
    assert [int(e[1:]) for e in headings] == list(range(1, len(headings) + 1)), "experiments numbered E1, E2, ..."
