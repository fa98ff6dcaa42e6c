//! The control socket: a live run serves `control.sock` (mode 0600) in its workspace. Other
//! storeshift processes read its status and event stream and send pause, resume and decisions
//! through it, since sled admits one process. One JSON object per line each way.

use crate::event::Event;
use crate::hub::Hub;
use crate::link::{EventTap, Link};
use crate::runtime::apply;
use crate::snapshot::Snapshot;
use crate::store::Store;
use crate::Command;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    Status,
    /// A snapshot now, then events and snapshots as they happen.
    Subscribe,
    Command {
        command: Command,
    },
    Events {
        after: u64,
        limit: usize,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Box<Snapshot>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
}

impl Response {
    fn ok() -> Response {
        Response {
            ok: true,
            error: None,
            snapshot: None,
            event: None,
            events: vec![],
        }
    }
    fn err(msg: String) -> Response {
        Response {
            ok: false,
            error: Some(msg),
            ..Response::ok()
        }
    }
}

pub struct ControlServer {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlServer {
    pub async fn shutdown(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the socket (replacing a stale one left by a killed run) and serves it.
pub fn serve(path: PathBuf, store: Arc<Store>, hub: Arc<Hub>) -> Result<ControlServer, String> {
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(format!(
                "another storeshift run is live on this workspace ({} answers)",
                path.display()
            ));
        }
        let _ = std::fs::remove_file(&path);
    }
    let listener = UnixListener::bind(&path)
        .map_err(|e| format!("cannot serve the control socket {}: {e}", path.display()))?;
    set_private(&path)
        .map_err(|e| format!("cannot restrict {} to its owner: {e}", path.display()))?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (store, hub) = (store.clone(), hub.clone());
            tokio::spawn(async move {
                let _ = connection(stream, store, hub).await;
            });
        }
    });
    Ok(ControlServer { path, task })
}

fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

async fn write_line<T: Serialize>(
    w: &mut (impl AsyncWriteExt + Unpin),
    v: &T,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(v).map_err(std::io::Error::other)?;
    line.push(b'\n');
    w.write_all(&line).await
}

async fn connection(stream: UnixStream, store: Arc<Store>, hub: Arc<Hub>) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    while let Some(line) = lines.next_line().await? {
        let req: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                write_line(&mut w, &Response::err(format!("bad request: {e}"))).await?;
                continue;
            }
        };
        let run = hub.snapshot().run;
        let resp = match req {
            Request::Status => Response {
                snapshot: Some(Box::new(hub.snapshot())),
                ..Response::ok()
            },
            Request::Events { after, limit } => {
                match store.events_after(after, limit.min(10_000)) {
                    Ok(events) => Response {
                        events,
                        ..Response::ok()
                    },
                    Err(e) => Response::err(e.to_string()),
                }
            }
            Request::Command { command } => {
                let result = apply(&store, &hub, run, command);
                match result {
                    Ok(()) => Response::ok(),
                    Err(e) => Response::err(e),
                }
            }
            Request::Subscribe => return stream_to(w, &hub).await,
        };
        write_line(&mut w, &resp).await?;
    }
    Ok(())
}

/// Streams snapshots (at most 20 a second, only when changed) and events until the client goes.
async fn stream_to(mut w: tokio::net::unix::OwnedWriteHalf, hub: &Hub) -> std::io::Result<()> {
    let link = hub.link();
    let Link {
        mut snapshots,
        mut events,
        history,
        ..
    } = link;
    let first = Response {
        snapshot: Some(Box::new(snapshots.borrow_and_update().clone())),
        events: history,
        ..Response::ok()
    };
    write_line(&mut w, &first).await?;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(event) => write_line(&mut w, &Response { event: Some(event), ..Response::ok() }).await?,
                None => return Ok(()),
            },
            _ = tick.tick() => {
                if snapshots.has_changed().unwrap_or(false) {
                    let snap = snapshots.borrow_and_update().clone();
                    write_line(&mut w, &Response { snapshot: Some(Box::new(snap)), ..Response::ok() }).await?;
                }
            }
        }
    }
}

/// Sends one request to a live run and reads one answer.
pub async fn request(socket: &Path, req: &Request) -> std::io::Result<Response> {
    let stream = UnixStream::connect(socket).await?;
    let (r, mut w) = stream.into_split();
    write_line(&mut w, req).await?;
    let mut lines = BufReader::new(r).lines();
    match lines.next_line().await? {
        Some(line) => serde_json::from_str(&line).map_err(std::io::Error::other),
        None => Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the run closed the connection",
        )),
    }
}

/// Whether a live run answers on this socket.
pub async fn is_live(socket: &Path) -> bool {
    socket.exists() && request(socket, &Request::Status).await.is_ok()
}

/// A [`Link`] to a run in another process, for `storeshift attach`: snapshots and events come
/// over the socket, commands go back over it. Leaving drops the link; the run goes on.
pub async fn attach(socket: &Path) -> std::io::Result<Link> {
    let stream = UnixStream::connect(socket).await?;
    let (r, mut w) = stream.into_split();
    write_line(&mut w, &Request::Subscribe).await?;
    let mut lines = BufReader::new(r).lines();
    let first: Response = match lines.next_line().await? {
        Some(line) => serde_json::from_str(&line).map_err(std::io::Error::other)?,
        None => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the run closed the connection",
            ))
        }
    };
    let snap = first
        .snapshot
        .map(|s| *s)
        .ok_or_else(|| std::io::Error::other("no snapshot from the run"))?;
    let (snap_tx, snap_rx) = watch::channel(snap);
    let (tap, events, dropped) = EventTap::channel();
    tokio::spawn(async move {
        let _keep_writer = w;
        while let Ok(Some(line)) = lines.next_line().await {
            let Ok(resp) = serde_json::from_str::<Response>(&line) else {
                continue;
            };
            if let Some(s) = resp.snapshot {
                snap_tx.send_replace(*s);
            }
            if let Some(e) = resp.event {
                if !tap.send(e) {
                    break;
                }
            }
        }
    });
    let (cmd_tx, mut cmd_rx) = mpsc::channel::<Command>(16);
    let socket = socket.to_path_buf();
    tokio::spawn(async move {
        while let Some(command) = cmd_rx.recv().await {
            // `q` in an attached console leaves; it never stops the run.
            if matches!(command, Command::Stop) {
                continue;
            }
            let _ = request(&socket, &Request::Command { command }).await;
        }
    });
    Ok(Link {
        snapshots: snap_rx,
        events,
        dropped,
        commands: cmd_tx,
        history: first.events,
    })
}
