//! `metrics-consumer --serve`: the live dashboard page, its Server-Sent Events stream, the report
//! as JSON (/api/metrics), Prometheus text (/metrics) and /healthz.
//!
//! The consumer loop publishes a snapshot of the report a few times a second; the server only
//! reads snapshots, so serving never slows consumption down.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Json};
use axum::routing::get;
use serde::Serialize;
use shopstream_core::group_state::Coverage;
use shopstream_core::metrics::{MetricsEngine, Report};
use shopstream_core::windows::EventTimeReport;
use shopstream_core::{PerTopic, TopicKind};
use shopstream_kafka::group_consumer::PartitionLag;
use strum::VariantArray;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::IntervalStream;

use crate::figures::Snapshot;

mod prometheus;

/// The page: one file, no build step, no CDN (charts are SVG drawn by its own script).
const PAGE: &str = include_str!("dashboard.html");

/// Seconds of events/s history kept for the chart.
const HISTORY_SECONDS: usize = 300;

/// The report object, exactly as `metrics-consumer --json` prints each report.
#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub report: &'static str,
    pub group: &'a str,
    #[serde(flatten)]
    pub figures: &'a Report,
    pub lag: &'a [PartitionLag],
    /// With --exactly-once and --view: what the group's figures cover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<&'a Coverage>,
    /// With --window: the watermark, the too-late counts and the latest windows.
    #[serde(flatten)]
    pub event_time: Option<&'a EventTimeReport>,
}

/// The latest report, as the consumer loop last published it.
#[derive(Debug, Clone)]
struct Published {
    report: Report,
    lag: Vec<PartitionLag>,
    coverage: Option<Coverage>,
    event_time: Option<EventTimeReport>,
}

/// Events per second of each topic, one point per second.
#[derive(Debug, Clone, Copy, Serialize)]
struct RatePoint {
    /// Unix time, seconds.
    t: i64,
    product_events: u64,
    purchases: u64,
    user_events: u64,
    /// The consumer was catching up on a backlog (more than a second's reading behind): the
    /// page shows such seconds as backlog, so that they do not flatten the live rates' scale.
    backlog: bool,
}

/// What the consumer loop and the server share.
pub struct Dashboard {
    group: String,
    topic_names: PerTopic<String>,
    snapshot: RwLock<Option<Published>>,
    /// Messages consumed per topic, since start.
    consumed: PerTopic<AtomicU64>,
    history: Mutex<VecDeque<RatePoint>>,
    /// Total lag at the last sample.
    last_lag: AtomicI64,
}

impl Dashboard {
    pub fn new(group: &str, topic_names: PerTopic<String>) -> Arc<Dashboard> {
        Arc::new(Dashboard {
            group: group.to_string(),
            topic_names,
            snapshot: RwLock::new(None),
            consumed: Default::default(),
            history: Mutex::new(VecDeque::with_capacity(HISTORY_SECONDS)),
            last_lag: AtomicI64::new(0),
        })
    }

    /// Counts one consumed message of `topic` (cheap: called for every message).
    pub fn count(&self, topic: TopicKind) {
        self.consumed[topic].fetch_add(1, Ordering::Relaxed);
    }

    /// Publishes the current figures (for a group's, what they cover; with --window, the
    /// event-time part) and lag.
    pub fn publish(&self, figures: Snapshot, lag: Vec<PartitionLag>) {
        if let Ok(mut snapshot) = self.snapshot.write() {
            *snapshot = Some(Published {
                report: figures.report,
                lag,
                coverage: figures.coverage,
                event_time: figures.event_time,
            });
        }
    }

    fn snapshot(&self) -> Published {
        self.snapshot
            .read()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_else(|| Published {
                report: MetricsEngine::new().report(),
                lag: Vec::new(),
                coverage: None,
                event_time: None,
            })
    }

    fn api_json(&self) -> serde_json::Value {
        let snapshot = self.snapshot();
        let report = JsonReport {
            report: "live",
            group: &self.group,
            figures: &snapshot.report,
            lag: &snapshot.lag,
            coverage: snapshot.coverage.as_ref(),
            event_time: snapshot.event_time.as_ref(),
        };
        serde_json::to_value(report).unwrap_or_default()
    }

