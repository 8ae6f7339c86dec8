//! Every MongoDB operation of the API, generic over the domain's resources.
//!
//! [`Store`] holds one [`Served`] per resource (its collection, compiled
//! validator, default sort and projection) plus the read-only oplog.
//!
//! Writes follow Eve's rules and close its gaps:
//! - every write stores the meta fields `_created`, `_updated` and `_etag`
//!   (a SHA-1 of the document's visible content, as Eve computes it);
//! - `PATCH`, `PUT` and `DELETE` filter on the stored `_etag`, so the
//!   `If-Match` check and the write are one atomic step in the database:
//!   of two writers holding the same ETag exactly one succeeds;
//! - the write and its oplog entry are one transaction (MongoDB needs a
//!   replica set for that; a single-node one is enough), so the oplog that
//!   a sync service reads never misses or invents a write; a bulk `POST` is one
//!   transaction too, so one bad document writes nothing.
//!
//! Documents written by someone else (`datasets import`) have no meta
//! fields: they read as created at the epoch (as in Eve) with an ETag
//! computed from their content, and get real ones on their first API write.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    error::{TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT},
    options::{ClientOptions, IndexOptions},
    Client, ClientSession, Collection, Database, IndexModel,
};
use sha1::{Digest, Sha1};

use super::{
    convert,
    domain::{Domain, Resource, OPLOG_RESOURCE},
    error::ApiError,
    query,
    settings::Settings,
    validate::Validator,
};

/// The oplog resource: read-only, its schema fixed here rather than in
/// the domain file (every domain has one).
const OPLOG_TOML: &str = r#"
description = "The operations log: one entry per write, in commit order (what a sync service follows)."
allowed_filters = ["seq", "op", "resource", "id", "time"]
default_sort = "seq"
[schema]
seq = { type = "integer", description = "the entry's position: 1, 2, 3, … in commit order, without gaps" }
op = { type = "string", allowed = ["POST", "PATCH", "PUT", "DELETE"], description = "the write" }
resource = { type = "string", description = "the resource written" }
id = { type = "objectid", description = "the document written" }
time = { type = "datetime", description = "when" }
changes = { type = "dict", description = "the fields written (the whole document for POST and PUT)" }
"#;

/// The longest a read may run in the database before it is stopped and
/// the client gets a 504: a costly `where` (an unindexed `$regex`, say)
/// cannot keep the server busy for longer.
pub const QUERY_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// How many times a transaction is tried when it keeps conflicting with
/// concurrent ones (every write takes the oplog counter, so concurrent
/// writers do conflict); between attempts it waits a random 1 ms to
/// [`MAX_BACKOFF_MS`], doubling, so that writers spread out.
const TRANSACTION_ATTEMPTS: usize = 30;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: u64 = 100;

/// One resource as served: its definition and everything precomputed
/// from it at startup.
pub struct Served {
    /// The URL name (`posts`).
    pub name: String,
    /// The item title in links (`post`: Eve drops a trailing "s").
    pub item_title: String,
    /// The definition from the domain file.
    pub def: Resource,
    /// The collection.
    pub collection: Collection<Document>,
    /// The compiled schema.
    pub validator: Validator,
    /// The sort used when a request has none (with the `_id` tiebreak).
    pub default_sort: Document,
    /// Whether clients may write (false for the oplog).
    pub writable: bool,
}

/// The database side of the API.
pub struct Store {
    client: Client,
    database: Database,
    /// The domain, as loaded.
    pub domain: Domain,
    resources: BTreeMap<String, Served>,
    oplog: Collection<Document>,
    /// One document per oplog: the last `seq` handed out.
    counters: Collection<Document>,
}

/// A collection query, already checked.
pub struct FindQuery {
    /// The filter (`where`).
    pub filter: Document,
    /// The sort, with the `_id` tiebreak.
    pub sort: Document,
    /// The projection, if any.
    pub projection: Option<Document>,
    /// Documents to skip.
    pub skip: u64,
    /// Documents to return.
    pub limit: i64,
    /// Whether the projection is the client's (it may hide content fields,
    /// so ETags of unstamped documents need the full document).
    pub custom_projection: bool,
}

