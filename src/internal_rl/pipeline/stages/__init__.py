"""One module per pipeline stage, each with ``run(ctx) -> metrics`` (the graph is in pipeline/graph.py)."""
