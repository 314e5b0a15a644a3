//! The one mock-cluster fixture of the crate's unit tests.
