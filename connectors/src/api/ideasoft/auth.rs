//! The bearer token: given outright (`token`), or renewed with the refresh token grant
//! (`client_id`, `client_secret`, `refresh_token`). Ideasoft spends the refresh token at every
//! renewal and answers with a new one, so the chain lives in a [`TokenStore`] file: a renewal
//! takes the file's lock, re-reads it, marks the token it is about to spend, sends the grant
//! once, and writes the new chain to disk before the new access token is used.

use super::types::{parse_one, ErrorBody, TokenReply};
use crate::api::http::{CallError, HttpClient, Safety};
use crate::api::token_store::{fingerprint, now_secs, TokenStore, Tokens};
use crate::connector::{ConnectorError, Result};

/// Credentials for the refresh token grant and where the rotating chain is kept.
pub struct Rotating {
    pub client_id: String,
    pub client_secret: String,
    /// The refresh token the config names (the first link, or the operator's newest).
    pub configured: String,
    /// The environment variable holding it, for messages.
    pub variable: String,
    pub store: TokenStore,
    pub token_url: String,
}

pub struct Auth {
    fixed: Option<String>,
    rotating: Option<Rotating>,
    /// The chain as last read or written; the mutex serialises renewals in this process.
    current: tokio::sync::Mutex<Option<Tokens>>,
}

impl Auth {
    pub fn new(fixed: Option<String>, rotating: Option<Rotating>) -> Auth {
        Auth {
            fixed,
            rotating,
            current: tokio::sync::Mutex::new(None),
        }
    }

    pub fn renews(&self) -> bool {
        self.rotating.is_some()
    }

    /// The token file, when the token rotates.
    pub fn token_file(&self) -> Option<&std::path::Path> {
        self.rotating.as_ref().map(|r| r.store.path())
    }

    /// The token to send now: the stored one while it is valid, else a renewed one.
    pub async fn bearer(&self, http: &HttpClient) -> std::result::Result<String, CallError> {
        let Some(rot) = &self.rotating else {
            return self.fixed.clone().ok_or_else(|| {
                CallError::Failed("the Ideasoft endpoint has no access token".into())
            });
        };
        {
            let mut cur = self.current.lock().await;
            if cur.is_none() {
                *cur = Some(self.chain(rot).map_err(failed)?);
            }
            if let Some(t) = cur.as_ref().and_then(|c| c.usable_access(now_secs())) {
                return Ok(t.to_string());
            }
        }
        self.renew(http, None).await
    }

    /// Trades the refresh token for a new pair; `refused` is the access token the API just
    /// refused (a renewal someone else finished meanwhile is taken instead of spending again).
    pub async fn renew(
        &self,
        http: &HttpClient,
        refused: Option<&str>,
    ) -> std::result::Result<String, CallError> {
        let Some(rot) = &self.rotating else {
            return Err(CallError::Failed(
                "Ideasoft refused the access token (HTTP 401): issue a new one in the shop panel, or name client_id, client_secret and refresh_token credentials so storeshift can renew it".into(),
            ));
        };
        let mut cur = self.current.lock().await;
        let _lock = rot.store.lock().await.map_err(failed)?;
        let mut chain = self.chain(rot).map_err(failed)?;
        if let Some(t) = chain.usable_access(now_secs()) {
            if refused != Some(t) {
                let t = t.to_string();
                *cur = Some(chain);
                return Ok(t);
            }
        }
        if chain.renewal_unfinished() {
            return Err(CallError::Failed(format!(
                "Ideasoft token renewal: an earlier renewal spent the refresh token kept in {} and its answer was lost (the run stopped or the connection broke while it was under way), so that token may no longer be valid and storeshift will not send it again. Authorize the app again in the Ideasoft panel, put the new refresh token in the environment variable {}, then resume the run",
                rot.store.path().display(),
                rot.variable
            )));
        }
        chain.renewing = Some(fingerprint(&chain.refresh_token));
        rot.store.save(&chain).map_err(failed)?;
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", rot.client_id.as_str()),
            ("client_secret", rot.client_secret.as_str()),
            ("refresh_token", chain.refresh_token.as_str()),
        ];
        // Sent as an unsafe request: a failure after which Ideasoft may have rotated the token
        // comes back as ambiguous instead of being retried with the spent token.
        let sent = http
            .send("Ideasoft POST /oauth/v2/token", Safety::Unsafe, |c| {
                c.post(&rot.token_url).form(&form)
            })
            .await;
        let reply = match sent {
            Ok(r) => r,
            Err(CallError::Ambiguous(m)) => {
                // Another process may have written a newer chain; otherwise nobody knows.
                if let Ok(newer) = self.chain(rot) {
                    if newer.refresh_token != chain.refresh_token {
                        let t = newer.usable_access(now_secs()).map(str::to_string);
                        *cur = Some(newer);
                        if let Some(t) = t {
                            return Ok(t);
                        }
                    }
                }
                return Err(CallError::Failed(format!(
                    "Ideasoft token renewal: the answer was lost ({m}); Ideasoft may have replaced the refresh token kept in {}, so storeshift will not send it again. Authorize the app again in the Ideasoft panel, put the new refresh token in the environment variable {}, then resume the run",
                    rot.store.path().display(),
                    rot.variable
                )));
            }
            Err(CallError::Failed(m)) => {
                // Never reached Ideasoft (refused connection, 429): the token is unspent.
                chain.renewing = None;
                rot.store.save(&chain).map_err(failed)?;
                return Err(CallError::Failed(m));
            }
        };
        if !reply.status.is_success() {
            chain.renewing = None;
            rot.store.save(&chain).map_err(failed)?;
            let b: ErrorBody = serde_json::from_value(reply.body.clone()).unwrap_or_default();
            return Err(CallError::Failed(format!(
                "Ideasoft refused to renew the access token: HTTP {} {}: {} (a refresh token lasts about two months and each one works once; authorize the app again in the Ideasoft panel and put the new refresh token in the environment variable {})",
                reply.status.as_u16(),
                b.error.unwrap_or_default(),
                b.error_description.or(b.message).unwrap_or_default(),
                rot.variable
            )));
        }
        let fresh: TokenReply = match parse_one(reply.body, "POST /oauth/v2/token") {
            Ok(t) => t,
            Err(e) => {
                return Err(CallError::Failed(format!(
                    "{e}; the refresh token may be spent: authorize the app again in the Ideasoft panel and put the new refresh token in the environment variable {}",
                    rot.variable
                )))
            }
        };
        let next = Tokens {
            refresh_token: fresh
                .refresh_token
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| chain.refresh_token.clone()),
            access_token: Some(fresh.access_token.clone()),
            expires_at: fresh.expires_in.map(|s| now_secs() + s),
            origin: chain.origin.clone(),
            renewing: None,
        };
        // On disk before the new token is used: a kill from here on resumes with it.
        rot.store.save(&next).map_err(failed)?;
        *cur = Some(next);
        tracing::info!(file = %rot.store.path().display(), "Ideasoft access token renewed");
        Ok(fresh.access_token)
    }

    /// The chain on disk, or a new one from the config when there is none or the operator put
    /// a different refresh token in the config (a new authorization).
    fn chain(&self, rot: &Rotating) -> Result<Tokens> {
        match rot.store.load()? {
            Some(t) if t.origin == fingerprint(&rot.configured) => Ok(t),
            _ => Ok(Tokens::seeded(&rot.configured, self.fixed.clone())),
        }
    }
}

fn failed(e: ConnectorError) -> CallError {
    CallError::Failed(e.to_string())
}
