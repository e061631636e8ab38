//! The value a runtime carries for the layers above corio-sched (the
//! facade keeps its I/O and time driver handle there).

/// A value a runtime carries for the layers above it (see
/// [`Builder::extension`]).
pub type Extension = std::sync::Arc<dyn std::any::Any + Send + Sync>;
