//! The git source. Being written.
