//! A `copbook serve` process for a test, shared by the serve, load and
//! browser tests: started on a free port (again on another when a test
//! running beside it took that port first), ready once it answers, and
//! killed when dropped, its log printed if the test failed.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// serve's default address.
pub const LOOPBACK: &str = "127.0.0.1";

/// How long serve may take to start or to notice a save.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A running `copbook serve`.
pub struct Serve {
    child: Child,
    pub host: &'static str,
    pub port: u16,
    stderr: PathBuf,
}

impl Serve {
    /// Serves `book` on `host` (passed with `-b` unless it is the default),
    /// logging into `logs`, and waits until it answers.
    pub fn launch(book: &Path, logs: &Path, host: &'static str) -> Serve {
        for _ in 0..5 {
            let port = TcpListener::bind((host, 0))
                .and_then(|l| l.local_addr())
                .expect("probe a free port")
                .port();
            let stdout = logs.join(format!("serve-{port}.stdout"));
            let stderr = logs.join(format!("serve-{port}.stderr"));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_copbook"));
            cmd.arg("serve").arg(book).arg("-p").arg(port.to_string());
            if host != LOOPBACK {
                cmd.arg("-b").arg(host);
            }
            let child = cmd
                .env("COPBOOK_TODAY", super::TODAY)
                .env_remove("RUST_BACKTRACE")
                .stdin(Stdio::null())
                .stdout(fs::File::create(&stdout).expect("create stdout log"))
                .stderr(fs::File::create(&stderr).expect("create stderr log"))
                .spawn()
                .expect("start copbook serve");
            let mut serve = Serve {
                child,
                host,
                port,
                stderr,
            };
            if serve.wait_ready() {
                return serve;
            }
        }
        panic!("could not start copbook serve on a free port");
    }

    /// [`Serve::launch`], then waits until its watcher sees a save.
    pub fn start(book: &Path, logs: &Path, host: &'static str) -> Serve {
        let serve = Serve::launch(book, logs, host);
        serve.wait_watching(book, logs);
        serve
    }

    /// Whether the server printed its `serving` line and answers (false:
    /// another process had taken its port).
    fn wait_ready(&mut self) -> bool {
        let until = Instant::now() + DEADLINE;
        loop {
            let log = self.log();
            if let Some(status) = self.child.try_wait().expect("poll copbook serve") {
                if log.contains("cannot listen") {
                    return false;
                }
                panic!("copbook serve exited with {status} before serving:\n{log}");
            }
            if log.contains("serving ") && TcpStream::connect((self.host, self.port)).is_ok() {
                return true;
            }
            assert!(
                Instant::now() < until,
                "copbook serve did not start within {DEADLINE:?}:\n{log}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the watcher is running. The server prints `serving`
    /// before it starts watching, so an edit made at once could be missed:
    /// content/index.md is saved again, unchanged, until a rebuild shows in
    /// the log (a rebuild that changes nothing sends no event).
    pub fn wait_watching(&self, book: &Path, staging_dir: &Path) {
        let file = book.join("content/index.md");
        let bytes = fs::read(&file).expect("read content/index.md");
        let staging = staging_dir.join("touch.tmp");
        let until = Instant::now() + DEADLINE;
        loop {
            fs::write(&staging, &bytes).expect("write staging file");
            fs::rename(&staging, &file).expect("rename into the book");
            let round = Instant::now() + Duration::from_millis(300);
            while Instant::now() < round {
                // "rebuilt …" or "rebuild failed …"
                if self.log().contains("\nrebuil") {
                    return;
                }
                thread::sleep(Duration::from_millis(10));
            }
            assert!(
                Instant::now() < until,
                "copbook serve never rebuilt after a save:\n{}",
                self.log()
            );
        }
    }

    /// What the server printed to stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().expect("poll child").is_none()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!(
                "--- copbook serve (port {}) stderr ---\n{}",
                self.port,
                self.log()
            );
        }
    }
}
