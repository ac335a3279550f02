//! TODO(config): filled in by the foundation work.
