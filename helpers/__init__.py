"""Explain a CNN image classifier: data, models, explanation methods and plots for report.ipynb."""
