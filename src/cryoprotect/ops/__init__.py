"""Operations: metrics, structured logging, feature flags, backup/restore."""
