//! TODO(replay): filled in by the foundation work.