/// What a successful write returns: enough for Eve's trimmed response.
#[derive(Debug, Clone)]
pub struct Written {
    /// The document's id.
    pub id: ObjectId,
    /// Its `_created`.
    pub created: DateTime,
    /// Its new `_updated`.
    pub updated: DateTime,
    /// Its new `_etag`.
    pub etag: String,
}

impl Store {
    /// Connects (lazily: the driver connects on first use and reconnects by
    /// itself) and compiles the domain.
    pub async fn connect(settings: &Settings, domain: Domain) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(&settings.mongodb_uri).await?;
        options.app_name = Some(settings.app_name.clone());
        options.server_selection_timeout = Some(settings.db_timeout);
        options.connect_timeout = Some(settings.db_timeout);
        let client = Client::with_options(options)?;
        Self::new(client, &settings.mongodb_db, domain)
    }

    /// Compiles every resource of the domain, plus the oplog.
    pub fn new(client: Client, database_name: &str, domain: Domain) -> anyhow::Result<Self> {
        let database = client.database(database_name);
        let mut resources = BTreeMap::new();
        for (name, def) in &domain.resources {
            resources.insert(name.clone(), Served::new(&database, name, def.clone(), true)?);
        }
        let oplog_def: Resource = toml::from_str(OPLOG_TOML)?;
        let mut oplog_def = oplog_def;
        oplog_def.collection = Some(domain.api.oplog_collection.clone());
        oplog_def.max_results = domain.api.max_results.into();
        oplog_def.max_results_limit = domain.api.max_results_limit.into();
        let oplog = database.collection(&domain.api.oplog_collection);
        let counters = database.collection(super::domain::COUNTERS_COLLECTION);
        resources.insert(OPLOG_RESOURCE.to_string(), Served::new(&database, OPLOG_RESOURCE, oplog_def, false)?);
        Ok(Self { client, database, domain, resources, oplog, counters })
    }

    /// The database (for `ping` and the tests).
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// A served resource by URL name (the oplog included).
    pub fn resource(&self, name: &str) -> Option<&Served> {
        self.resources.get(name)
    }

    /// Every served resource, in name order (the oplog included).
    pub fn resources(&self) -> impl Iterator<Item = &Served> {
        self.resources.values()
    }

    /// A round trip to the server.
    pub async fn ping(&self) -> mongodb::error::Result<()> {
        self.database.run_command(doc! { "ping": 1 }).await.map(|_| ())
    }

    /// Whether the server can run transactions (a replica set member or
    /// mongos). Without them writes fail; startup says so in the log.
    pub async fn supports_transactions(&self) -> mongodb::error::Result<bool> {
        let hello = self.database.run_command(doc! { "hello": 1 }).await?;
        Ok(hello.contains_key("setName") || hello.get_str("msg") == Ok("isdbgrid"))
    }

    /// Creates the indexes the domain declares, a unique index per `unique`
    /// field, and the oplog's. Idempotent.
    pub async fn ensure_indexes(&self) -> mongodb::error::Result<()> {
        for served in self.resources.values().filter(|s| s.writable) {
            let mut models = Vec::new();
            for spec in &served.def.indexes {
                let keys: Document = spec.keys.iter().map(|(k, d)| (k.clone(), Bson::Int32(*d))).collect();
                let options = spec.unique.then(|| IndexOptions::builder().unique(true).build());
                models.push(IndexModel::builder().keys(keys).options(options).build());
            }
            for field in served.validator.unique_fields() {
                let declared =
                    served.def.indexes.iter().any(|i| i.unique && i.keys.len() == 1 && &i.keys[0].0 == field);
                if !declared {
                    let options = IndexOptions::builder().unique(true).build();
                    models.push(IndexModel::builder().keys(doc! { field: 1 }).options(options).build());
                }
            }
            if !models.is_empty() {
                served.collection.create_indexes(models).await?;
            }
        }
        self.oplog
            .create_indexes([
                IndexModel::builder()
                    .keys(doc! { "seq": 1 })
                    .options(IndexOptions::builder().unique(true).build())
                    .build(),
                IndexModel::builder().keys(doc! { "resource": 1, "seq": 1 }).build(),
                IndexModel::builder().keys(doc! { "id": 1, "seq": 1 }).build(),
            ])
            .await?;
        // The counter exists before the first write's transaction needs it.
        self.counters
            .update_one(doc! { "_id": self.oplog.name() }, doc! { "$setOnInsert": { "seq": 0_i64 } })
            .upsert(true)
            .await?;
        Ok(())
    }

    /// Runs `work` in a transaction, retrying on transient errors (a write
    /// conflict with a concurrent transaction: the retry then sees the
    /// other writer's result, so an `If-Match` check fails with 412).
    ///
    /// `work` gets the session by value and hands it back with its result,
    /// which keeps the borrow checker simple for the caller's async block.
    async fn transaction<T, F, Fut>(&self, mut work: F) -> Result<T, ApiError>
    where
        F: FnMut(ClientSession) -> Fut,
        Fut: std::future::Future<Output = (ClientSession, Result<T, ApiError>)>,
    {
        let mut session = self.client.start_session().await?;
        let mut attempt = 0;
        'attempts: loop {
            attempt += 1;
            session.start_transaction().await?;
            let (returned, result) = work(session).await;
            session = returned;
            let value = match result {
                Ok(value) => value,
                Err(e) => {
                    // Aborting a transaction the server already aborted fails
                    // harmlessly; the original error is what matters.
                    let _ = session.abort_transaction().await;
                    if is_transient(&e) {
                        if attempt < TRANSACTION_ATTEMPTS {
                            backoff(attempt).await;
                            continue;
                        }
                        return Err(ApiError::Busy);
                    }
                    return Err(e);
                }
            };
            loop {
                match session.commit_transaction().await {
                    Ok(()) => return Ok(value),
                    Err(e) if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT) && attempt < TRANSACTION_ATTEMPTS => {
                        attempt += 1;
                    }
                    Err(e) if e.contains_label(TRANSIENT_TRANSACTION_ERROR) && attempt < TRANSACTION_ATTEMPTS => {
                        backoff(attempt).await;
                        continue 'attempts;
                    }
                    Err(e) if e.contains_label(TRANSIENT_TRANSACTION_ERROR) => return Err(ApiError::Busy),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }

    /// Hands out `n` oplog positions inside a write's transaction and
    /// returns the first. Every writer increments the same counter, so two
    /// concurrent transactions conflict and one retries after the other
    /// commits: positions follow commit order and have no gaps, which is
    /// what lets a sync service resume from "the last `seq` I
    /// applied" without missing or repeating a write. (The price: writes to
    /// different documents serialize on the counter; fine at this scale.)
    async fn next_seq(&self, session: &mut ClientSession, n: usize) -> Result<i64, ApiError> {
        let counter = self
            .counters
            .find_one_and_update(doc! { "_id": self.oplog.name() }, doc! { "$inc": { "seq": n as i64 } })
            .upsert(true)
            .return_document(mongodb::options::ReturnDocument::After)
            .session(session)
            .await?
            .ok_or_else(|| ApiError::Internal(format!("the oplog counter {:?} is missing", self.oplog.name())))?;
        // A counter someone else wrote (a double, say) is a server fault:
        // no client request can fix it, so a 500 with the cause logged.
        let last = match counter.get("seq") {
            Some(Bson::Int64(n)) => *n,
            Some(Bson::Int32(n)) => i64::from(*n),
            other => {
                return Err(ApiError::Internal(format!(
                    "the oplog counter {:?} is not a whole number: {other:?}",
                    self.oplog.name()
                )))
            }
        };
        Ok(last - n as i64 + 1)
    }

    /// One page of a collection.
    pub async fn find(&self, served: &Served, query: &FindQuery) -> Result<Vec<Document>, ApiError> {
        let mut find = served
            .collection
            .find(query.filter.clone())
            .sort(query.sort.clone())
            .skip(query.skip)
            .limit(query.limit)
            .max_time(QUERY_TIME_LIMIT);
        if let Some(projection) = &query.projection {
            find = find.projection(projection.clone());
        }
        let mut docs: Vec<Document> = find.await?.try_collect().await?;
        self.fill_etags(served, &mut docs, query.custom_projection).await?;
        Ok(docs)
    }

    /// The number of documents matching `filter`; with `estimated` and no
    /// filter, the collection's metadata count (instant on any size).
    pub async fn count(&self, served: &Served, filter: &Document, estimated: bool) -> Result<u64, ApiError> {
        Ok(if estimated && filter.is_empty() {
            served.collection.estimated_document_count().await?
        } else {
            served.collection.count_documents(filter.clone()).max_time(QUERY_TIME_LIMIT).await?
        })
    }

    /// One document by id, or `None`.
    pub async fn find_one(
        &self,
        served: &Served,
        id: ObjectId,
        projection: Option<Document>,
        custom_projection: bool,
    ) -> Result<Option<Document>, ApiError> {
        let projected = custom_projection;
        let mut find = served.collection.find_one(doc! { "_id": id });
        if let Some(projection) = projection {
            find = find.projection(projection);
        }
        let Some(doc) = find.await? else {
            return Ok(None);
        };
        let mut docs = vec![doc];
        self.fill_etags(served, &mut docs, projected).await?;
        Ok(docs.pop())
    }

    /// Gives every document an `_etag`: the stored one, or for documents
    /// that never went through the API the hash of their content. When a
    /// projection may have removed fields, the content is read in full.
    async fn fill_etags(&self, served: &Served, docs: &mut [Document], projected: bool) -> Result<(), ApiError> {
        let missing: Vec<ObjectId> =
            docs.iter().filter(|d| !d.contains_key("_etag")).filter_map(|d| d.get_object_id("_id").ok()).collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut etags: HashMap<ObjectId, String> = HashMap::new();
        if projected {
            let full: Vec<Document> =
                served.collection.find(doc! { "_id": { "$in": &missing } }).await?.try_collect().await?;
            for d in full {
                if let Ok(id) = d.get_object_id("_id") {
                    etags.insert(id, served.content_etag(&d));
                }
            }
        }
        for d in docs.iter_mut().filter(|d| !d.contains_key("_etag")) {
            let Ok(id) = d.get_object_id("_id") else { continue };
            let etag = etags.remove(&id).unwrap_or_else(|| served.content_etag(d));
            d.insert("_etag", etag);
        }
        Ok(())
    }

    /// The documents of `served` with these ids, by id (for `embedded`).
    pub async fn find_many_by_id(
        &self,
        served: &Served,
        ids: Vec<ObjectId>,
    ) -> Result<HashMap<ObjectId, Document>, ApiError> {
        let mut docs: Vec<Document> =
            served.collection.find(doc! { "_id": { "$in": ids } }).await?.try_collect().await?;
        self.fill_etags(served, &mut docs, false).await?;
        Ok(docs.into_iter().filter_map(|d| Some((d.get_object_id("_id").ok()?, d))).collect())
    }

    /// Fails with 422 when a `unique` field of `docs` repeats within the
    /// batch or matches a stored document other than `except`. (The unique
    /// index is the real guard: a race between two writers ends in 409.)
    pub async fn check_unique(
        &self,
        served: &Served,
        docs: &[Document],
        except: Option<ObjectId>,
    ) -> Result<Vec<BTreeMap<String, String>>, ApiError> {
        let mut issues = vec![BTreeMap::new(); docs.len()];
        for field in served.validator.unique_fields() {
            let mut seen = HashSet::new();
            let mut values = Vec::new();
            for (i, d) in docs.iter().enumerate() {
                let Some(value) = d.get(field) else { continue };
                if !seen.insert(value.to_string()) {
                    issues[i].insert(field.clone(), format!("value '{}' is not unique", display(value)));
                }
                values.push(value.clone());
            }
            if values.is_empty() {
                continue;
            }
            let mut filter = doc! { field.as_str(): { "$in": values } };
            if let Some(id) = except {
                filter.insert("_id", doc! { "$ne": id });
            }
            let taken: Vec<Document> =
                served.collection.find(filter).projection(doc! { field.as_str(): 1 }).await?.try_collect().await?;
            let taken: HashSet<String> = taken.iter().filter_map(|d| d.get(field)).map(|v| v.to_string()).collect();
            for (i, d) in docs.iter().enumerate() {
                if let Some(value) = d.get(field).filter(|v| taken.contains(&v.to_string())) {
                    issues[i].insert(field.clone(), format!("value '{}' is not unique", display(value)));
                }
            }
        }
        Ok(issues)
    }

    /// Fails with 422 where a field with a `data_relation` (top-level, or a
    /// list of them) names a document that does not exist in the related
    /// resource, as Eve does: one query per relation field for the whole
    /// batch. (Nothing stops the related document from being deleted later:
    /// MongoDB has no foreign keys.)
    pub async fn check_relations(
        &self,
        served: &Served,
        docs: &[Document],
    ) -> Result<Vec<BTreeMap<String, String>>, ApiError> {
        let mut issues = vec![BTreeMap::new(); docs.len()];
        for (field, rules) in &served.def.schema {
            let relation = rules.data_relation.as_ref().or_else(|| rules.items.as_ref()?.data_relation.as_ref());
            let Some(related) = relation.and_then(|r| self.resources.get(&r.resource)) else { continue };
            let ids_of = |d: &Document| -> Vec<ObjectId> {
                match d.get(field) {
                    Some(Bson::ObjectId(id)) => vec![*id],
                    Some(Bson::Array(items)) => items.iter().filter_map(Bson::as_object_id).collect(),
                    _ => vec![],
                }
            };
            let wanted: HashSet<ObjectId> = docs.iter().flat_map(ids_of).collect();
            if wanted.is_empty() {
                continue;
            }
            let wanted: Vec<ObjectId> = wanted.into_iter().collect();
            let found: Vec<Document> = related
                .collection
                .find(doc! { "_id": { "$in": &wanted } })
                .projection(doc! { "_id": 1 })
                .await?
                .try_collect()
                .await?;
            let found: HashSet<ObjectId> = found.iter().filter_map(|d| d.get_object_id("_id").ok()).collect();
            for (i, d) in docs.iter().enumerate() {
                if let Some(missing) = ids_of(d).into_iter().find(|id| !found.contains(id)) {
                    issues[i].insert(
                        field.clone(),
                        format!("value '{missing}' must exist in resource '{}', field '_id'", related.name),
                    );
                }
            }
        }
        Ok(issues)
    }

    /// Inserts validated documents with their meta fields and oplog
    /// entries, all or nothing.
    pub async fn insert(&self, served: &Served, docs: Vec<Document>) -> Result<Vec<Written>, ApiError> {
        let now = DateTime::now();
        let mut written = Vec::with_capacity(docs.len());
        let mut stamped = Vec::with_capacity(docs.len());
        let mut entries = Vec::with_capacity(docs.len());
        for mut d in docs {
            let id = ObjectId::new();
            let etag = served.content_etag(&d);
            entries.push(oplog_entry("POST", &served.name, id, now, d.clone()));
            d.insert("_id", id);
            d.insert("_created", now);
            d.insert("_updated", now);
            d.insert("_etag", &etag);
            stamped.push(d);
            written.push(Written { id, created: now, updated: now, etag });
        }
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| {
            let (stamped, mut entries) = (stamped.clone(), entries.clone());
            async move {
                let result = async {
                    collection.insert_many(stamped).session(&mut session).await?;
                    let first = self.next_seq(&mut session, entries.len()).await?;
                    for (i, entry) in entries.iter_mut().enumerate() {
                        entry.insert("seq", first + i as i64);
                    }
                    oplog.insert_many(entries).session(&mut session).await?;
                    Ok(())
                }
                .await;
                (session, result)
            }
        })
        .await?;
        Ok(written)
    }

    /// Applies a `PATCH` (`set` holds dotted paths) or a `PUT` (`replace`
    /// holds the whole new document) if the stored ETag is `if_match`.
    /// Computed fields are recomputed from the merged document.
    pub async fn update(
        &self,
        served: &Served,
        id: ObjectId,
        if_match: &str,
        change: Change,
    ) -> Result<Written, ApiError> {
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| {
            let change = change.clone();
            async move {
                let result = async {
                    let (stored, guard) = served.stored_and_guard(&mut session, id, if_match).await?;
                    let now = DateTime::now();
                    let created = match stored.get("_created") {
                        Some(Bson::DateTime(d)) => *d,
                        _ => DateTime::from_millis(0),
                    };
                    let (op, mut new_doc, changes) = match change {
                        Change::Patch { set, recompute } => {
                            let mut merged = strip_meta(stored.clone());
                            super::validate::apply_set(&mut merged, &set);
                            let mut changes = set;
                            if !recompute.is_empty() {
                                super::validate::apply_computed(&served.def, &mut merged);
                                for field in &recompute {
                                    if let Some(v) = merged.get(field) {
                                        changes.insert(field.clone(), v.clone());
                                    }
                                }
                            }
                            ("PATCH", merged, changes)
                        }
                        Change::Replace(document) => ("PUT", document.clone(), document),
                    };
                    let etag = served.content_etag(&new_doc);
                    // The merged document replaces the stored one (rather than a
                    // `$set` of dotted paths, which MongoDB refuses through a
                    // stored `null`); the guard keeps it conditional on the ETag.
                    new_doc.insert("_id", id);
                    new_doc.insert("_created", created);
                    new_doc.insert("_updated", now);
                    new_doc.insert("_etag", &etag);
                    let result = collection.replace_one(guard, new_doc).session(&mut session).await?;
                    if result.matched_count == 0 {
                        return Err(ApiError::PreconditionFailed);
                    }
                    let mut entry = oplog_entry(op, &served.name, id, now, changes);
                    entry.insert("seq", self.next_seq(&mut session, 1).await?);
                    oplog.insert_one(entry).session(&mut session).await?;
                    Ok(Written { id, created, updated: now, etag })
                }
                .await;
                (session, result)
            }
        })
        .await
    }

    /// Deletes a document if its stored ETag is `if_match`.
    pub async fn delete(&self, served: &Served, id: ObjectId, if_match: &str) -> Result<(), ApiError> {
        let (collection, oplog) = (&served.collection, &self.oplog);
        self.transaction(|mut session| async move {
            let result = async {
                let (_, guard) = served.stored_and_guard(&mut session, id, if_match).await?;
                let result = collection.delete_one(guard).session(&mut session).await?;
                if result.deleted_count == 0 {
                    return Err(ApiError::PreconditionFailed);
                }
                let mut entry = oplog_entry("DELETE", &served.name, id, DateTime::now(), Document::new());
                entry.insert("seq", self.next_seq(&mut session, 1).await?);
                oplog.insert_one(entry).session(&mut session).await?;
                Ok(())
            }
            .await;
            (session, result)
        })
        .await
    }

    /// Runs an aggregation pipeline on a resource's collection.
    pub async fn aggregate(&self, served: &Served, pipeline: Vec<Document>) -> Result<Vec<Document>, ApiError> {
        Ok(served.collection.aggregate(pipeline).max_time(QUERY_TIME_LIMIT).await?.try_collect().await?)
    }
}

