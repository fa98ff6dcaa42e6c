//! Reading ahead: the source is lent to a task that reads (and parses) the next pages on the
//! other core while the agent checks or loads the current one. On file migrations reading is
//! about half the work, and both cores can share it.
//!
//! Nothing read ahead is trusted: the agent still commits its own cursor, which stays where the
//! last committed page ended, so a crash re-reads from there. The source comes back with
//! [`Prefetch::finish`].

use crate::runtime::Halt;
use storeshift_connectors::model::Entity;
use storeshift_connectors::{Cursor, Source, SourcePage};

/// One page read ahead.
pub struct Ahead {
    pub entity: Entity,
    pub page: SourcePage,
    /// The content hash of each record, when asked for and the reading core has time for it
    /// (empty otherwise: the consumer hashes those records itself).
    pub hashes: Vec<[u8; 32]>,
}

pub struct Prefetch {
    rx: tokio::sync::mpsc::Receiver<Result<Ahead, String>>,
    task: tokio::task::JoinHandle<Box<dyn Source>>,
}

impl Prefetch {
    /// Pages read ahead of the one being worked on.
    const AHEAD: usize = 2;

    /// Reads each entity of `plan` in turn, from its cursor to its last page.
    pub fn start(
        mut source: Box<dyn Source>,
        plan: Vec<(Entity, Option<Cursor>)>,
        limit: usize,
        hash: bool,
    ) -> Prefetch {
        let (tx, rx) = tokio::sync::mpsc::channel(Self::AHEAD);
        let rt = tokio::runtime::Handle::current();
        // A thread of its own: parsing is CPU work that never waits, and as a task it would
        // hold its worker (and the agent queued behind it there) for the whole read-ahead.
        // An API source's requests still run on the runtime, driven from this thread.
        let task = tokio::task::spawn_blocking(move || {
            for (entity, mut cursor) in plan {
                loop {
                    match rt.block_on(source.read_page(entity, cursor.as_ref(), limit)) {
                        Ok(page) => {
                            cursor = page.next.clone();
                            let last = cursor.is_none();
                            // Hashing goes to whichever side has time: when a page already
                            // waits, the consumer is the slower one and this thread hashes;
                            // when none waits, the consumer hashes what arrives without them.
                            let behind = tx.capacity() < Self::AHEAD;
                            let hashes = if hash && behind {
                                page.records.iter().map(|r| r.content_hash()).collect()
                            } else {
                                vec![]
                            };
                            let ahead = Ahead {
                                entity,
                                page,
                                hashes,
                            };
                            // A closed channel means the agent stopped: stop reading.
                            if tx.blocking_send(Ok(ahead)).is_err() {
                                return source;
                            }
                            if last {
                                break;
                            }
                        }
                        Err(e) => {
                            let _ = tx.blocking_send(Err(format!(
                                "reading {entity} from the source failed: {e}"
                            )));
                            return source;
                        }
                    }
                }
            }
            source
        });
        Prefetch { rx, task }
    }

    /// The next page, in plan order.
    pub async fn next(&mut self) -> Result<Ahead, String> {
        self.rx
            .recv()
            .await
            .unwrap_or_else(|| Err("the reader stopped before the last page".into()))
    }

    /// Stops reading and gives the source back.
    pub async fn finish(self) -> Result<Box<dyn Source>, Halt> {
        drop(self.rx);
        self.task
            .await
            .map_err(|e| Halt::Failed(format!("the source reader failed: {e}")))
    }
}
