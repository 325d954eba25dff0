"""The generated reproduction report: figures and markdown side by side with the paper's numbers."""
