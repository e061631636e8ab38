use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::memory::wait_for_count;
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

/// What the idle tasks of the memory row share.
#[derive(Default)]
struct Idle {
    event: corio::sync::Event,
    started: AtomicU64,
    finished: AtomicU64,
}

impl CorioRt {
    /// Accepts connections on `listener` forever (`TCP_NODELAY` set), each
    /// handled by `handler` in a task of its own: the server side of the
    /// `http` row and of `scaling echo`.
    fn serve_each<F>(
        &self,
        listener: std::net::TcpListener,
        handler: impl Fn(corio::net::TcpStream) -> F + Send + 'static,
    ) where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        self.run_task(async move {
            listener.set_nonblocking(true).expect("nonblocking");
            let listener = corio::net::TcpListener::from_std(listener).expect("corio listener");
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                stream.set_nodelay(true).expect("nodelay");
                corio::spawn(handler(stream)).detach();
            }
        })
    }

    /// Runs `f` as a task on the runtime and waits for its output.
    fn run_task<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> T {
        self.0.block_on(self.0.spawn(f)).expect("root task")
    }
}

impl Contender for CorioRt {
    const NAME: &'static str = "corio";

    /// `CORIO_BENCH_CELL_CACHE=BYTES` sets `Builder::task_cell_cache` (0
    /// turns it off), for A/B runs of the cache in one build.
    fn new(workers: usize) -> Self {
        let mut builder = corio::Runtime::builder().worker_threads(workers);
        if let Ok(bytes) = std::env::var("CORIO_BENCH_CELL_CACHE") {
            let bytes = bytes.parse().expect("CORIO_BENCH_CELL_CACHE: a number of bytes");
            builder = builder.task_cell_cache(bytes);
        }
        CorioRt(builder.build().expect("corio runtime"))
    }

    fn spawn_local(&self) {
        let sum = self.run_task(async {
            let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| corio::spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
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
        let total = self.run_task(async {
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
        });
        assert_eq!(total, YIELD_TASKS * YIELDS);
    }

    fn ping_pong(&self) {
        use corio::sync::oneshot;
        let total = self.run_task(async {
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
        });
        assert_eq!(total, PING_TASKS * PING_ROUNDS);
    }

    fn chained_spawn(&self) {
        self.run_task(async {
            for _ in 0..CHAINS {
                let (tx, rx) = corio::sync::oneshot::channel();
                chain(tx, CHAIN_LEN);
                rx.await.unwrap();
            }
        });
    }

    fn gather(&self, n: u64) {
        // asyncio's `await gather(*coros)`: every future becomes a task, the
        // results come back in input order.
        let sum = self.run_task(async move {
            let results = corio::gather((0..n).map(|i| async move { i })).await.unwrap();
            results.into_iter().sum::<u64>()
        });
        assert_eq!(sum, triangle(n));
    }

    fn timers(&self) {
        let total = self.run_task(async {
            let tasks: Vec<_> = (0..TIMER_TASKS)
                .map(|i| {
                    corio::spawn(async move {
                        let d = timer_delay(i);
                        let deadline = std::time::Instant::now() + d;
                        corio::time::sleep(d).await;
                        assert!(std::time::Instant::now() >= deadline, "a sleep ended before its deadline");
                        1
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap();
            }
            total
        });
        assert_eq!(total, TIMER_TASKS);
    }

    fn echo(&self) {
        use crate::echo;
        let total = self.run_task(async {
            let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            let server = corio::spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..ECHO_CONNECTIONS {
                    let (stream, _) = listener.accept().await.expect("accept");
                    stream.set_nodelay(true).expect("nodelay");
                    conns.push(corio::spawn(echo::serve(stream)));
                }
                let mut echoed = 0;
                for c in conns {
                    echoed += c.await.unwrap();
                }
                echoed
            });
            let clients: Vec<_> = (0..ECHO_CONNECTIONS)
                .map(|conn| {
                    corio::spawn(async move {
                        let stream = corio::net::TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        echo::client(stream, conn).await
                    })
                })
                .collect();
            let mut total = 0;
            for c in clients {
                total += c.await.unwrap();
            }
            assert_eq!(server.await.unwrap(), total * ECHO_MESSAGE as u64);
            total
        });
        assert_eq!(total, ECHO_CONNECTIONS * ECHO_ROUNDS);
    }

    fn channel(&self) {
        let sum = self.run_task(async {
            let queue = corio::sync::Queue::<u64>::new(CHANNEL_CAPACITY);
            for p in 0..CHANNEL_PRODUCERS {
                let queue = queue.clone();
                corio::spawn(async move {
                    for i in 0..CHANNEL_MESSAGES {
                        queue.put(p * CHANNEL_MESSAGES + i).await.unwrap();
                    }
                })
                .detach();
            }
            let mut sum = 0;
            for _ in 0..CHANNEL_PRODUCERS * CHANNEL_MESSAGES {
                sum += queue.get().await.unwrap();
            }
            sum
        });
        assert_eq!(sum, channel_sum());
    }

    fn mutex(&self) {
        let count = self.run_task(async {
            let mutex = corio::sync::Mutex::new(0u64);
            for _ in 0..MUTEX_LOCKS {
                *mutex.lock().await += 1;
            }
            mutex.into_inner()
        });
        assert_eq!(count, MUTEX_LOCKS);
    }

    fn semaphore(&self) {
        let total = self.run_task(async {
            let sem = Arc::new(corio::sync::Semaphore::new(SEMAPHORE_PERMITS));
            let inside = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..SEMAPHORE_TASKS)
                .map(|_| {
                    let (sem, inside) = (sem.clone(), inside.clone());
                    corio::spawn(async move {
                        for _ in 0..SEMAPHORE_ROUNDS {
                            let permit = sem.acquire().await;
                            assert!(inside.fetch_add(1, Ordering::Relaxed) < SEMAPHORE_PERMITS, "too many holders");
                            corio::yield_now().await;
                            inside.fetch_sub(1, Ordering::Relaxed);
                            drop(permit);
                        }
                        SEMAPHORE_ROUNDS
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await.unwrap();
            }
            total
        });
        assert_eq!(total, SEMAPHORE_TASKS * SEMAPHORE_ROUNDS);
    }

    fn http_serve(&self, listener: std::net::TcpListener) {
        self.serve_each(listener, |stream| async move {
            let service = hyper::service::service_fn(crate::http::hello);
            let io = corio::hyper::Io::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        })
    }

    fn echo_serve(&self, listener: std::net::TcpListener) {
        self.serve_each(listener, crate::echo::serve)
    }

    fn idle_tasks(&self, n: u64, at_peak: &mut dyn FnMut()) -> usize {
        // "Sleeping" could be a timer (`corio::time::sleep`, tokio's `time::sleep`, smol's
        // `Timer`); every runtime waits on its own event primitive instead, so the row compares
        // tasks parked on a waker, not timer wheels.
        let idle = Arc::new(Idle::default());
        let mut future_bytes = 0;
        for _ in 0..n {
            let idle = idle.clone();
            let task = async move {
                idle.started.fetch_add(1, Ordering::Release);
                idle.event.wait().await;
                idle.finished.fetch_add(1, Ordering::Release);
            };
            future_bytes = size_of_val(&task);
            self.0.spawn(task).detach();
        }
        wait_for_count(&idle.started, n);
        at_peak();
        idle.event.set();
        wait_for_count(&idle.finished, n);
        future_bytes
    }
}
