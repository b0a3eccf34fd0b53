"""AVU Studio trainer: Dolphin in PyTorch, AVU-Synth, training, export, evaluation."""
