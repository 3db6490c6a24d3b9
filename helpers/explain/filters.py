"""What a convolution filter responds to (kept as one import path): activation maps on real
images (:mod:`.activation_maps`) and activation maximisation (:mod:`.activation_maximization`)."""
from .activation_maps import ActivationMaps, activation_maps, layer_output
from .activation_maximization import ActivationMaximization, FilterVisualization, high_frequency_share

__all__ = ["ActivationMaps", "ActivationMaximization", "FilterVisualization", "activation_maps",
           "high_frequency_share", "layer_output"]
