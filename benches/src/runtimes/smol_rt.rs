use std::sync::Arc;
use std::thread::JoinHandle;

use async_executor::Executor;
use futures_lite::future;

use crate::params::*;
use crate::{Contender, triangle};

/// smol's `async-executor`, run by N threads — the usual way to get a
/// multi-threaded smol runtime.
#[derive(Debug)]
pub struct SmolRt {
    ex: Arc<Executor<'static>>,
    stop: Option<async_channel::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

fn chain(ex: Arc<Executor<'static>>, done: async_channel::Sender<()>, n: u64) {
    if n == 0 {
        let _ = done.try_send(());
    } else {
        let next = ex.clone();
        ex.spawn(async move { chain(next, done, n - 1) }).detach();
    }
}

impl SmolRt {
    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        future::block_on(f)
    }
}

impl Contender for SmolRt {
    const NAME: &'static str = "smol";

    fn new(workers: usize) -> Self {
        let ex = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let threads = (0..workers)
            .map(|i| {
                let ex = ex.clone();
                let stopped = stopped.clone();
                std::thread::Builder::new()
                    .name(format!("smol-{i}"))
                    .spawn(move || future::block_on(ex.run(stopped.recv())).unwrap_or(()))
                    .expect("smol thread")
            })
            .collect();
        SmolRt { ex, stop: Some(stop), threads }
    }

    fn spawn_local(&self) {
        let ex = self.ex.clone();
        let sum = self.block_on(self.ex.spawn(async move {
            let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| ex.spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await;
            }
            sum
        }));
        assert_eq!(sum, triangle(SPAWN_TASKS));
    }

    fn spawn_remote(&self) {
        let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| self.ex.spawn(async move { i })).collect();
        let sum = self.block_on(async {
            let mut sum = 0;
            for t in tasks {
                sum += t.await;
            }
            sum
        });
        assert_eq!(sum, triangle(SPAWN_TASKS));
    }

    fn yield_many(&self) {
        let ex = self.ex.clone();
        let total = self.block_on(self.ex.spawn(async move {
            let tasks: Vec<_> = (0..YIELD_TASKS)
                .map(|_| {
                    ex.spawn(async {
                        for _ in 0..YIELDS {
                            future::yield_now().await;
                        }
                        YIELDS
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await;
            }
            total
        }));
        assert_eq!(total, YIELD_TASKS * YIELDS);
    }

    fn ping_pong(&self) {
        let ex = self.ex.clone();
        let total = self.block_on(self.ex.spawn(async move {
            let tasks: Vec<_> = (0..PING_TASKS)
                .map(|_| {
                    let ex = ex.clone();
                    ex.clone().spawn(async move {
                        let mut got = 0;
                        for round in 0..PING_ROUNDS {
                            let (ping_tx, ping_rx) = async_channel::bounded::<u64>(1);
                            let (pong_tx, pong_rx) = async_channel::bounded::<u64>(1);
                            ex.spawn(async move {
                                let v = ping_rx.recv().await.unwrap();
                                pong_tx.try_send(v + 1).unwrap();
                            })
                            .detach();
                            ping_tx.try_send(round).unwrap();
                            got += pong_rx.recv().await.unwrap() - round;
                        }
                        got
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await;
            }
            total
        }));
        assert_eq!(total, PING_TASKS * PING_ROUNDS);
    }

    fn chained_spawn(&self) {
        let ex = self.ex.clone();
        self.block_on(self.ex.spawn(async move {
            for _ in 0..CHAINS {
                let (tx, rx) = async_channel::bounded(1);
                chain(ex.clone(), tx, CHAIN_LEN);
                rx.recv().await.unwrap();
            }
        }));
    }
}

impl Drop for SmolRt {
    fn drop(&mut self) {
        drop(self.stop.take());
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
