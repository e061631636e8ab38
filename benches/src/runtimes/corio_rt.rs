use crate::params::*;
use crate::{Contender, triangle};

/// corio's multi-thread runtime.
#[derive(Debug)]
pub struct CorioRt(corio::Runtime);

fn chain(done: corio::sync::oneshot::Sender<()>, n: u64) {
    if n == 0 {
        let _ = done.send(());
    } else {
        corio::spawn(async move { chain(done, n - 1) }).detach();
    }
}

impl Contender for CorioRt {
    const NAME: &'static str = "corio";

    fn new(workers: usize) -> Self {
        CorioRt(corio::Runtime::builder().worker_threads(workers).build().expect("corio runtime"))
    }

    fn spawn_local(&self) {
        let sum = self
            .0
            .block_on(self.0.spawn(async {
                let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| corio::spawn(async move { i })).collect();
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
                        corio::spawn(async {
                            for _ in 0..YIELDS {
                                corio::yield_now().await;
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
        use corio::sync::oneshot;
        let total = self
            .0
            .block_on(self.0.spawn(async {
                let tasks: Vec<_> = (0..PING_TASKS)
                    .map(|_| {
                        corio::spawn(async {
                            let mut got = 0;
                            for round in 0..PING_ROUNDS {
                                let (ping_tx, ping_rx) = oneshot::channel::<u64>();
                                let (pong_tx, pong_rx) = oneshot::channel::<u64>();
                                corio::spawn(async move {
                                    let v = ping_rx.await.unwrap();
                                    pong_tx.send(v + 1).unwrap();
                                })
                                .detach();
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
                    let (tx, rx) = corio::sync::oneshot::channel();
                    chain(tx, CHAIN_LEN);
                    rx.await.unwrap();
                }
            }))
            .unwrap();
    }
}
