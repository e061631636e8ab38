//! `task::Builder`: spawning with a name.

use std::future::Future;

use super::Task;
use crate::Handle;

/// Spawns a task with settings — today, a name.
///
/// ```
/// corio_sched::run(async {
///     let task = corio_sched::task::Builder::new().name("fetcher").spawn(async { 1 });
///     assert_eq!(task.name(), "fetcher");
///     task.await.unwrap();
/// });
/// ```
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// A builder with no name set (the task gets `Task-N`).
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The task's name.
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Spawns on the current runtime, like `create_task`.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with "no running corio runtime".
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Handle::current().spawn_named(future, self.name.map(String::into_boxed_str))
    }
}
