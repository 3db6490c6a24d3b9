"""Training commands: the default model's head, and the classic Food-11 CNN for users without a checkpoint."""
