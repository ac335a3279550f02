//! TODO(mode): filled in by the foundation work.
