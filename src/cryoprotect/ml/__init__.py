"""Machine learning: features, training, validation, model registry."""
