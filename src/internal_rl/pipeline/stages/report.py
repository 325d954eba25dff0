"""Stage ``report``: the markdown report with figures, each number beside the paper's."""

from __future__ import annotations

from internal_rl.pipeline.context import Context
from internal_rl.report.markdown import build_report


def run(ctx: Context) -> dict:
    path = build_report(ctx.run.path) if ctx.dist.is_main else None
    return {"report": str(path)}