    /// Once a second: events/s per topic since the last sample.
    fn sample(&self, previous: &mut PerTopic<u64>) {
        let now = PerTopic::from_fn(|topic| self.consumed[topic].load(Ordering::Relaxed));
        let rate = |topic| now[topic] - previous[topic];
        let read: u64 = TopicKind::VARIANTS.iter().map(|&topic| rate(topic)).sum();
        // The total lag, read in place: no copy of the report once a second.
        let lag: i64 = self
            .snapshot
            .read()
            .ok()
            .and_then(|s| s.as_ref().map(|s| s.lag.iter().map(|l| l.lag).sum()))
            .unwrap_or(0);
        // Behind at the start or at the end of the second: the second that catches up is read at
        // backlog speed too.
        let lag = lag.max(self.last_lag.swap(lag, Ordering::Relaxed));
        let point = RatePoint {
            t: shopstream_core::Timestamp::now().millis() / 1000,
            product_events: rate(TopicKind::ProductEvents),
            purchases: rate(TopicKind::Purchases),
            user_events: rate(TopicKind::UserEvents),
            backlog: read > 0 && lag > read as i64,
        };
        *previous = now;
        if let Ok(mut history) = self.history.lock() {
            if history.len() == HISTORY_SECONDS {
                history.pop_front();
            }
            history.push_back(point);
        }
    }

    fn stream_json(&self) -> String {
        let history: Vec<RatePoint> = self
            .history
            .lock()
            .map(|h| h.iter().copied().collect())
            .unwrap_or_default();
        let body = serde_json::json!({
            "metrics": self.api_json(),
            "rates": history,
            // As a list, in TopicKind order (what the page reads).
            "topics": self.topic_names.as_slice(),
        });
        body.to_string()
    }

    /// The figures in Prometheus text format.
    fn prometheus(&self) -> String {
        let snapshot = self.snapshot();
        let consumed: Vec<(&str, u64)> = self
            .topic_names
            .iter()
            .map(|(topic, name)| (name.as_str(), self.consumed[topic].load(Ordering::Relaxed)))
            .collect();
        prometheus::render(&snapshot.report, &snapshot.lag, &consumed)
    }
}

/// Binds `address` now (so a taken port is one clear error before anything else happens) and
/// serves the dashboard from a thread of its own.
pub fn start(address: &str, dashboard: Arc<Dashboard>) -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(address)
        .with_context(|| format!("cannot serve the dashboard on {address}"))?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("dashboard".into())
        .spawn(move || {
            runtime.block_on(async move {
                let sampler = Arc::clone(&dashboard);
                tokio::spawn(async move {
                    let mut previous = PerTopic::default();
                    let mut tick = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        tick.tick().await;
                        sampler.sample(&mut previous);
                    }
                });
                let app = Router::new()
                    .route("/", get(page))
                    .route("/api/metrics", get(api_metrics))
                    .route("/api/stream", get(stream))
                    .route("/metrics", get(prometheus_text))
                    .route("/healthz", get(|| async { "ok\n" }))
                    .with_state(dashboard);
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => {
                        if let Err(error) = axum::serve(listener, app).await {
                            tracing::error!("dashboard server stopped: {error}");
                        }
                    }
                    Err(error) => tracing::error!("dashboard server cannot start: {error}"),
                }
            });
        })?;
    Ok(bound)
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn api_metrics(State(dashboard): State<Arc<Dashboard>>) -> Json<serde_json::Value> {
    Json(dashboard.api_json())
}

async fn prometheus_text(State(dashboard): State<Arc<Dashboard>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        dashboard.prometheus(),
    )
}

/// Server-Sent Events: the report and the events/s history, once a second.
async fn stream(
    State(dashboard): State<Arc<Dashboard>>,
) -> Sse<impl tokio_stream::Stream<Item = Result<SseEvent, Infallible>>> {
    let ticks = IntervalStream::new(tokio::time::interval(Duration::from_millis(1000)));
    let events = ticks.map(move |_| Ok(SseEvent::default().data(dashboard.stream_json())));
    Sse::new(events).keep_alive(KeepAlive::default())
}
