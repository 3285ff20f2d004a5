"""Database layer: engine, sessions, base model and column types."""
