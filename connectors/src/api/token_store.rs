//! OAuth tokens that rotate (Ideasoft spends its refresh token at every renewal and hands out a
//! new one), kept in a file the config names so a restarted run can still authenticate.
//!
//! The file is JSON, mode 0600, replaced atomically (temporary file, fsync, rename, fsync of the
//! directory) *before* a new token is used: a kill at any point leaves either the old chain or
//! the new one on disk, never a token the server no longer accepts with nothing newer beside it.
//! Renewals are serialised by an exclusive lock on `<file>.lock`, across tasks and processes,
//! and the file is re-read under the lock, so two renewals never spend the same refresh token.
//!
//! A renewal whose answer was lost (a timeout after the request was sent) leaves a marker in the
//! file naming the spent token. The next renewal finds it and stops with what the operator must
//! do instead of sending a token that may already be spent. Tokens never reach sled, logs,
//! events or reports: [`Tokens`] prints as `Tokens { .. }`.

use crate::connector::{ConnectorError, Result};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The current link of a token chain.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub refresh_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Unix seconds after which the access token is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// Fingerprint of the configured refresh token this chain grew from: a different one in
    /// the config means the operator authorised again, and the config's token is the newer.
    pub origin: String,
    /// Set while a renewal is in flight: the fingerprint of the refresh token being spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewing: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens { .. }")
    }
}

impl Tokens {
    /// A chain starting from the refresh token in the config.
    pub fn seeded(refresh_token: &str, access_token: Option<String>) -> Tokens {
        Tokens {
            refresh_token: refresh_token.to_string(),
            access_token,
            expires_at: None,
            origin: fingerprint(refresh_token),
            renewing: None,
        }
    }

    /// The access token, when it is known and not about to expire (`now` in unix seconds).
    pub fn usable_access(&self, now: i64) -> Option<&str> {
        match (&self.access_token, self.expires_at) {
            (Some(t), Some(at)) if at - EXPIRY_MARGIN_SECS > now => Some(t),
            (Some(t), None) => Some(t),
            _ => None,
        }
    }

    /// Whether a renewal spending the current refresh token started and never finished.
    pub fn renewal_unfinished(&self) -> bool {
        self.renewing.as_deref() == Some(fingerprint(&self.refresh_token).as_str())
    }
}

/// An access token this close to its expiry is renewed first rather than refused mid-run.
pub const EXPIRY_MARGIN_SECS: i64 = 60;

/// A short, one-way fingerprint of a secret, safe to keep beside it.
pub fn fingerprint(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex()[..16].to_string()
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The token file and its lock.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
}

/// Held while a renewal runs; dropping it releases the lock.
pub struct RenewalLock {
    _file: File,
}

impl TokenStore {
    pub fn new(path: impl Into<PathBuf>) -> TokenStore {
        TokenStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn ensure_dir(&self) -> Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|e| self.io("create the directory of", e))?;
                set_mode(dir, 0o700);
            }
        }
        Ok(())
    }

    fn io(&self, what: &str, e: std::io::Error) -> ConnectorError {
        ConnectorError::Input(format!(
            "cannot {what} the token file {}: {e} (check the path in options.token_file and its permissions)",
            self.path.display()
        ))
    }

    /// The stored chain, `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<Tokens>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io("read", e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            ConnectorError::Input(format!(
                "the token file {} is not readable ({e}, line {} column {}): delete it and set the newest refresh token in the config's credential variable",
                self.path.display(),
                e.line(),
                e.column()
            ))
        })
    }

    /// Replaces the file atomically and durably; returns only once the new content is on disk.
    pub fn save(&self, tokens: &Tokens) -> Result<()> {
        self.ensure_dir()?;
        let body = serde_json::to_vec_pretty(tokens)
            .map_err(|e| ConnectorError::Other(anyhow::anyhow!("token file: {e}")))?;
        let mut name = std::ffi::OsString::from(".");
        name.push(self.path.file_name().unwrap_or_default());
        name.push(format!(".tmp-{}", std::process::id()));
        let tmp = self.path.with_file_name(name);
        let written = (|| -> std::io::Result<()> {
            let mut f = create_private(&tmp, true)?;
            f.write_all(&body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.io("write", e));
        }
        Ok(())
    }

    /// Takes the exclusive renewal lock, waiting for a renewal another task or process runs.
    pub async fn lock(&self) -> Result<RenewalLock> {
        self.ensure_dir()?;
        let path = self.lock_path();
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let f = create_private(&path, false).map_err(|e| store.io("lock", e))?;
            f.lock().map_err(|e| store.io("lock", e))?;
            Ok(RenewalLock { _file: f })
        })
        .await
        .map_err(|e| ConnectorError::Other(anyhow::anyhow!("token lock task: {e}")))?
    }
}

/// Opens `path` for writing with mode 0600 from the first byte (never readable by others, not
/// even for an instant); `fresh` truncates.
fn create_private(path: &Path, fresh: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(fresh);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let f = o.open(path)?;
    set_mode(path, 0o600);
    Ok(f)
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_with_owner_only_permissions_and_loads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = TokenStore::new(dir.path().join("sub").join("tokens.json"));
        assert!(store.load().expect("load").is_none());
        let mut t = Tokens::seeded("r1", Some("a1".into()));
        t.expires_at = Some(now_secs() + 3600);
        store.save(&t).expect("save");
        assert_eq!(store.load().expect("load"), Some(t.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        t.refresh_token = "r2".into();
        store.save(&t).expect("save again");
        assert_eq!(
            store.load().expect("load").map(|t| t.refresh_token),
            Some("r2".into())
        );
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["tokens.json".to_string()]);
    }

    #[test]
    fn debug_output_never_shows_a_token() {
        let t = Tokens::seeded("secret-refresh", Some("secret-access".into()));
        let shown = format!("{t:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn an_access_token_near_its_expiry_is_not_used() {
        let mut t = Tokens::seeded("r", Some("a".into()));
        t.expires_at = Some(1_000);
        assert_eq!(t.usable_access(1_000 - EXPIRY_MARGIN_SECS - 1), Some("a"));
        assert_eq!(t.usable_access(1_000 - EXPIRY_MARGIN_SECS), None);
        t.expires_at = None;
        assert_eq!(t.usable_access(i64::MAX), Some("a"));
    }

    #[test]
    fn an_unfinished_renewal_is_recognised_only_for_the_current_token() {
        let mut t = Tokens::seeded("r1", None);
        assert!(!t.renewal_unfinished());
        t.renewing = Some(fingerprint("r1"));
        assert!(t.renewal_unfinished());
        t.refresh_token = "r2".into();
        assert!(!t.renewal_unfinished());
    }

    #[test]
    fn a_corrupt_file_names_itself_and_the_way_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.json");
        std::fs::write(&path, "{ not json").expect("write");
        let err = TokenStore::new(&path)
            .load()
            .expect_err("corrupt")
            .to_string();
        assert!(err.contains("t.json") && err.contains("line 1"), "{err}");
    }

    #[tokio::test]
    async fn the_lock_is_exclusive_across_handles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = TokenStore::new(dir.path().join("t.json"));
        let held = store.lock().await.expect("lock");
        let other = File::options()
            .write(true)
            .open(store.lock_path())
            .expect("lock file");
        assert!(other.try_lock().is_err(), "a second holder is refused");
        drop(held);
        assert!(other.try_lock().is_ok(), "released with the guard");
    }
}
