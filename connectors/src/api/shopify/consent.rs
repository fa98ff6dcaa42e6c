//! Marketing consent on Shopify as a target. `customerSet` has no consent fields, so a
//! customer's email and SMS consent is set by its own mutation after the upsert, and only where
//! the state the upsert answered differs from the source's: a rerun or a sync cycle sends
//! nothing for customers whose consent did not change.

use super::documents::Consent;
use super::reply::Written;
use crate::model::Customer;
use serde_json::{json, Value};

const SUBSCRIBED: &str = "SUBSCRIBED";
const UNSUBSCRIBED: &str = "UNSUBSCRIBED";

/// What a saved customer's consent needs.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Need {
    /// A consent mutation on `channel` with this `input`.
    Update { channel: Consent, input: Value },
    /// Consent the source gave that Shopify cannot hold for this customer, and why.
    Cannot(&'static str),
}

/// The consent updates `c` needs now that Shopify answered `written` for it.
pub(super) fn needs(c: &Customer, written: &Written) -> Vec<Need> {
    let state =
        |s: &Option<super::reply::ConsentState>| s.as_ref().map(|s| s.marketing_state.clone());
    let email_now = state(&written.email_marketing_consent);
    let sms_now = state(&written.sms_marketing_consent);
    let mut out = vec![];
    let email = if c.marketing.email {
        (email_now.as_deref() != Some(SUBSCRIBED)).then_some(SUBSCRIBED)
    } else if email_now.as_deref() == Some(SUBSCRIBED)
        // A consent date without any consent is a withdrawal: the customer unsubscribed then
        // (with SMS consent, the date is that consent's).
        || (c.marketing.updated_at.is_some()
            && !c.marketing.sms
            && email_now.as_deref() != Some(UNSUBSCRIBED))
    {
        Some(UNSUBSCRIBED)
    } else {
        None
    };
    if let Some(s) = email {
        if c.email.trim().is_empty() {
            out.push(Need::Cannot(
                "Shopify keeps email consent only for a customer with an email address",
            ));
        } else {
            out.push(update(Consent::Email, &written.id, s, c));
        }
    }
    let has_phone = written
        .phone
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty());
    if c.marketing.sms && sms_now.as_deref() != Some(SUBSCRIBED) {
        if has_phone {
            out.push(update(Consent::Sms, &written.id, SUBSCRIBED, c));
        } else {
            out.push(Need::Cannot(
                "Shopify keeps SMS consent only for a customer with a phone number, and this customer has none on Shopify",
            ));
        }
    } else if !c.marketing.sms && sms_now.as_deref() == Some(SUBSCRIBED) {
        out.push(update(Consent::Sms, &written.id, UNSUBSCRIBED, c));
    }
    out
}

fn update(channel: Consent, id: &str, state: &str, c: &Customer) -> Need {
    let mut consent = json!({ "marketingState": state });
    if let Some(at) = &c.marketing.updated_at {
        consent["consentUpdatedAt"] = json!(at.to_rfc3339());
    }
    if state == SUBSCRIBED {
        // The model does not say how the customer opted in; Shopify has a value for that.
        consent["marketingOptInLevel"] = json!("UNKNOWN");
    }
    Need::Update {
        channel,
        input: json!({ "customerId": id, channel.field(): consent }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::shopify::reply::ConsentState;
    use crate::model::{MarketingConsent, Timestamp};

    fn written(email: Option<&str>, sms: Option<&str>, phone: Option<&str>) -> Written {
        let st = |s: Option<&str>| {
            s.map(|s| ConsentState {
                marketing_state: s.into(),
                consent_updated_at: None,
            })
        };
        Written {
            id: "gid://shopify/Customer/7".into(),
            media: None,
            phone: phone.map(str::to_string),
            email_marketing_consent: st(email),
            sms_marketing_consent: st(sms),
        }
    }

    fn customer(email: bool, sms: bool, at: Option<&str>) -> Customer {
        Customer {
            email: "ana@example.com".into(),
            marketing: MarketingConsent {
                email,
                sms,
                updated_at: at.and_then(Timestamp::parse_rfc3339),
            },
            ..Customer::default()
        }
    }

    fn channels(n: &[Need]) -> Vec<(Consent, String)> {
        n.iter()
            .filter_map(|n| match n {
                Need::Update { channel, input } => Some((
                    *channel,
                    input[channel.field()]["marketingState"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )),
                Need::Cannot(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_subscriber_is_subscribed_with_the_source_date_and_nothing_is_sent_twice() {
        let c = customer(true, true, Some("2024-03-01T10:00:00+01:00"));
        let fresh = written(
            Some("NOT_SUBSCRIBED"),
            Some("NOT_SUBSCRIBED"),
            Some("+4930555"),
        );
        let n = needs(&c, &fresh);
        assert_eq!(
            channels(&n),
            vec![
                (Consent::Email, SUBSCRIBED.to_string()),
                (Consent::Sms, SUBSCRIBED.to_string())
            ]
        );
        let Need::Update { input, .. } = &n[0] else {
            panic!("{n:?}")
        };
        assert_eq!(input["customerId"], "gid://shopify/Customer/7");
        assert_eq!(
            input["emailMarketingConsent"]["consentUpdatedAt"],
            "2024-03-01T10:00:00+01:00"
        );
        let again = written(Some("SUBSCRIBED"), Some("SUBSCRIBED"), Some("+4930555"));
        assert!(needs(&c, &again).is_empty());
    }

    #[test]
    fn a_customer_who_never_subscribed_costs_no_mutation_and_a_withdrawal_is_carried() {
        let never = customer(false, false, None);
        let fresh = written(Some("NOT_SUBSCRIBED"), None, None);
        assert!(needs(&never, &fresh).is_empty());
        let withdrew = customer(false, false, Some("2024-03-01T10:00:00Z"));
        assert_eq!(
            channels(&needs(&withdrew, &fresh)),
            vec![(Consent::Email, UNSUBSCRIBED.to_string())]
        );
        let subscribed_on_target = written(Some("SUBSCRIBED"), Some("SUBSCRIBED"), Some("+1"));
        assert_eq!(
            channels(&needs(&never, &subscribed_on_target)),
            vec![
                (Consent::Email, UNSUBSCRIBED.to_string()),
                (Consent::Sms, UNSUBSCRIBED.to_string())
            ]
        );
    }

    #[test]
    fn an_sms_subscriber_who_never_took_email_is_not_marked_unsubscribed_from_email() {
        let c = customer(false, true, Some("2024-03-01T10:00:00Z"));
        let n = needs(
            &c,
            &written(Some("NOT_SUBSCRIBED"), Some("NOT_SUBSCRIBED"), Some("+1")),
        );
        assert_eq!(channels(&n), vec![(Consent::Sms, SUBSCRIBED.to_string())]);
    }

    #[test]
    fn sms_consent_without_a_phone_on_shopify_is_reported_not_sent() {
        let c = customer(false, true, None);
        let n = needs(&c, &written(Some("NOT_SUBSCRIBED"), None, None));
        assert_eq!(n.len(), 1);
        assert!(matches!(n[0], Need::Cannot(_)), "{n:?}");
    }
}
