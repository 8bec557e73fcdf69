"""Torch-free evaluation and reporting: evaluate, statistics, progress, video, the catalogue and
the demo."""
