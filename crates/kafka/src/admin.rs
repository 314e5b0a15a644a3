//! Topic administration: create, describe, delete and recreate the topics ShopStream uses, and
//! [`ensure_topic`]: the one blocking call that creates a missing topic (dead letters, state).

use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use serde::Serialize;

use crate::client::{ConnectError, ShopContext, client_config, probe_cluster};
use crate::retry::{self, Retry, Schedule};
use crate::settings::Settings;

/// A topic as the cluster reports it.
#[derive(Debug, Serialize)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: usize,
    pub replication_factor: usize,
    /// Where each partition lives, by partition id.
    #[serde(skip)]
    pub layout: Vec<PartitionLayout>,
}

/// One partition's leader and replicas (broker node ids), as the cluster metadata has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLayout {
    pub partition: i32,
    /// -1 while the partition has no leader (every replica down).
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub in_sync: Vec<i32>,
}

impl PartitionLayout {
    pub fn under_replicated(&self) -> bool {
        self.in_sync.len() < self.replicas.len()
    }
}

/// How topics are created: partitions, replicas and the replicas a write must reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicShape {
    pub partitions: i32,
    pub replication_factor: i32,
    /// None: the broker's default (min.insync.replicas=1 unless configured otherwise).
    pub min_insync_replicas: Option<i32>,
}

impl TopicShape {
    /// TOPIC_PARTITIONS, TOPIC_REPLICATION_FACTOR and TOPIC_MIN_INSYNC_REPLICAS, where 0 means 2
    /// with three replicas or more: a write then survives the loss of any one broker, and one
    /// broker down does not stop producing.
    pub fn of(settings: &Settings) -> TopicShape {
        let min_insync_replicas = match settings.min_insync_replicas {
            0 if settings.replication_factor >= 3 => Some(2),
            0 => None,
            n => Some(n),
        };
        TopicShape {
            partitions: settings.partitions,
            replication_factor: settings.replication_factor,
            min_insync_replicas,
        }
    }
}

/// What creating one topic did.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CreateOutcome {
    Created(TopicInfo),
    /// It was there already, as described.
    Exists(TopicInfo),
}

impl CreateOutcome {
    pub fn created(&self) -> bool {
        matches!(self, CreateOutcome::Created(_))
    }
}

/// The cleanup.policy a topic is created with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleanup {
    /// Kafka's default: old segments are deleted (the event and dead-letter topics).
    Delete,
    /// Compacted: the latest record of every key stays (the exactly-once state topic). An
    /// existing topic that is not compacted is refused: it would lose that state.
    Compact,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("cannot start the runtime for the admin client")]
    Runtime(#[source] std::io::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("cannot create topic {topic}: {reason}")]
    Create { topic: String, reason: String },
    #[error(
        "replication factor {asked} needs {asked} brokers, and the cluster has {brokers} up \
         (--replication-factor, TOPIC_REPLICATION_FACTOR)"
    )]
    TooFewBrokers { asked: i32, brokers: usize },
    #[error(
        "min.insync.replicas {min_insync} is more than the replication factor {replication_factor}: \
         no write could ever be acknowledged (--min-insync-replicas, TOPIC_MIN_INSYNC_REPLICAS)"
    )]
    MinInsyncAboveReplicas {
        min_insync: i32,
        replication_factor: i32,
    },
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

