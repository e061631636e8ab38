use crate::params::*;
use crate::{Contender, triangle};

/// tokio's multi-thread runtime.
#[derive(Debug)]
pub struct TokioRt(tokio::runtime::Runtime);

fn chain(done: tokio::sync::oneshot::Sender<()>, n: u64) {
    if n == 0 {
        let _ = done.send(());
    } else {
        tokio::spawn(async move { chain(done, n - 1) });
    }
}

impl Contender for TokioRt {
    const NAME: &'static str = "tokio";

    fn new(workers: usize) -> Self {
        TokioRt(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        )
    }

    fn spawn_local(&self) {
        let sum = self
            .0
            .block_on(self.0.spawn(async {
                let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| tokio::spawn(async move { i })).collect();
                let mut sum = 0;
                for t in tasks {
                    sum += t.await.unwrap();
                }
                sum
            }))
            .unwrap();
        assert_eq!(sum, triangle(SPAWN_TASKS));
    }

    fn spawn_remote(&self) {
        let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| self.0.spawn(async move { i })).collect();
        let sum = self.0.block_on(async {
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, triangle(SPAWN_TASKS));
    }

    fn yield_many(&self) {
        let total = self
            .0
            .block_on(self.0.spawn(async {
                let tasks: Vec<_> = (0..YIELD_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            for _ in 0..YIELDS {
                                tokio::task::yield_now().await;
                            }
                            YIELDS
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.unwrap();
                }
                total
            }))
            .unwrap();
        assert_eq!(total, YIELD_TASKS * YIELDS);
    }

    fn ping_pong(&self) {
        use tokio::sync::oneshot;
        let total = self
            .0
            .block_on(self.0.spawn(async {
                let tasks: Vec<_> = (0..PING_TASKS)
                    .map(|_| {
                        tokio::spawn(async {
                            let mut got = 0;
                            for round in 0..PING_ROUNDS {
                                let (ping_tx, ping_rx) = oneshot::channel::<u64>();
                                let (pong_tx, pong_rx) = oneshot::channel::<u64>();
                                tokio::spawn(async move {
                                    let v = ping_rx.await.unwrap();
                                    pong_tx.send(v + 1).unwrap();
                                });
                                ping_tx.send(round).unwrap();
                                got += pong_rx.await.unwrap() - round;
                            }
                            got
                        })
                    })
                    .collect();
                let mut total = 0;
                for t in tasks {
                    total += t.await.unwrap();
                }
                total
            }))
            .unwrap();
        assert_eq!(total, PING_TASKS * PING_ROUNDS);
    }

    fn chained_spawn(&self) {
        self.0
            .block_on(self.0.spawn(async {
                for _ in 0..CHAINS {
                    let (tx, rx) = tokio::sync::oneshot::channel();
                    chain(tx, CHAIN_LEN);
                    rx.await.unwrap();
                }
            }))
            .unwrap();
    }
}
