"""Predictions on a split and the confusion matrix (scikit-learn)."""
