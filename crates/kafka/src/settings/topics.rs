//! The names of the three ShopStream topics.

use shopstream_core::TopicKind;

/// The topic names in use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicNames {
    pub product_events: String,
    pub purchases: String,
    pub user_events: String,
}

impl TopicNames {
    pub fn name(&self, kind: TopicKind) -> &str {
        match kind {
            TopicKind::ProductEvents => &self.product_events,
            TopicKind::Purchases => &self.purchases,
            TopicKind::UserEvents => &self.user_events,
        }
    }

    pub fn kind_of(&self, topic: &str) -> Option<TopicKind> {
        <TopicKind as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .find(|&kind| self.name(kind) == topic)
    }

    /// (kind, name) for the three topics, in the fixed order product-events, purchases, user-events.
    pub fn iter(&self) -> impl Iterator<Item = (TopicKind, &str)> {
        <TopicKind as strum::VariantArray>::VARIANTS
            .iter()
            .map(|&kind| (kind, self.name(kind)))
    }
}
