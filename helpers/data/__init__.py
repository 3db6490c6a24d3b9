"""Data: images of any mode as RGB tensors, the Food-11 layout, and the embedded demo dataset."""