/// Makes sure topic `name` exists, creating it with `shape` and `cleanup` (as setup-topics
/// would) when it is missing; with [`Cleanup::Compact`], refuses an existing topic that is not
/// compacted. Blocks: connects (failing within `timeout`) and runs its own runtime.
pub fn ensure_topic(
    settings: &Settings,
    name: &str,
    shape: TopicShape,
    cleanup: Cleanup,
    timeout: Duration,
) -> Result<CreateOutcome, AdminError> {
    let admin = TopicAdmin::connect(settings, timeout)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(AdminError::Runtime)?;
    runtime.block_on(admin.ensure(name, shape, cleanup))
}

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

    fn metadata(&self) -> Result<rdkafka::metadata::Metadata, AdminError> {
        self.admin
            .inner()
            .fetch_metadata(None, self.timeout)
            .map_err(|error| AdminError::Request {
                timeout: self.timeout,
                error,
            })
    }

    /// How many brokers the cluster metadata lists (those up and registered).
    pub fn broker_count(&self) -> Result<usize, AdminError> {
        Ok(self.metadata()?.brokers().len())
    }

    /// The named topics that exist, in the order asked; missing ones are left out.
    pub fn describe(&self, names: &[&str]) -> Result<Vec<TopicInfo>, AdminError> {
        let metadata = self.metadata()?;
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
                    layout: topic
                        .partitions()
                        .iter()
                        .map(|p| PartitionLayout {
                            partition: p.id(),
                            leader: p.leader(),
                            replicas: p.replicas().to_vec(),
                            in_sync: p.isr().to_vec(),
                        })
                        .collect(),
                })
            })
            .collect())
    }

    /// Creates each topic that does not exist yet; existing ones are reported, not changed.
    pub async fn create(
        &self,
        names: &[&str],
        shape: TopicShape,
    ) -> Result<Vec<CreateOutcome>, AdminError> {
        self.create_with(names, shape, &[]).await
    }

    /// Creates a compacted topic (the exactly-once state topic) if it does not exist yet; one that
    /// exists is reported, not changed (see [`TopicAdmin::check_compacted`]).
    pub async fn create_compacted(
        &self,
        name: &str,
        shape: TopicShape,
    ) -> Result<CreateOutcome, AdminError> {
        self.create_one(name, shape, COMPACTED).await
    }

    async fn create_one(
        &self,
        name: &str,
        shape: TopicShape,
        config: &[(&str, &str)],
    ) -> Result<CreateOutcome, AdminError> {
        let outcomes = self.create_with(&[name], shape, config).await?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| AdminError::Create {
                topic: name.to_string(),
                reason: "not listed after creation".to_string(),
            })
    }

    /// See [`ensure_topic`].
    pub async fn ensure(
        &self,
        name: &str,
        shape: TopicShape,
        cleanup: Cleanup,
    ) -> Result<CreateOutcome, AdminError> {
        let outcome = match self.describe(&[name])?.pop() {
            Some(info) => CreateOutcome::Exists(info),
            None => match cleanup {
                Cleanup::Delete => self.create_one(name, shape, &[]).await?,
                Cleanup::Compact => self.create_one(name, shape, COMPACTED).await?,
            },
        };
        if cleanup == Cleanup::Compact {
            self.check_compacted(name).await?;
        }
        Ok(outcome)
    }

    /// The topic's cleanup.policy (`delete`, `compact` or `compact,delete`).
    pub async fn cleanup_policy(&self, topic: &str) -> Result<String, AdminError> {
        Ok(self
            .config_value(topic, "cleanup.policy")
            .await?
            .unwrap_or_else(|| "delete".to_string()))
    }

    /// The topic's min.insync.replicas (its own, or the broker's default it inherits).
    pub async fn min_insync_replicas(&self, topic: &str) -> Result<Option<i32>, AdminError> {
        Ok(self
            .config_value(topic, "min.insync.replicas")
            .await?
            .and_then(|value| value.parse().ok()))
    }

    async fn config_value(&self, topic: &str, key: &str) -> Result<Option<String>, AdminError> {
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
        Ok(resource.get(key).and_then(|entry| entry.value.clone()))
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
        shape: TopicShape,
        config: &[(&str, &str)],
    ) -> Result<Vec<CreateOutcome>, AdminError> {
        let existing = self.describe(names)?;
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !existing.iter().any(|e| e.name == *n))
            .collect();
        if !missing.is_empty() {
            self.check_shape(shape)?;
        }
        let min_insync = shape.min_insync_replicas.map(|n| n.to_string());
        let config: Vec<(&str, &str)> = config
            .iter()
            .copied()
            .chain(min_insync.as_deref().map(|n| ("min.insync.replicas", n)))
            .collect();
        let deadline = Instant::now() + self.timeout;
        self.create_missing(&missing, &existing, shape, &config, deadline)
            .await?;
        let now = self.wait_until_visible(names, deadline).await?;
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

    /// Creates the `missing` topics. A topic deleted a moment ago is "marked for deletion" for a
    /// while, and its creation answers TopicAlreadyExists: those are asked again until `deadline`.
    async fn create_missing(
        &self,
        missing: &[&str],
        existing: &[TopicInfo],
        shape: TopicShape,
        config: &[(&str, &str)],
        deadline: Instant,
    ) -> Result<(), AdminError> {
        if missing.is_empty() {
            return Ok(());
        }
        let mut pending: Vec<&str> = missing.to_vec();
        let schedule = Schedule::until(deadline).pausing(Duration::from_millis(250));
        retry::run_async(
            schedule,
            async |_| {
                let new_topics: Vec<NewTopic<'_>> = pending
                    .iter()
                    .map(|name| new_topic(name, shape, config))
                    .collect();
                let results = self
                    .admin
                    .create_topics(&new_topics, &self.options())
                    .await
                    .map_err(|error| AdminError::Request {
                        timeout: self.timeout,
                        error,
                    })?;
                let mut again = Vec::new();
                for result in results {
                    match result {
                        Ok(_) => {}
                        Err((topic, RDKafkaErrorCode::TopicAlreadyExists))
                            if !existing.iter().any(|e| e.name == topic) =>
                        {
                            again.push(topic)
                        }
                        Err((topic, code)) => return Err(Retry::Stop(create_error(topic, code))),
                    }
                }
                pending.retain(|n| again.iter().any(|r| r == n));
                match again.into_iter().next() {
                    None => Ok(()),
                    Some(topic) => Err(Retry::Again(create_error(
                        topic,
                        RDKafkaErrorCode::TopicAlreadyExists,
                    ))),
                }
            },
            retry::quietly,
        )
        .await
    }

    /// Kafka would refuse these too, in its own words; said here with the numbers and the flags.
    fn check_shape(&self, shape: TopicShape) -> Result<(), AdminError> {
        if let Some(min_insync) = shape.min_insync_replicas
            && min_insync > shape.replication_factor
        {
            return Err(AdminError::MinInsyncAboveReplicas {
                min_insync,
                replication_factor: shape.replication_factor,
            });
        }
        let brokers = self.broker_count()?;
        if shape.replication_factor as usize > brokers {
            return Err(AdminError::TooFewBrokers {
                asked: shape.replication_factor,
                brokers,
            });
        }
        Ok(())
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
        let schedule = Schedule::until(deadline).pausing(Duration::from_millis(200));
        retry::run_async(
            schedule,
            async |_| {
                if self.describe(&refs)?.is_empty() {
                    return Ok(());
                }
                Err(Retry::Again(AdminError::Delete {
                    topic: refs.join(", "),
                    reason: format!("still listed {}s after deletion", self.timeout.as_secs()),
                }))
            },
            retry::quietly,
        )
        .await?;
        Ok(existing)
    }

    /// Describes the topics once every broker asked lists them all: right after creation (or
    /// a broker's restart) one broker may still be catching up on the cluster's metadata.
    async fn wait_until_visible(
        &self,
        names: &[&str],
        deadline: Instant,
    ) -> Result<Vec<TopicInfo>, AdminError> {
        let schedule = Schedule::until(deadline).pausing(Duration::from_millis(100));
        retry::run_async(
            schedule,
            async |_| {
                let described = self.describe(names)?;
                if described.len() == names.len() {
                    return Ok(described);
                }
                Err(Retry::Again(AdminError::Create {
                    topic: names.join(", "),
                    reason: "created but not yet visible in the cluster metadata".to_string(),
                }))
            },
            retry::quietly,
        )
        .await
    }
}

/// A topic to create, with `shape` and the topic configuration `config`.
fn new_topic<'a>(name: &'a str, shape: TopicShape, config: &[(&'a str, &'a str)]) -> NewTopic<'a> {
    config.iter().fold(
        NewTopic::new(
            name,
            shape.partitions,
            TopicReplication::Fixed(shape.replication_factor),
        ),
        |topic, (key, value)| topic.set(key, value),
    )
}

/// Why Kafka refused to create `topic`, in words that say what to do about an ACL.
fn create_error(topic: String, code: RDKafkaErrorCode) -> AdminError {
    let reason = match code {
        RDKafkaErrorCode::TopicAuthorizationFailed
        | RDKafkaErrorCode::ClusterAuthorizationFailed => {
            "not authorized (the broker's ACLs must allow this user to create topics)".to_string()
        }
        code => code.to_string(),
    };
    AdminError::Create { topic, reason }
}

#[cfg(test)]
mod tests;
