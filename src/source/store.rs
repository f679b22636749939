//! The plan store. Being written.
