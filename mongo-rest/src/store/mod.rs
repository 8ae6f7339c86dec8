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
//!
//! # Layout
//! - This file: the [`Store`], the [`Served`] resources, reads, counts and
//!   indexes.
//! - `write.rs`: inserts, updates and deletes in transactions with their
//!   oplog entries.

use std::collections::{BTreeMap, HashMap};

use futures::TryStreamExt;
use mongodb::{
    bson::{doc, oid::ObjectId, Bson, DateTime, Document},
    options::{ClientOptions, IndexOptions},
    Client, Collection, Database, IndexModel,
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

mod write;

pub use write::Change;

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

    /// Runs an aggregation pipeline on a resource's collection.
    pub async fn aggregate(&self, served: &Served, pipeline: Vec<Document>) -> Result<Vec<Document>, ApiError> {
        Ok(served.collection.aggregate(pipeline).max_time(QUERY_TIME_LIMIT).await?.try_collect().await?)
    }
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
        /// The content fields, serialized as the JSON object of them.
        struct Content<'a>(&'a Document, &'a [String]);
        impl serde::Serialize for Content<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let Content(doc, hidden) = self;
                let content = doc.iter().filter(|(k, _)| !k.starts_with('_') && !hidden.contains(k));
                s.collect_map(content.map(|(k, v)| (k, convert::AsJson(v))))
            }
        }
        // Written straight into the hash: no copy of the document, no JSON
        // tree, no string (this runs for every document read that never
        // went through the API, such as an imported one).
        use std::fmt::Write as _;
        let mut hasher = Sha1::new();
        serde_json::to_writer(&mut hasher, &Content(doc, &self.def.hidden_fields))
            .expect("serialising BSON into a hash cannot fail");
        hasher.finalize().iter().fold(String::with_capacity(40), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
    }
}