/// A change to one document.
#[derive(Debug, Clone)]
pub enum Change {
    /// `PATCH`: dotted paths to set, and computed fields to recompute.
    Patch {
        /// Path → value (`address.city` → "x").
        set: Document,
        /// Computed fields whose sources changed.
        recompute: Vec<String>,
    },
    /// `PUT`: the whole new document (no meta fields).
    Replace(Document),
}

impl Served {
    fn new(database: &Database, name: &str, def: Resource, writable: bool) -> anyhow::Result<Self> {
        let validator = Validator::new(&def).map_err(|e| anyhow::anyhow!("resource {name}: {e}"))?;
        let default_sort = query::parse_sort(def.default_sort.as_deref().unwrap_or("_id"), &def)
            .map_err(|e| anyhow::anyhow!("resource {name}: default_sort: {e}"))?;
        Ok(Self {
            name: name.to_string(),
            item_title: def.item_title.clone().unwrap_or_else(|| name.strip_suffix('s').unwrap_or(name).to_string()),
            collection: database.collection(def.collection_name(name)),
            validator,
            default_sort,
            writable,
            def,
        })
    }

    /// The `_links.self` of one of this resource's documents.
    pub fn self_link(&self, id: ObjectId) -> serde_json::Value {
        serde_json::json!({ "title": self.item_title, "href": format!("{}/{id}", self.name) })
    }

