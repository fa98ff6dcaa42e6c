//! Marketing consent: `customerEmailMarketingConsentUpdate` and
//! `customerSmsMarketingConsentUpdate`, the only way Shopify takes a customer's consent after
//! the customer exists (`customerSet` has no consent fields). What they accept follows the
//! Admin schema's own descriptions: only SUBSCRIBED, UNSUBSCRIBED and PENDING may be set
//! (NOT_SUBSCRIBED, REDACTED and INVALID are read-only), email consent needs an email on the
//! customer and SMS consent a phone number.

use super::{gid_number, now, str_of, user_error, Store};
use serde_json::{json, Value};

/// The channel a consent mutation sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub(super) fn of_mutation(name: &str) -> Option<Channel> {
        match name {
            "customerEmailMarketingConsentUpdate" => Some(Channel::Email),
            "customerSmsMarketingConsentUpdate" => Some(Channel::Sms),
            _ => None,
        }
    }

    /// The input's field holding the consent, also the customer's field that stores it.
    pub(super) fn field(self) -> &'static str {
        match self {
            Channel::Email => "emailMarketingConsent",
            Channel::Sms => "smsMarketingConsent",
        }
    }

    pub(super) fn input_type(self) -> &'static str {
        match self {
            Channel::Email => "CustomerEmailMarketingConsentUpdateInput",
            Channel::Sms => "CustomerSmsMarketingConsentUpdateInput",
        }
    }

    pub(super) fn payload_type(self) -> &'static str {
        match self {
            Channel::Email => "CustomerEmailMarketingConsentUpdatePayload",
            Channel::Sms => "CustomerSmsMarketingConsentUpdatePayload",
        }
    }

    pub(super) fn consent_type(self) -> &'static str {
        match self {
            Channel::Email => "CustomerEmailMarketingConsentInput",
            Channel::Sms => "CustomerSmsMarketingConsentInput",
        }
    }

    fn error_type(self) -> &'static str {
        match self {
            Channel::Email => "CustomerEmailMarketingConsentUpdateUserError",
            Channel::Sms => "CustomerSmsMarketingConsentError",
        }
    }

    pub(super) fn input_fields(self) -> &'static [&'static str] {
        match self {
            Channel::Email => &["customerId", "emailMarketingConsent"],
            Channel::Sms => &["customerId", "smsMarketingConsent"],
        }
    }
}

/// Fields of `CustomerEmailMarketingConsentInput` and `CustomerSmsMarketingConsentInput`.
pub(super) const CONSENT_INPUT: &[&str] = &[
    "marketingState",
    "consentUpdatedAt",
    "marketingOptInLevel",
    "sourceLocationId",
];

/// The nested consent object of the mutation's input (already checked to be an object).
pub(super) fn consent_of(channel: Channel, input: &Value) -> Value {
    input.get(channel.field()).cloned().unwrap_or(Value::Null)
}

/// The state a customer holds before any consent is set: email consent always exists
/// (NOT_SUBSCRIBED), SMS consent only while the customer has a phone.
pub(super) fn initial(channel: Channel) -> Value {
    match channel {
        Channel::Email => json!({
            "__typename": "CustomerEmailMarketingConsentState", "marketingState": "NOT_SUBSCRIBED",
            "consentUpdatedAt": null, "marketingOptInLevel": null,
        }),
        Channel::Sms => json!({
            "__typename": "CustomerSmsMarketingConsentState", "marketingState": "NOT_SUBSCRIBED",
            "consentUpdatedAt": null, "marketingOptInLevel": null, "consentCollectedFrom": "OTHER",
        }),
    }
}

/// Sets one customer's consent on `channel`; answers the customer as stored.
pub(super) fn update(s: &mut Store, channel: Channel, input: &Value) -> Result<Value, Vec<Value>> {
    let t = channel.error_type();
    let id = str_of(input, "customerId")
        .as_deref()
        .and_then(gid_number)
        .filter(|n| s.customers.contains_key(n));
    let Some(id) = id else {
        return Err(vec![user_error(
            t,
            json!(["input", "customerId"]),
            "Customer not found",
            "INVALID",
        )]);
    };
    let consent = consent_of(channel, input);
    let state = str_of(&consent, "marketingState").unwrap_or_default();
    if !matches!(state.as_str(), "SUBSCRIBED" | "UNSUBSCRIBED" | "PENDING") {
        return Err(vec![user_error(
            t,
            json!(["input", channel.field(), "marketingState"]),
            format!("Marketing state {state} cannot be set: only SUBSCRIBED, UNSUBSCRIBED and PENDING are accepted"),
            "INCLUSION",
        )]);
    }
    let Some(mut c) = s.customers.get(&id).cloned() else {
        return Err(vec![]);
    };
    let (needs, missing) = match channel {
        Channel::Email => (
            "email",
            "An email address is required to update email marketing consent",
        ),
        Channel::Sms => (
            "phone",
            "A phone number is required to update SMS marketing consent",
        ),
    };
    if str_of(&c, needs).is_none_or(|v| v.trim().is_empty()) {
        return Err(vec![user_error(
            t,
            json!(["input", "customerId"]),
            missing,
            "INVALID",
        )]);
    }
    let mut stored = c
        .get(channel.field())
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| initial(channel));
    stored["marketingState"] = json!(state);
    // Shopify dates the change itself when the input names no date.
    stored["consentUpdatedAt"] = consent
        .get("consentUpdatedAt")
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or_else(|| json!(now()));
    stored["marketingOptInLevel"] = consent
        .get("marketingOptInLevel")
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or_else(|| json!("SINGLE_OPT_IN"));
    c[channel.field()] = stored;
    c["updatedAt"] = json!(now());
    s.put_customer(id, c.clone());
    Ok(c)
}
