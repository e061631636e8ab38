use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::memory::wait_for_count;
use crate::params::*;
use crate::{Contender, echo, triangle};

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

/// `echo::serve`, line for line, against tokio's I/O traits.
async fn echo_serve(mut stream: tokio::net::TcpStream) -> u64 {
    let mut buf = [0u8; 1024];
    let mut echoed = 0;
    loop {
        let n = stream.read(&mut buf).await.expect("echo server read");
        if n == 0 {
            return echoed;
        }
        stream.write_all(&buf[..n]).await.expect("echo server write");
        echoed += n as u64;
    }
}

/// `echo::client`, line for line, against tokio's I/O traits.
async fn echo_client(mut stream: tokio::net::TcpStream, conn: u64) -> u64 {
    let mut reply = [0u8; ECHO_MESSAGE];
    for round in 0..ECHO_ROUNDS {
        let msg = echo::message(conn, round);
        stream.write_all(&msg).await.expect("echo client write");
        stream.read_exact(&mut reply).await.expect("echo client read");
        assert_eq!(reply, msg, "echo reply of connection {conn}, round {round}");
    }
    ECHO_ROUNDS
}

/// What the idle tasks of the memory row share.
#[derive(Default)]
struct Idle {
    notify: tokio::sync::Notify,
    started: AtomicU64,
    finished: AtomicU64,
}

impl TokioRt {
    /// Accepts connections on `listener` forever (`TCP_NODELAY` set), each
    /// handled by `handler` in a task of its own (see `CorioRt::serve_each`).
    fn serve_each<F>(
        &self,
        listener: std::net::TcpListener,
        handler: impl Fn(tokio::net::TcpStream) -> F + Send + 'static,
    ) where
        F: Future<Output: Send + 'static> + Send + 'static,
    {
        self.run_task(async move {
            listener.set_nonblocking(true).expect("nonblocking");
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let (stream, _) = listener.accept().await.expect("accept");
                stream.set_nodelay(true).expect("nodelay");
                tokio::spawn(handler(stream));
            }
        })
    }

    /// Runs `f` as a task on the runtime and waits for its output.
    fn run_task<T: Send + 'static>(&self, f: impl Future<Output = T> + Send + 'static) -> T {
        self.0.block_on(self.0.spawn(f)).expect("root task")
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
        let sum = self.run_task(async {
            let tasks: Vec<_> = (0..SPAWN_TASKS).map(|i| tokio::spawn(async move { i })).collect();
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
        });
        assert_eq!(total, YIELD_TASKS * YIELDS);
    }

    fn ping_pong(&self) {
        use tokio::sync::oneshot;
        let total = self.run_task(async {
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
        });
        assert_eq!(total, PING_TASKS * PING_ROUNDS);
    }

    fn chained_spawn(&self) {
        self.run_task(async {
            for _ in 0..CHAINS {
                let (tx, rx) = tokio::sync::oneshot::channel();
                chain(tx, CHAIN_LEN);
                rx.await.unwrap();
            }
        });
    }

    fn gather(&self, n: u64) {
        // Spawn all, then await all in order: the same shape as the corio and
        // smol sides (a JoinSet would hand results back in completion order).
        let sum = self.run_task(async move {
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, triangle(n));
    }

    fn timers(&self) {
        let total = self.run_task(async {
            let tasks: Vec<_> = (0..TIMER_TASKS)
                .map(|i| {
                    tokio::spawn(async move {
                        let d = timer_delay(i);
                        let deadline = Instant::now() + d;
                        tokio::time::sleep(d).await;
                        assert!(Instant::now() >= deadline, "a sleep ended before its deadline");
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
        let total = self.run_task(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("local_addr");
            let server = tokio::spawn(async move {
                let mut conns = Vec::new();
                for _ in 0..ECHO_CONNECTIONS {
                    let (stream, _) = listener.accept().await.expect("accept");
                    stream.set_nodelay(true).expect("nodelay");
                    conns.push(tokio::spawn(echo_serve(stream)));
                }
                let mut echoed = 0;
                for c in conns {
                    echoed += c.await.unwrap();
                }
                echoed
            });
            let clients: Vec<_> = (0..ECHO_CONNECTIONS)
                .map(|conn| {
                    tokio::spawn(async move {
                        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                        stream.set_nodelay(true).expect("nodelay");
                        echo_client(stream, conn).await
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
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CHANNEL_CAPACITY);
            for p in 0..CHANNEL_PRODUCERS {
                let tx = tx.clone();
                tokio::spawn(async move {
                    for i in 0..CHANNEL_MESSAGES {
                        tx.send(p * CHANNEL_MESSAGES + i).await.unwrap();
                    }
                });
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
            let mutex = tokio::sync::Mutex::new(0u64);
            for _ in 0..MUTEX_LOCKS {
                *mutex.lock().await += 1;
            }
            mutex.into_inner()
        });
        assert_eq!(count, MUTEX_LOCKS);
    }

    fn semaphore(&self) {
        let total = self.run_task(async {
            let sem = Arc::new(tokio::sync::Semaphore::new(SEMAPHORE_PERMITS));
            let inside = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..SEMAPHORE_TASKS)
                .map(|_| {
                    let (sem, inside) = (sem.clone(), inside.clone());
                    tokio::spawn(async move {
                        for _ in 0..SEMAPHORE_ROUNDS {
                            let permit = sem.acquire().await.unwrap();
                            assert!(inside.fetch_add(1, Ordering::Relaxed) < SEMAPHORE_PERMITS, "too many holders");
                            tokio::task::yield_now().await;
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
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        })
    }

    fn echo_serve(&self, listener: std::net::TcpListener) {
        self.serve_each(listener, echo_serve)
    }

    fn idle_tasks(&self, n: u64, at_peak: &mut dyn FnMut()) -> usize {
        let idle = Arc::new(Idle::default());
        let mut future_bytes = 0;
        for _ in 0..n {
            let idle = idle.clone();
            let task = async move {
                let notified = idle.notify.notified();
                let mut notified = std::pin::pin!(notified);
                // Registered before counted, so `notify_waiters` below finds it.
                notified.as_mut().enable();
                idle.started.fetch_add(1, Ordering::Release);
                notified.await;
                idle.finished.fetch_add(1, Ordering::Release);
            };
            future_bytes = size_of_val(&task);
            drop(self.0.spawn(task));
        }
        wait_for_count(&idle.started, n);
        at_peak();
        idle.notify.notify_waiters();
        wait_for_count(&idle.finished, n);
        future_bytes
    }
}
