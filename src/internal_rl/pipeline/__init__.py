"""The pipeline: the stage graph (graph.py), what a stage is given (context.py), what stages hand each other
(artifacts.py) and one module per stage (stages/)."""

from internal_rl.pipeline.graph import DEPENDS, ORDER, STAGES, Stage, run_stage, sections, upstream

__all__ = ["DEPENDS", "ORDER", "STAGES", "Stage", "run_stage", "sections", "upstream"]
