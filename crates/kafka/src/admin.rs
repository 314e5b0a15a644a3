//! Topic administration: create, describe, delete and recreate the topics ShopStream uses.

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use serde::Serialize;

use crate::client::{ConnectError, ShopContext, client_config, probe_cluster};
use crate::settings::Settings;

/// A topic as the cluster reports it.
#[derive(Debug, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: usize,
    pub replication_factor: usize,
}

/// What creating one topic did.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CreateOutcome {
    Created(TopicInfo),
    /// It was there already, as described.
    Exists(TopicInfo),
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot create topic {topic}: {reason}")]
    Create { topic: String, reason: String },
    #[error("cannot delete topic {topic}: {reason}")]
    Delete { topic: String, reason: String },
    #[error(
        "topic {topic} is not compacted (cleanup.policy={policy}), so it would lose the state it keeps; \
         give --state-topic (METRICS_STATE_TOPIC) another name, or make it compacted: \
         setup-topics --recreate, or kafka-configs.sh --alter --entity-type topics --entity-name {topic} \
         --add-config cleanup.policy=compact"
    )]
    NotCompacted { topic: String, policy: String },
    #[error("cannot read the configuration of topic {topic}: {reason}")]
    Config { topic: String, reason: String },
    #[error("Kafka did not answer within {}: {error}", crate::client::seconds(*.timeout))]
    Request {
        timeout: Duration,
        error: KafkaError,
    },
}

/// The state topic's configuration: compacted, so the latest state of every partition stays
/// forever while older ones go; small segments and an eager cleaner, since every commit rewrites
/// the state of each partition it touched.
const COMPACTED: &[(&str, &str)] = &[
    ("cleanup.policy", "compact"),
    ("segment.bytes", "16777216"),
    ("segment.ms", "600000"),
    ("min.cleanable.dirty.ratio", "0.1"),
];

pub struct TopicAdmin {
    admin: AdminClient<ShopContext>,
    timeout: Duration,
}

