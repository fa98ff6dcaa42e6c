//! What a front end (console, attached console, headless printer) holds of a run: the latest
//! snapshot, a bounded event stream with a drop counter, and a command sender.

use crate::{Command, Event, Snapshot};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Events a front end may fall behind by before the runtime starts dropping (and counting).
pub const EVENT_BUFFER: usize = 1024;

pub struct Link {
    /// Always the newest snapshot; a slow reader skips intermediate ones.
    pub snapshots: watch::Receiver<Snapshot>,
    /// Bounded; when full the producer drops the event and increments `dropped`.
    pub events: mpsc::Receiver<Event>,
    pub dropped: Arc<AtomicU64>,
    pub commands: mpsc::Sender<Command>,
    /// Recent events from before the link was made, oldest first, to fill the log pane.
    pub history: Vec<Event>,
}

/// The producing side of one link's event stream.
#[derive(Clone)]
pub struct EventTap {
    tx: mpsc::Sender<Event>,
    dropped: Arc<AtomicU64>,
}

impl EventTap {
    pub fn channel() -> (EventTap, mpsc::Receiver<Event>, Arc<AtomicU64>) {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        let dropped = Arc::new(AtomicU64::new(0));
        (
            EventTap {
                tx,
                dropped: dropped.clone(),
            },
            rx,
            dropped,
        )
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Never blocks the runtime: a full queue drops the event and counts it.
    /// Returns false once the reader is gone.
    pub fn send(&self, event: Event) -> bool {
        match self.tx.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}
