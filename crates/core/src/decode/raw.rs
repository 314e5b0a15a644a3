//! What a message carries before it is checked: every field any event type may have, filled by
//! the fast flat reader ([`super::flat`]) or by serde, then checked by `RawEvent::validate`.

use std::borrow::Cow;

use serde::Deserialize;

/// A string from the message: borrowed when it has no escapes (the common case), owned when
/// serde_json had to unescape it. serde's own `Cow` impl always copies inside an `Option`.
#[derive(Debug)]
pub(super) struct Text<'a>(pub(super) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// Every field any event type may carry, as it arrives; `validate` decides what is required.
#[derive(Default, Deserialize)]
pub(super) struct RawEvent<'a> {
    #[serde(borrow)]
    pub(super) event_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) event_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) user_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) session_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) region: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) customer_type: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) product_id: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) product_name: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) category: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) brand: Option<Text<'a>>,
    pub(super) price: Option<f64>,
    pub(super) quantity: Option<u32>,
    #[serde(borrow)]
    pub(super) order_id: Option<Text<'a>>,
    pub(super) total: Option<f64>,
    #[serde(borrow)]
    pub(super) payment_method: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) device: Option<Text<'a>>,
    #[serde(borrow)]
    pub(super) query: Option<Text<'a>>,
    pub(super) results_count: Option<u32>,
    #[serde(borrow)]
    pub(super) fields_updated: Option<Vec<Text<'a>>>,
}