impl TopicAdmin {
    /// Connects and waits until the cluster answers, failing within `timeout`.
    pub fn connect(settings: &Settings, timeout: Duration) -> Result<TopicAdmin, AdminError> {
        probe_cluster(settings, timeout)?;
        let admin: AdminClient<ShopContext> = client_config(settings, "shopstream-setup-topics")
            .create_with_context(ShopContext::default())
            .map_err(ConnectError::Config)?;
        Ok(TopicAdmin { admin, timeout })
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout))
    }

    /// The named topics that exist, in the order asked; missing ones are left out.
    pub fn describe(&self, names: &[&str]) -> Result<Vec<TopicInfo>, AdminError> {
        let metadata = self
            .admin
            .inner()
            .fetch_metadata(None, self.timeout)
            .map_err(|error| AdminError::Request {
                timeout: self.timeout,
                error,
            })?;
        Ok(names
            .iter()
            .filter_map(|name| {
                let topic = metadata
                    .topics()
                    .iter()
                    .find(|t| t.name() == *name && t.error().is_none())?;
                Some(TopicInfo {
                    name: topic.name().to_string(),
                    partitions: topic.partitions().len(),
                    replication_factor: topic
                        .partitions()
                        .iter()
                        .map(|p| p.replicas().len())
                        .max()
                        .unwrap_or(0),
                })
            })
            .collect())
    }

    /// Creates each topic that does not exist yet; existing ones are reported, not changed.
    pub async fn create(
        &self,
        names: &[&str],
        partitions: i32,
        replication_factor: i32,
    ) -> Result<Vec<CreateOutcome>, AdminError> {
        self.create_with(names, partitions, replication_factor, &[])
            .await
    }

    /// Creates a compacted topic (the exactly-once state topic) if it does not exist yet; one that
    /// exists is reported, not changed (see [`TopicAdmin::check_compacted`]).
    pub async fn create_compacted(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i32,
    ) -> Result<CreateOutcome, AdminError> {
        let outcomes = self
            .create_with(&[name], partitions, replication_factor, COMPACTED)
            .await?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| AdminError::Create {
                topic: name.to_string(),
                reason: "not listed after creation".to_string(),
            })
    }

    /// The topic's cleanup.policy (`delete`, `compact` or `compact,delete`).
    pub async fn cleanup_policy(&self, topic: &str) -> Result<String, AdminError> {
        let error = |reason: String| AdminError::Config {
            topic: topic.to_string(),
            reason,
        };
        let results = self
            .admin
            .describe_configs([&ResourceSpecifier::Topic(topic)], &self.options())
            .await
            .map_err(|error| AdminError::Request {
                timeout: self.timeout,
                error,
            })?;
        let resource = results
            .into_iter()
            .next()
            .ok_or_else(|| error("no answer".to_string()))?
            .map_err(|code| error(code.to_string()))?;
        Ok(resource
            .get("cleanup.policy")
            .and_then(|entry| entry.value.clone())
            .unwrap_or_else(|| "delete".to_string()))
    }

    /// Fails with [`AdminError::NotCompacted`] unless the topic is compacted.
    pub async fn check_compacted(&self, topic: &str) -> Result<(), AdminError> {
        let policy = self.cleanup_policy(topic).await?;
        if policy.split(',').any(|p| p.trim() == "compact") {
            Ok(())
        } else {
            Err(AdminError::NotCompacted {
                topic: topic.to_string(),
                policy,
            })
        }
    }

    async fn create_with(
        &self,
        names: &[&str],
        partitions: i32,
        replication_factor: i32,
        config: &[(&str, &str)],
    ) -> Result<Vec<CreateOutcome>, AdminError> {
        let existing = self.describe(names)?;
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !existing.iter().any(|e| e.name == *n))
            .collect();
        let deadline = Instant::now() + self.timeout;
        let mut pending = missing.clone();
        // A topic deleted a moment ago is "marked for deletion" for a while: retry those.
        while !pending.is_empty() {
            let new_topics: Vec<NewTopic<'_>> = pending
                .iter()
                .map(|n| {
                    config.iter().fold(
                        NewTopic::new(n, partitions, TopicReplication::Fixed(replication_factor)),
                        |topic, (key, value)| topic.set(key, value),
                    )
                })
                .collect();
            let results = self
                .admin
                .create_topics(&new_topics, &self.options())
                .await
                .map_err(|error| AdminError::Request {
                    timeout: self.timeout,
                    error,
                })?;
            let mut retry = Vec::new();
            for result in results {
                match result {
                    Ok(_) => {}
                    Err((topic, RDKafkaErrorCode::TopicAlreadyExists))
                        if Instant::now() < deadline
                            && !existing.iter().any(|e| e.name == topic) =>
                    {
                        retry.push(topic)
                    }
                    Err((topic, code)) => {
                        let reason = match code {
                            RDKafkaErrorCode::TopicAuthorizationFailed
                            | RDKafkaErrorCode::ClusterAuthorizationFailed => {
                                "not authorized (the broker's ACLs must allow this user to create \
                                 topics)"
                                    .to_string()
                            }
                            code => code.to_string(),
                        };
                        return Err(AdminError::Create { topic, reason });
                    }
                }
            }
            pending.retain(|n| retry.iter().any(|r| r == n));
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        self.wait_until_visible(&missing, deadline).await?;
        let now = self.describe(names)?;
        Ok(now
            .into_iter()
            .map(|info| {
                if missing.contains(&info.name.as_str()) {
                    CreateOutcome::Created(info)
                } else {
                    CreateOutcome::Exists(info)
                }
            })
            .collect())
    }

    /// Deletes the topics that exist and waits until the cluster no longer lists them.
    pub async fn delete(&self, names: &[&str]) -> Result<Vec<String>, AdminError> {
        let existing: Vec<String> = self.describe(names)?.into_iter().map(|t| t.name).collect();
        if existing.is_empty() {
            return Ok(existing);
        }
        let refs: Vec<&str> = existing.iter().map(String::as_str).collect();
        let results = self
            .admin
            .delete_topics(&refs, &self.options())
            .await
            .map_err(|error| AdminError::Request {
                timeout: self.timeout,
                error,
            })?;
        for result in results {
            if let Err((topic, code)) = result
                && code != RDKafkaErrorCode::UnknownTopicOrPartition
            {
                return Err(AdminError::Delete {
                    topic,
                    reason: code.to_string(),
                });
            }
        }
        let deadline = Instant::now() + self.timeout;
        while !self.describe(&refs)?.is_empty() {
            if Instant::now() >= deadline {
                return Err(AdminError::Delete {
                    topic: refs.join(", "),
                    reason: format!("still listed {}s after deletion", self.timeout.as_secs()),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Ok(existing)
    }

    async fn wait_until_visible(
        &self,
        names: &[&str],
        deadline: Instant,
    ) -> Result<(), AdminError> {
        while self.describe(names)?.len() < names.len() {
            if Instant::now() >= deadline {
                return Err(AdminError::Create {
                    topic: names.join(", "),
                    reason: "created but not yet visible in the cluster metadata".to_string(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}
