//! The in-process fake Norman API (being written).
