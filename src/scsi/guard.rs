//! TODO(guard): filled in by the foundation work.
