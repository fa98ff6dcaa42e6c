//! Manual intervention points: durable, identified by a stable id derived from run, step and
//! item, decided by id (never by position), with a record of who decided, when and why.

use serde::{Deserialize, Serialize};
use storeshift_connectors::RecordRef;

/// Who did something: a person at a console or CLI, or the headless auto-decider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user: String,
    /// `SSH_CLIENT` of the session the action came from ("10.0.0.5 51234 22"), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_client: Option<String>,
    /// console, attach, cli, headless-auto
    pub via: String,
}

impl Actor {
    /// The person running this process, from the environment.
    pub fn current(via: &str) -> Actor {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .or_else(login_name)
            .unwrap_or_else(|| "unknown".to_string());
        let ssh_client = std::env::var("SSH_CLIENT")
            .ok()
            .filter(|s| !s.trim().is_empty());
        Actor {
            user,
            ssh_client,
            via: via.to_string(),
        }
    }

    pub fn describe(&self) -> String {
        match &self.ssh_client {
            Some(ssh) => {
                let host = ssh.split_whitespace().next().unwrap_or(ssh);
                format!("{} via {} from {}", self.user, self.via, host)
            }
            None => format!("{} via {}", self.user, self.via),
        }
    }
}

/// The account name of the process's user, from the password database.
fn login_name() -> Option<String> {
    // SAFETY: getpwuid returns a pointer into static storage (or null) that stays valid until the
    // next getpw* call; it is read at once and copied.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if pw.is_null() || (*pw).pw_name.is_null() {
            return None;
        }
        std::ffi::CStr::from_ptr((*pw).pw_name)
            .to_str()
            .ok()
            .map(str::to_string)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterventionOption {
    /// Stable key used to decide: `suffix_options`, `keep`, ...
    pub key: String,
    pub label: String,
    /// What choosing it will do, stated plainly.
    pub consequence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub option: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// What an option that takes one was given: the edited column mapping of a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
    pub by: Actor,
    /// RFC 3339, UTC.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intervention {
    /// Stable: derived from run, step and item, so a restart finds the same one.
    pub id: String,
    pub run: u32,
    /// The step that raised it: `assessment/duplicate_sku`, `planning/approve`, ...
    pub step: String,
    /// The item it is about (a SKU, a handle, "plan").
    pub item: String,
    pub title: String,
    pub problem: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<RecordRef>,
    pub options: Vec<InterventionOption>,
    /// Key of the recommended option.
    pub recommended: String,
    pub raised_at: String,
    /// What the step needs shown besides the problem (a file's proposed column mapping), in
    /// the step's own type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

impl Intervention {
    /// The stable id: short, typeable, the same for the same run, step and item.
    pub fn make_id(run: u32, step: &str, item: &str) -> String {
        let h = blake3::hash(format!("{run}\u{1f}{step}\u{1f}{item}").as_bytes());
        format!("iv-{}", &h.to_hex()[..10])
    }

    pub fn is_pending(&self) -> bool {
        self.decision.is_none()
    }

    pub fn option(&self, key: &str) -> Option<&InterventionOption> {
        self.options.iter().find(|o| o.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = Intervention::make_id(1, "assessment/duplicate_sku", "SKU-1");
        assert_eq!(
            a,
            Intervention::make_id(1, "assessment/duplicate_sku", "SKU-1")
        );
        assert_ne!(
            a,
            Intervention::make_id(1, "assessment/duplicate_sku", "SKU-2")
        );
        assert_ne!(
            a,
            Intervention::make_id(2, "assessment/duplicate_sku", "SKU-1")
        );
        assert!(a.starts_with("iv-") && a.len() == 13);
    }
}
