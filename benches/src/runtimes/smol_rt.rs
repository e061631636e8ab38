use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use async_executor::Executor;
use futures_lite::future;

use crate::memory::wait_for_count;
use crate::params::*;
use crate::{Contender, echo, triangle};

/// smol's `async-executor`, run by N threads that each drive it inside
/// `async_io::block_on` — exactly how `smol::spawn`'s global executor runs,
/// so an idle worker also drives async-io's reactor (timers, sockets).
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

/// What the idle tasks of the memory row share.
#[derive(Default)]
struct Idle {
    event: event_listener::Event,
    released: AtomicBool,
    started: AtomicU64,
    finished: AtomicU64,
}

impl SmolRt {
    /// Accepts connections on `listener` forever (`TCP_NODELAY` set), each
    /// handled by `handler` in a task of its own (see `CorioRt::serve_each`).
    fn serve_each<F>(
        &self,
        listener: std::net::TcpListener,
        handler: impl Fn(async_io::Async<std::net::TcpStream>) -> F + Send + 'static,
    ) where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        let ex = self.ex.clone();
        self.run_task(async move {
            let listener = async_io::Async::new(listener).expect("smol listener");
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                stream.get_ref().set_nodelay(true).expect("nodelay");
                ex.spawn(handler(stream)).detach();
            }
        })
    }

    /// Runs `f` as a task on the executor and waits for its output.
    fn run_task<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> T {
        future::block_on(self.ex.spawn(f))
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
                    .spawn(move || async_io::block_on(ex.run(stopped.recv())).unwrap_or(()))
                    .expect("smol thread")
            })
            .collect();
        SmolRt { ex, stop: Some(stop), threads }
    }

    fn spawn_local(&self) {
        let ex = self.ex.clone();
        let sum = self.run_task(async move {
            let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| ex.spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await;
            }
            sum
        });
        assert_eq!(sum, triangle(SPAWN_TASKS));
    }

    fn spawn_remote(&self) {
        let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| self.ex.spawn(async move { i })).collect();
        let sum = future::block_on(async {
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
        let total = self.run_task(async move {
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
        });
        assert_eq!(total, YIELD_TASKS * YIELDS);
    }

    fn ping_pong(&self) {
        let ex = self.ex.clone();
        let total = self.run_task(async move {
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
        });
        assert_eq!(total, PING_TASKS * PING_ROUNDS);
    }

    fn chained_spawn(&self) {
        let ex = self.ex.clone();
        self.run_task(async move {
            for _ in 0..CHAINS {
                let (tx, rx) = async_channel::bounded(1);
                chain(ex.clone(), tx, CHAIN_LEN);
                rx.recv().await.unwrap();
            }
        });
    }

    fn gather(&self, n: u64) {
        let ex = self.ex.clone();
        let sum = self.run_task(async move {
            let tasks: Vec<_> = (0..n).map(|i| ex.spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await;
            }
            sum
        });
        assert_eq!(sum, triangle(n));
    }

    fn timers(&self) {
        let ex = self.ex.clone();
        let total = self.run_task(async move {
            let tasks: Vec<_> = (0..TIMER_TASKS)
                .map(|i| {
                    ex.spawn(async move {
                        let d = timer_delay(i);
                        let deadline = Instant::now() + d;
                        async_io::Timer::after(d).await;
                        assert!(Instant::now() >= deadline, "a sleep ended before its deadline");
                        1
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await;
            }
            total
        });
        assert_eq!(total, TIMER_TASKS);
    }

    fn echo(&self) {
        let ex = self.ex.clone();
        let total = self.run_task(async move {
            let listener = async_net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            let server_ex = ex.clone();
            let server = ex.spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..ECHO_CONNECTIONS {
                    let (stream, _) = listener.accept().await.expect("accept");
                    stream.set_nodelay(true).expect("nodelay");
                    conns.push(server_ex.spawn(echo::serve(stream)));
                }
                let mut echoed = 0;
                for c in conns {
                    echoed += c.await;
                }
                echoed
            });
            let clients: Vec<_> = (0..ECHO_CONNECTIONS)
                .map(|conn| {
                    ex.spawn(async move {
                        let stream = async_net::TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        echo::client(stream, conn).await
                    })
                })
                .collect();
            let mut total = 0;
            for c in clients {
                total += c.await;
            }
            assert_eq!(server.await, total * ECHO_MESSAGE as u64);
            total
        });
        assert_eq!(total, ECHO_CONNECTIONS * ECHO_ROUNDS);
    }

    fn channel(&self) {
        let ex = self.ex.clone();
        let sum = self.run_task(async move {
            let (tx, rx) = async_channel::bounded::<u64>(CHANNEL_CAPACITY);
            for p in 0..CHANNEL_PRODUCERS {
                let tx = tx.clone();
                ex.spawn(async move {
                    for i in 0..CHANNEL_MESSAGES {
                        tx.send(p * CHANNEL_MESSAGES + i).await.unwrap();
                    }
                })
                .detach();
            }
            drop(tx);
            let mut sum = 0;
            for _ in 0..CHANNEL_PRODUCERS * CHANNEL_MESSAGES {
                sum += rx.recv().await.unwrap();
            }
            sum
        });
        assert_eq!(sum, channel_sum());
    }

    fn mutex(&self) {
        let count = self.run_task(async {
            let mutex = async_lock::Mutex::new(0u64);
            for _ in 0..MUTEX_LOCKS {
                *mutex.lock().await += 1;
            }
            mutex.into_inner()
        });
        assert_eq!(count, MUTEX_LOCKS);
    }

    fn semaphore(&self) {
        let ex = self.ex.clone();
        let total = self.run_task(async move {
            let sem = Arc::new(async_lock::Semaphore::new(SEMAPHORE_PERMITS));
            let inside = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..SEMAPHORE_TASKS)
                .map(|_| {
                    let (sem, inside) = (sem.clone(), inside.clone());
                    ex.spawn(async move {
                        for _ in 0..SEMAPHORE_ROUNDS {
                            let permit = sem.acquire().await;
                            assert!(inside.fetch_add(1, Ordering::Relaxed) < SEMAPHORE_PERMITS, "too many holders");
                            future::yield_now().await;
                            inside.fetch_sub(1, Ordering::Relaxed);
                            drop(permit);
                        }
                        SEMAPHORE_ROUNDS
                    })
                })
                .collect();
            let mut total = 0;
            for t in tasks {
                total += t.await;
            }
            total
        });
        assert_eq!(total, SEMAPHORE_TASKS * SEMAPHORE_ROUNDS);
    }

    fn http_serve(&self, listener: std::net::TcpListener) {
        self.serve_each(listener, |stream| async move {
            let service = hyper::service::service_fn(crate::http::hello);
            let io = crate::http::FuturesIo(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        })
    }

    fn echo_serve(&self, listener: std::net::TcpListener) {
        self.serve_each(listener, echo::serve)
    }

    fn idle_tasks(&self, n: u64, at_peak: &mut dyn FnMut()) -> usize {
        let idle = Arc::new(Idle::default());
        let mut future_bytes = 0;
        for _ in 0..n {
            let idle = idle.clone();
            let task = async move {
                // event-listener's protocol: listen, then check the flag. The listener is
                // boxed by event-listener itself: that box counts in RSS, not in the future.
                let listener = idle.event.listen();
                idle.started.fetch_add(1, Ordering::Release);
                if !idle.released.load(Ordering::Acquire) {
                    listener.await;
                }
                idle.finished.fetch_add(1, Ordering::Release);
            };
            future_bytes = size_of_val(&task);
            self.ex.spawn(task).detach();
        }
        wait_for_count(&idle.started, n);
        at_peak();
        idle.released.store(true, Ordering::Release);
        idle.event.notify(usize::MAX);
        wait_for_count(&idle.finished, n);
        future_bytes
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
