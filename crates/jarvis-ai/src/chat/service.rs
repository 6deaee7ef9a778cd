//! ChatService: a message in, an answer streamed out over the event bus from
//! the first provider of the fallback chain that answers, both stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use jarvis_core::{ErrorKind, Event, EventBus, Problem, ProblemSource, Role};
use jarvis_memory::{
    Conversation, MemoryError, MemoryService, Message, MessageStatus, NewMessage, RecallKind,
    Recalled,
};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use super::resilience::{
    self, Attempt, BreakerConfig, BreakerState, Candidate, CircuitBreaker, RetryPolicy, Timeouts,
};
use super::{
    AnthropicProvider, ChatMessage, ChatProvider, ChatRequest, GeminiProvider, LocalProvider,
    OpenAiProvider,
};
use crate::providers::{Provider, ProviderError, ProviderKind, ProviderService};

/// How much recalled text may go into one request (about 400 tokens).
const RECALL_BUDGET_CHARS: usize = 1600;
/// How long a request waits for its own embedding before it goes without
/// the memories recalled by meaning.
const EMBED_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
/// Messages embedded per request to the embeddings endpoint, and per job.
const EMBED_BATCH: usize = 32;
const EMBED_BATCHES_PER_JOB: usize = 16;

/// The system note that carries recalled memories to the model: facts the
/// user asked to keep, then notes from earlier conversations.
fn recall_note(recalled: &[Recalled]) -> String {
    let (facts, notes): (Vec<&Recalled>, Vec<&Recalled>) =
        recalled.iter().partition(|r| r.kind == RecallKind::Fact);
    let mut note = String::new();
    if !facts.is_empty() {
        note.push_str("Facts the user asked you to remember:");
        for fact in facts {
            note.push_str(&format!("\n- {}", fact.excerpt));
        }
    }
    if !notes.is_empty() {
        if !note.is_empty() {
            note.push_str("\n\n");
        }
        note.push_str(
            "Notes from the user's earlier conversations with you, in case they help (ignore them if not):",
        );
        for memory in notes {
            note.push_str(&format!(
                "\n- [{}] {}",
                memory.conversation_title, memory.excerpt
            ));
        }
    }
    note
}

/// The longest message accepted.
const MAX_TEXT_CHARS: usize = 32_000;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct SendMessage {
    /// Continue this conversation; a new one is started when absent.
    #[serde(default)]
    #[ts(optional)]
    pub conversation_id: Option<String>,
    pub text: String,
    /// Ask this provider first; the others follow as fallbacks.
    #[serde(default)]
    #[ts(optional)]
    pub provider_id: Option<String>,
}

/// `POST /api/v1/chat/regenerate`: answer the last question again.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Regenerate {
    pub conversation_id: String,
    /// Ask this provider first this time.
    #[serde(default)]
    #[ts(optional)]
    pub provider_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SendReceipt {
    pub conversation: Conversation,
    pub user_message: Message,
    /// The id the answer will have; its text arrives as `chat_delta` events.
    pub assistant_message_id: String,
}

/// A provider's circuit breaker, for the UI and `/health`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderCircuit {
    pub provider_id: String,
    pub name: String,
    pub state: BreakerState,
}

/// The model name that means "the whole fallback chain".
pub const CHAIN_MODEL: &str = "jarvis";