    /// Eve's ETag: the SHA-1 of the document's content, meta fields and
    /// hidden (derived) fields left out, so that it can be computed from
    /// what a default read returns.
    pub fn content_etag(&self, doc: &Document) -> String {
        let mut content = Document::new();
        for (k, v) in doc {
            if !k.starts_with('_') && !self.def.hidden_fields.contains(k) {
                content.insert(k.clone(), v.clone());
            }
        }
        let json = serde_json::Value::Object(convert::document_to_json(&content));
        let digest = Sha1::digest(json.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads the stored document inside the write's transaction, checks the
    /// client's ETag against it, and returns it with the filter that keeps
    /// the write conditional (see [`Served::etag_guard`]).
    async fn stored_and_guard(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        if_match: &str,
    ) -> Result<(Document, Document), ApiError> {
        let stored = self
            .collection
            .find_one(doc! { "_id": id })
            .session(session)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no {} with id {id}", self.item_title)))?;
        let guard = self.etag_guard(&stored, if_match)?;
        Ok((stored, guard))
    }

    /// The filter that makes a write conditional on the ETag the client
    /// holds: the stored `_etag`, or for a document that never went through
    /// the API, "still without `_etag`" (the first API write stores one).
    fn etag_guard(&self, stored: &Document, if_match: &str) -> Result<Document, ApiError> {
        let id = stored.get("_id").cloned().unwrap_or(Bson::Null);
        match stored.get_str("_etag") {
            // `*`: whatever version is stored now, as long as it stays so.
            Ok(etag) if etag == if_match || if_match == "*" => Ok(doc! { "_id": id, "_etag": etag }),
            Err(_) if if_match == "*" => Ok(doc! { "_id": id, "_etag": { "$exists": false } }),
            Ok(_) => Err(ApiError::PreconditionFailed),
            Err(_) if self.content_etag(stored) == if_match => Ok(doc! { "_id": id, "_etag": { "$exists": false } }),
            Err(_) => Err(ApiError::PreconditionFailed),
        }
    }
}

fn oplog_entry(op: &str, resource: &str, id: ObjectId, time: DateTime, changes: Document) -> Document {
    doc! {
        "_id": ObjectId::new(), "op": op, "resource": resource, "id": id, "time": time,
        "changes": changes, "_created": time, "_updated": time,
    }
}

/// The document without its meta fields.
fn strip_meta(mut doc: Document) -> Document {
    for meta in ["_created", "_updated", "_etag"] {
        doc.remove(meta);
    }
    doc
}

fn display(value: &Bson) -> String {
    match value {
        Bson::String(s) => s.clone(),
        other => convert::to_json(other).to_string(),
    }
}

/// Waits before retrying a conflicting transaction: random, up to twice as
/// long after each conflict, at most [`MAX_BACKOFF_MS`].
async fn backoff(attempt: usize) {
    use rand::Rng;
    let ceiling = (1_u64 << attempt.min(16)).min(MAX_BACKOFF_MS);
    let wait = rand::rng().random_range(1..=ceiling.max(1));
    actix_web::rt::time::sleep(std::time::Duration::from_millis(wait)).await;
}

fn is_transient(e: &ApiError) -> bool {
    match e {
        ApiError::Database(e) | ApiError::DatabaseUnavailable(e) => e.contains_label(TRANSIENT_TRANSACTION_ERROR),
        _ => false,
    }
}
