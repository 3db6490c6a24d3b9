"""Models: the classic Food-11 CNN, the embedded default (EfficientNet-Lite0 + head), checkpoints, layers."""