/// A started stateless completion.
pub struct Completion {
    pub provider: String,
    pub model: String,
    pub stream: super::TokenStream,
}

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Unavailable(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("No AI provider yet: add one in Settings")]
    NoProvider,
    #[error("no answer with the id {0} is being written")]
    NotRunning(String),
    #[error(transparent)]
    Memory(#[from] MemoryError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

impl ProblemSource for ChatError {
    fn problem(&self) -> Problem {
        match self {
            ChatError::Invalid { field, reason } => Problem::invalid_field(*field, reason),
            ChatError::NoProvider => {
                Problem::new(ErrorKind::Conflict, "no_provider", self.to_string())
            }
            ChatError::NotRunning(_) => {
                Problem::new(ErrorKind::NotFound, "not_found", self.to_string())
            }
            ChatError::Unavailable(_) => Problem::new(
                ErrorKind::Unavailable,
                "providers_unavailable",
                self.to_string(),
            ),
            ChatError::Memory(e) => e.problem(),
            ChatError::Provider(ProviderError::NotFound(_)) => {
                Problem::new(ErrorKind::NotFound, "not_found", self.to_string())
                    .with_field("provider_id")
            }
            ChatError::Provider(e) => e.problem(),
        }
    }
}

#[derive(Clone)]
pub struct ChatService {
    inner: Arc<Inner>,
}

struct Inner {
    providers: ProviderService,
    memory: MemoryService,
    bus: EventBus,
    client: reqwest::Client,
    retry: RetryPolicy,
    timeouts: Timeouts,
    breaker_config: BreakerConfig,
    breakers: Mutex<HashMap<String, Arc<CircuitBreaker>>>,
    running: Mutex<HashMap<String, oneshot::Sender<()>>>,
    /// An embedding job is running (one at a time).
    embedding: std::sync::atomic::AtomicBool,
}

impl ChatService {
    pub fn new(providers: ProviderService, memory: MemoryService, bus: EventBus) -> Self {
        Self::with_policy(
            providers,
            memory,
            bus,
            RetryPolicy::default(),
            Timeouts::default(),
            BreakerConfig::default(),
        )
    }

    pub fn with_policy(
        providers: ProviderService,
        memory: MemoryService,
        bus: EventBus,
        retry: RetryPolicy,
        timeouts: Timeouts,
        breaker_config: BreakerConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                providers,
                memory,
                bus,
                client: super::http::client(std::time::Duration::from_secs(10)),
                retry,
                timeouts,
                breaker_config,
                breakers: Mutex::new(HashMap::new()),
                running: Mutex::new(HashMap::new()),
                embedding: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    fn breaker(&self, provider_id: &str) -> Arc<CircuitBreaker> {
        let mut breakers = self
            .inner
            .breakers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        breakers
            .entry(provider_id.to_owned())
            .or_insert_with(|| Arc::new(CircuitBreaker::new(self.inner.breaker_config.clone())))
            .clone()
    }

    /// The breaker state of every configured provider.
    pub async fn circuits(&self) -> Result<Vec<ProviderCircuit>, ChatError> {
        Ok(self
            .inner
            .providers
            .list()
            .await?
            .into_iter()
            .map(|p| ProviderCircuit {
                state: self.breaker(&p.id).state(),
                provider_id: p.id,
                name: p.name,
            })
            .collect())
    }

    /// Stores the user's message and starts the answer; returns at once.
    #[tracing::instrument(skip_all)]
    pub async fn send(&self, request: SendMessage) -> Result<SendReceipt, ChatError> {
        let text = request.text.trim().to_owned();
        if text.is_empty() {
            return Err(ChatError::Invalid {
                field: "text",
                reason: "must not be empty".into(),
            });
        }
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(ChatError::Invalid {
                field: "text",
                reason: format!("must be at most {MAX_TEXT_CHARS} characters"),
            });
        }
        let providers = self
            .ordered_providers(request.provider_id.as_deref())
            .await?;
        let conversation = match &request.conversation_id {
            Some(id) => self.inner.memory.conversation(id).await?,
            None => self.inner.memory.create_conversation(None).await?,
        };
        let mut history: Vec<ChatMessage> = self
            .inner
            .memory
            .messages(&conversation.id)
            .await?
            .into_iter()
            .filter(|m| m.status != MessageStatus::Failed && !m.content.is_empty())
            .map(|m| ChatMessage::new(m.role, m.content))
            .collect();
        // "Remember that …" pins a fact; the model still answers (and sees it).
        if let Some(fact) = jarvis_memory::remembered(&text) {
            self.inner
                .memory
                .add_fact(&fact, jarvis_memory::FactSource::Chat)
                .await?;
        }
        // Recall before storing the new message, so it cannot recall itself.
        let recalled = self
            .inner
            .memory
            .recall(&text, &conversation.id, RECALL_BUDGET_CHARS)
            .await?;
        let recalled = self
            .with_similar(&providers, &text, &conversation.id, recalled)
            .await;
        if !recalled.is_empty() {
            history.insert(0, ChatMessage::new(Role::System, recall_note(&recalled)));
        }
        let user_message = self
            .inner
            .memory
            .append(&conversation.id, NewMessage::user(text.clone()))
            .await?;
        history.push(ChatMessage::new(Role::User, text));
        let assistant_message_id = self
            .start_answer(&conversation.id, &providers, history, recalled)
            .await;
        let conversation = self.inner.memory.conversation(&conversation.id).await?;
        Ok(SendReceipt {
            conversation,
            user_message,
            assistant_message_id,
        })
    }

    /// Answers a conversation's last question again: its last answer is
    /// replaced by a new one (from `provider_id` first, when given).
    pub async fn regenerate(&self, request: Regenerate) -> Result<SendReceipt, ChatError> {
        let providers = self
            .ordered_providers(request.provider_id.as_deref())
            .await?;
        let messages = self.inner.memory.messages(&request.conversation_id).await?;
        if let Some(last) = messages.last()
            && self
                .inner
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(&last.id)
        {
            return Err(ChatError::Invalid {
                field: "conversation_id",
                reason: "the answer is still being written: stop it first".into(),
            });
        }
        let Some(question) = messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .cloned()
        else {
            return Err(ChatError::Invalid {
                field: "conversation_id",
                reason: "the conversation has no question to answer again".into(),
            });
        };
        self.inner
            .memory
            .remove_last_answer(&request.conversation_id)
            .await?;
        let history: Vec<ChatMessage> = self
            .inner
            .memory
            .messages(&request.conversation_id)
            .await?
            .into_iter()
            .filter(|m| m.status != MessageStatus::Failed && !m.content.is_empty())
            .map(|m| ChatMessage::new(m.role, m.content))
            .collect();
        let recalled = self
            .inner
            .memory
            .recall(
                &question.content,
                &request.conversation_id,
                RECALL_BUDGET_CHARS,
            )
            .await?;
        let recalled = self
            .with_similar(
                &providers,
                &question.content,
                &request.conversation_id,
                recalled,
            )
            .await;
        let mut history = history;
        if !recalled.is_empty() {
            history.insert(0, ChatMessage::new(Role::System, recall_note(&recalled)));
        }
        let assistant_message_id = self
            .start_answer(&request.conversation_id, &providers, history, recalled)
            .await;
        let conversation = self
            .inner
            .memory
            .conversation(&request.conversation_id)
            .await?;
        Ok(SendReceipt {
            conversation,
            user_message: question,
            assistant_message_id,
        })
    }

    /// The first provider (in fallback order) that names an embedding model.
    async fn embedder(&self, providers: &[Provider]) -> Option<super::embeddings::Embedder> {
        let provider = providers
            .iter()
            .find(|p| p.kind == ProviderKind::Openai && p.embedding_model.is_some())?;
        let key = match self.inner.providers.api_key(&provider.id).await {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!(error = %e, "no embeddings: the provider's key is unreadable");
                return None;
            }
        };
        Some(super::embeddings::Embedder::new(
            self.inner.client.clone(),
            &provider.base_url,
            key,
            provider.embedding_model.clone()?,
        ))
    }

    /// `recalled` plus the earlier messages closest in meaning to `text`,
    /// when a provider offers embeddings. Without them, or when the endpoint
    /// fails or is slow, the answer goes ahead with what words recalled.
    async fn with_similar(
        &self,
        providers: &[Provider],
        text: &str,
        conversation_id: &str,
        mut recalled: Vec<Recalled>,
    ) -> Vec<Recalled> {
        let Some(embedder) = self.embedder(providers).await else {
            return recalled;
        };
        self.spawn_embedding_job();
        let query = match tokio::time::timeout(EMBED_WAIT, embedder.embed(&[text.to_owned()])).await
        {
            Ok(Ok(mut vectors)) => vectors.pop().unwrap_or_default(),
            Ok(Err(fault)) => {
                tracing::warn!(%fault, "recall by meaning skipped");
                return recalled;
            }
            Err(_) => {
                tracing::warn!("recall by meaning skipped: the embeddings endpoint was too slow");
                return recalled;
            }
        };
        let used: usize = recalled.iter().map(|r| r.excerpt.len()).sum();
        match self
            .inner
            .memory
            .recall_similar(
                &embedder.model,
                query,
                conversation_id,
                recalled.clone(),
                RECALL_BUDGET_CHARS.saturating_sub(used),
            )
            .await
        {
            Ok(similar) => recalled.extend(similar),
            Err(e) => tracing::warn!(error = %e, "recall by meaning failed"),
        }
        recalled
    }

    /// Embeds, in the background, the newest messages that have no vector
    /// yet (a few hundred per job, so older history fills in over time).
    fn spawn_embedding_job(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.embedding.swap(true, Ordering::AcqRel) {
            return;
        }
        let service = self.clone();
        tokio::spawn(async move {
            if let Err(e) = service.embed_backlog().await {
                tracing::warn!(error = %e, "embedding messages stopped");
            }
            service.inner.embedding.store(false, Ordering::Release);
        });
    }

    async fn embed_backlog(&self) -> Result<(), String> {
        let providers = self
            .inner
            .providers
            .list()
            .await
            .map_err(|e| e.to_string())?;
        let Some(embedder) = self.embedder(&providers).await else {
            return Ok(());
        };
        for _ in 0..EMBED_BATCHES_PER_JOB {
            let batch = self
                .inner
                .memory
                .unembedded(&embedder.model, EMBED_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            if batch.is_empty() {
                break;
            }
            let texts: Vec<String> = batch.iter().map(|(_, text)| text.clone()).collect();
            let vectors = embedder.embed(&texts).await.map_err(|e| e.to_string())?;
            let pairs = batch.into_iter().map(|(id, _)| id).zip(vectors).collect();
            self.inner
                .memory
                .store_embeddings(&embedder.model, pairs)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The configured providers, `first` moved to the front.
    async fn ordered_providers(&self, first: Option<&str>) -> Result<Vec<Provider>, ChatError> {
        let mut providers = self.inner.providers.list().await?;
        if providers.is_empty() {
            return Err(ChatError::NoProvider);
        }
        if let Some(first) = first {
            let index = providers
                .iter()
                .position(|p| p.id == first)
                .ok_or_else(|| ProviderError::NotFound(first.to_owned()))?;
            let chosen = providers.remove(index);
            providers.insert(0, chosen);
        }
        Ok(providers)
    }

    /// Starts streaming an answer to `history` in the background; returns
    /// the id the answer will have.
    async fn start_answer(
        &self,
        conversation_id: &str,
        providers: &[Provider],
        history: Vec<ChatMessage>,
        recalled: Vec<Recalled>,
    ) -> String {
        let chain = self.chain(providers, &history).await;
        let assistant_message_id = uuid::Uuid::new_v4().to_string();
        let (stop, stopped) = oneshot::channel();
        self.inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(assistant_message_id.clone(), stop);
        let service = self.clone();
        let (conversation_id, message_id) =
            (conversation_id.to_owned(), assistant_message_id.clone());
        tokio::spawn(async move {
            service
                .answer(conversation_id, message_id, chain, recalled, stopped)
                .await;
        });
        assistant_message_id
    }

    /// The models a configured provider offers, from its models endpoint.
    pub async fn provider_models(&self, provider_id: &str) -> Result<Vec<String>, ChatError> {
        let provider = self.inner.providers.get(provider_id).await?;
        let chain = self.chain(std::slice::from_ref(&provider), &[]).await;
        let candidate = chain.first().ok_or_else(|| {
            ChatError::Unavailable(format!("{} has no readable key", provider.name))
        })?;
        candidate
            .provider
            .models()
            .await
            .map_err(|fault| ChatError::Unavailable(format!("{}: {fault}", provider.name)))
    }

    /// Model names for OpenAI-compatible clients: `jarvis` (the whole
    /// fallback chain) and each provider's model.
    pub async fn model_names(&self) -> Result<Vec<String>, ChatError> {
        let mut names = vec![CHAIN_MODEL.to_owned()];
        for provider in self.inner.providers.list().await? {
            if !names.contains(&provider.model) {
                names.push(provider.model);
            }
        }
        Ok(names)
    }

    /// Starts a stateless completion for the OpenAI-compatible API: `model`
    /// picks the provider asked first (`jarvis` keeps the configured order);
    /// the others stay as fallbacks.
    pub async fn complete(
        &self,
        model: &str,
        messages: Vec<ChatMessage>,
        max_tokens: Option<u32>,
        temperature: Option<f32>,
    ) -> Result<Completion, ChatError> {
        let mut providers = self.inner.providers.list().await?;
        if providers.is_empty() {
            return Err(ChatError::NoProvider);
        }
        if model != CHAIN_MODEL {
            let index = providers
                .iter()
                .position(|p| p.model == model)
                .ok_or_else(|| ChatError::Invalid {
                    field: "model",
                    reason: format!(
                        "no configured provider serves `{model}`; GET /v1/models lists them"
                    ),
                })?;
            let chosen = providers.remove(index);
            providers.insert(0, chosen);
        }
        let mut chain = self.chain(&providers, &messages).await;
        for candidate in &mut chain {
            candidate.request.max_tokens = max_tokens;
            candidate.request.temperature = temperature;
        }
        match resilience::start(&chain, &self.inner.retry, &self.inner.timeouts).await {
            Ok(started) => {
                let model = chain
                    .iter()
                    .find(|c| c.name == started.provider)
                    .map(|c| c.request.model.clone())
                    .unwrap_or_default();
                Ok(Completion {
                    provider: started.provider,
                    model,
                    stream: started.stream,
                })
            }
            Err(attempts) => Err(ChatError::Unavailable(describe(&attempts))),
        }
    }

    /// Stops an answer being written; the text so far is kept.
    pub fn stop(&self, message_id: &str) -> Result<(), ChatError> {
        let stop = self
            .inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(message_id)
            .ok_or_else(|| ChatError::NotRunning(message_id.to_owned()))?;
        let _ = stop.send(());
        Ok(())
    }

    /// A candidate per provider whose key can be read; others are skipped
    /// with a warning (their failure shows in the attempts).
    async fn chain(&self, providers: &[Provider], history: &[ChatMessage]) -> Vec<Candidate> {
        let mut chain = Vec::new();
        for provider in providers {
            let key = match self.inner.providers.api_key(&provider.id).await {
                Ok(key) => key,
                Err(e) => {
                    tracing::warn!(provider = %provider.name, error = %e, "cannot read the provider's key");
                    continue;
                }
            };
            let client = self.inner.client.clone();
            let adapter: Arc<dyn ChatProvider> = match (provider.kind, key) {
                (ProviderKind::Openai, key) => {
                    Arc::new(OpenAiProvider::new(client, &provider.base_url, key))
                }
                (ProviderKind::Anthropic, Some(key)) => {
                    Arc::new(AnthropicProvider::new(client, &provider.base_url, key))
                }
                (ProviderKind::Gemini, Some(key)) => {
                    Arc::new(GeminiProvider::new(client, &provider.base_url, key))
                }
                (ProviderKind::Local, _) => Arc::new(LocalProvider::new(&provider.base_url)),
                (_, None) => {
                    tracing::warn!(provider = %provider.name, "provider has no key");
                    continue;
                }
            };
            chain.push(Candidate {
                name: provider.name.clone(),
                provider: adapter,
                breaker: self.breaker(&provider.id),
                request: ChatRequest {
                    model: provider.model.clone(),
                    messages: history.to_vec(),
                    max_tokens: None,
                    temperature: None,
                },
            });
        }
        chain
    }

    async fn answer(
        &self,
        conversation_id: String,
        message_id: String,
        chain: Vec<Candidate>,
        recalled: Vec<Recalled>,
        mut stopped: oneshot::Receiver<()>,
    ) {
        let inner = &self.inner;
        let started = tokio::select! {
            started = resilience::start(&chain, &inner.retry, &inner.timeouts) => Some(started),
            _ = &mut stopped => None,
        };
        let mut reply = NewMessage {
            id: message_id.clone(),
            role: Role::Assistant,
            content: String::new(),
            status: MessageStatus::Complete,
            provider: None,
            model: None,
            error: None,
            recalled,
        };
        match started {
            None => {
                reply.status = MessageStatus::Interrupted;
                reply.error = Some("stopped before the first word".into());
            }
            Some(Err(attempts)) => {
                reply.status = MessageStatus::Failed;
                reply.error = Some(describe(&attempts));
            }
            Some(Ok(started)) => {
                let model = chain
                    .iter()
                    .find(|c| c.name == started.provider)
                    .map(|c| c.request.model.clone());
                reply.provider = Some(started.provider.clone());
                reply.model = model;
                inner.bus.publish(Event::ChatStarted {
                    conversation_id: conversation_id.clone(),
                    message_id: message_id.clone(),
                    provider: started.provider.clone(),
                });
                let mut stream = started.stream;
                loop {
                    let next = tokio::select! {
                        next = stream.next() => next,
                        _ = &mut stopped => {
                            reply.status = MessageStatus::Interrupted;
                            reply.error = Some("stopped".into());
                            break;
                        }
                    };
                    match next {
                        Some(Ok(text)) => {
                            reply.content.push_str(&text);
                            inner.bus.publish(Event::ChatDelta {
                                conversation_id: conversation_id.clone(),
                                message_id: message_id.clone(),
                                text,
                            });
                        }
                        Some(Err(fault)) => {
                            reply.status = MessageStatus::Interrupted;
                            reply.error = Some(fault.to_string());
                            break;
                        }
                        None => break,
                    }
                }
            }
        }
        inner
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&message_id);
        if let Err(e) = inner.memory.append(&conversation_id, reply).await {
            tracing::error!(error = %e, "could not store the answer");
        }
        inner.bus.publish(Event::ChatFinished {
            conversation_id,
            message_id,
        });
        // The question and this answer get their embeddings now.
        self.spawn_embedding_job();
    }
}

/// "Local: cannot connect …; Claude: rate limited …" — what each provider said.
fn describe(attempts: &[Attempt]) -> String {
    if attempts.is_empty() {
        return "no provider could be asked (check their keys in Settings)".into();
    }
    let mut seen: Vec<String> = Vec::new();
    for attempt in attempts {
        let line = format!("{}: {}", attempt.provider, attempt.fault);
        if !seen.contains(&line) {
            seen.push(line);
        }
    }
    format!("no provider answered — {}", seen.join("; "))
}
