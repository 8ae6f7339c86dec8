//! The domain: which resources the API serves, read from a TOML file.
//!
//! This is Eve's `DOMAIN` setting as a file instead of Python code. Each
//! resource names its collection, schema, allowed methods and filters,
//! default sort, indexes, page limits and relations; named aggregations
//! declare a pipeline and its typed parameters. Nothing about any data set
//! lives in Rust: two domain files are the whole difference between two
//! APIs (the crate's README describes every key).
//!
//! [`Domain::load`] parses the file and checks it (unknown keys, unknown
//! types, relations to missing resources, defaults above limits) so that a
//! mistake in the file stops startup with a message naming the place,
//! instead of surfacing as a 500 on some later request.
//!
//! # Layout
//! - This file: the types a domain file deserializes into, and their
//!   lookups (fields by dotted path, allowed filters and methods).
//! - `check.rs`: what serde cannot check: cross references and limits.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

mod check;

/// The name of the read-only resource that serves the operations log.
pub const OPLOG_RESOURCE: &str = "oplog";
/// The collection that holds the oplog's `seq` counter (one document per
/// oplog collection); no resource may use it.
pub const COUNTERS_COLLECTION: &str = "counters";

/// A parsed and checked domain file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// API-wide settings.
    #[serde(default)]
    pub api: ApiConfig,
    /// The resources, by URL name (`posts` serves `/posts`).
    #[serde(default)]
    pub resources: BTreeMap<String, Resource>,
    /// Named aggregations, served at `/aggregations/<name>`.
    #[serde(default)]
    pub aggregations: BTreeMap<String, Aggregation>,
}

/// API-wide settings (`[api]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// The API's title (OpenAPI `info.title`).
    #[serde(default = "default_title")]
    pub title: String,
    /// The API's version (OpenAPI `info.version`).
    #[serde(default = "default_version")]
    pub version: String,
    /// The default page size, where a resource does not set its own.
    #[serde(default = "default_max_results")]
    pub max_results: u32,
    /// The largest page size a client may ask for, where a resource does
    /// not set its own.
    #[serde(default = "default_max_results_limit")]
    pub max_results_limit: u32,
    /// The collection that records every write (the oplog); served
    /// read-only at `/oplog`.
    #[serde(default = "default_oplog_collection")]
    pub oplog_collection: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            title: default_title(),
            version: default_version(),
            max_results: default_max_results(),
            max_results_limit: default_max_results_limit(),
            oplog_collection: default_oplog_collection(),
        }
    }
}

fn default_title() -> String {
    "REST API".into()
}
fn default_version() -> String {
    "1.0".into()
}
fn default_max_results() -> u32 {
    25
}
fn default_max_results_limit() -> u32 {
    50
}
fn default_oplog_collection() -> String {
    "oplog".into()
}

/// An HTTP method a resource may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Read (also allows `HEAD`).
    Get,
    /// Create one document or a list.
    Post,
    /// Merge fields into a document.
    Patch,
    /// Replace a document.
    Put,
    /// Delete a document.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// One resource (`[resources.<name>]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    /// The MongoDB collection (default: the resource's name).
    #[serde(default)]
    pub collection: Option<String>,
    /// A line for the OpenAPI document and the docs.
    #[serde(default)]
    pub description: String,
    /// The title of one item in links (Eve's `item_title`; default: the
    /// resource's name without a trailing "s").
    #[serde(default)]
    pub item_title: Option<String>,
    /// Methods on the collection URL (`GET`, `POST`).
    #[serde(default = "default_resource_methods")]
    pub resource_methods: Vec<Method>,
    /// Methods on the item URL (`GET`, `PATCH`, `PUT`, `DELETE`).
    #[serde(default = "default_item_methods")]
    pub item_methods: Vec<Method>,
    /// Fields a `where` may filter on and a `sort` may order by; `["*"]`
    /// allows every schema field. `_id`, `_created` and `_updated` are
    /// always allowed.
    #[serde(default)]
    pub allowed_filters: Vec<String>,
    /// Fields on which `where` may use `$regex` (refused everywhere else).
    #[serde(default)]
    pub regex_filters: Vec<String>,
    /// The default `sort`, in the `a,-b` syntax (default `_id`).
    #[serde(default)]
    pub default_sort: Option<String>,
    /// Fields left out of responses unless a `projection` asks for them
    /// (`keywords` on posts: an index helper, not content).
    #[serde(default)]
    pub hidden_fields: Vec<String>,
    /// This resource's default page size (default: `api.max_results`).
    #[serde(default)]
    pub max_results: Option<u32>,
    /// This resource's largest page size (default: `api.max_results_limit`).
    #[serde(default)]
    pub max_results_limit: Option<u32>,
    /// Accept fields that the schema does not name.
    #[serde(default)]
    pub allow_unknown: bool,
    /// The fields, by name.
    #[serde(default)]
    pub schema: BTreeMap<String, Field>,
    /// Indexes created at startup (idempotently).
    #[serde(default)]
    pub indexes: Vec<IndexSpec>,
}

fn default_resource_methods() -> Vec<Method> {
    vec![Method::Get]
}
fn default_item_methods() -> Vec<Method> {
    vec![Method::Get]
}

/// A field's type (Cerberus's names, as in Eve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A JSON string.
    String,
    /// A whole number (stored as a 64-bit integer).
    Integer,
    /// A number with a fraction (stored as a double).
    Float,
    /// An integer or a float.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An RFC 1123 date string on the wire, a BSON date in the database.
    Datetime,
    /// A 24-hex string on the wire, an ObjectId in the database.
    Objectid,
    /// A JSON array; `schema` describes its items.
    List,
    /// A JSON object; `schema` (a table of fields) describes its keys.
    Dict,
}

impl FieldType {
    /// The type's name, as in the domain file and in error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Datetime => "datetime",
            FieldType::Objectid => "objectid",
            FieldType::List => "list",
            FieldType::Dict => "dict",
        }
    }
}

/// One field's rules (Eve's schema rules).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// The type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// A line for the OpenAPI document.
    #[serde(default)]
    pub description: String,
    /// Must be present on `POST` and `PUT`.
    #[serde(default)]
    pub required: bool,
    /// No two documents may share a value (checked on write, and backed by a
    /// unique index that the API creates).
    #[serde(default)]
    pub unique: bool,
    /// `null` is accepted.
    #[serde(default)]
    pub nullable: bool,
    /// Set by the server only: a client that sends it gets a 422.
    #[serde(default)]
    pub readonly: bool,
    /// Smallest value (numbers).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest value (numbers).
    #[serde(default)]
    pub max: Option<f64>,
    /// Shortest length (strings: characters; lists: items).
    #[serde(default)]
    pub minlength: Option<usize>,
    /// Longest length (strings: characters; lists: items).
    #[serde(default)]
    pub maxlength: Option<usize>,
    /// The only values accepted (for lists: of each item).
    #[serde(default)]
    pub allowed: Option<Vec<toml::Value>>,
    /// A regular expression that the whole string must match.
    #[serde(default)]
    pub regex: Option<String>,
    /// The value stored when a `POST` leaves the field out.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// The items' rules (type `list`).
    #[serde(default)]
    pub items: Option<Box<Field>>,
    /// The keys' rules (type `dict`).
    #[serde(default)]
    pub schema: Option<BTreeMap<String, Field>>,
    /// This field holds the `_id` of a document of another resource.
    #[serde(default)]
    pub data_relation: Option<DataRelation>,
    /// Computed by the server from other fields on every write.
    #[serde(default)]
    pub computed: Option<Computed>,
}

/// A reference to another resource's documents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataRelation {
    /// The resource referred to.
    pub resource: String,
    /// Whether `embedded={"field": 1}` may replace the id by the document.
    #[serde(default)]
    pub embeddable: bool,
}

/// A value the server computes from other fields.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Computed {
    /// The function: only `keywords` exists (the search keywords of the
    /// source fields' text, as `datasets import` computes them).
    pub function: ComputedFunction,
    /// The fields whose text is the input.
    pub from: Vec<String>,
}

/// The functions a computed field can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComputedFunction {
    /// `datasets::keywords` of the joined source texts.
    Keywords,
}

/// An index to create at startup (`[[resources.<name>.indexes]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSpec {
    /// The keys, in order: `[["keywords", 1], ["score", -1]]`.
    pub keys: Vec<(String, i32)>,
    /// A unique index (a duplicate write answers 409).
    #[serde(default)]
    pub unique: bool,
}

/// A named aggregation (`[aggregations.<name>]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aggregation {
    /// The resource whose collection the pipeline runs on; items link to it.
    pub resource: String,
    /// A line for the OpenAPI document and the docs.
    #[serde(default)]
    pub description: String,
    /// The pipeline, as a JSON array (MongoDB extended JSON). An object
    /// `{"$param": "name"}` anywhere in it is replaced by the parameter's
    /// value. The pipeline is the server's code: clients only fill in
    /// typed parameters.
    pub pipeline: String,
    /// The parameters, by name, read from the query string.
    #[serde(default)]
    pub params: BTreeMap<String, Param>,
    /// The default page size (default: `api.max_results`).
    #[serde(default)]
    pub max_results: Option<u32>,
    /// The largest page size (default: `api.max_results_limit`).
    #[serde(default)]
    pub max_results_limit: Option<u32>,
}

/// A typed aggregation parameter.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// `string`, `integer`, `float`, `boolean`, `objectid`, `datetime`, or
    /// `list` (comma-separated strings in the query string).
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// A line for the OpenAPI document.
    #[serde(default)]
    pub description: String,
    /// Must be given (otherwise `default` is used).
    #[serde(default)]
    pub required: bool,
    /// The value when the parameter is left out.
    #[serde(default)]
    pub default: Option<toml::Value>,
    /// Smallest value (numbers).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest value (numbers).
    #[serde(default)]
    pub max: Option<f64>,
    /// Longest length (strings: characters; lists: items).
    #[serde(default)]
    pub maxlength: Option<usize>,
}

/// A domain file that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The file cannot be read.
    #[error("cannot read the domain file {path}: {source}")]
    Read {
        /// The path given.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a domain.
    #[error("invalid domain file {path}: {source}")]
    Parse {
        /// The path given.
        path: String,
        /// The cause, with line and column.
        source: toml::de::Error,
    },
    /// The file parses but contradicts itself.
    #[error("invalid domain: {0}")]
    Invalid(String),
}

impl Domain {
    /// Reads, parses and checks a domain file.
    pub fn load(path: &Path) -> Result<Self, DomainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| DomainError::Read { path: path.display().to_string(), source })?;
        let domain: Domain =
            toml::from_str(&text).map_err(|source| DomainError::Parse { path: path.display().to_string(), source })?;
        domain.check()?;
        Ok(domain)
    }

    /// Parses and checks a domain from text (tests use inline domains).
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let domain: Domain =
            toml::from_str(text).map_err(|source| DomainError::Parse { path: "<inline>".into(), source })?;
        domain.check()?;
        Ok(domain)
    }

    /// The resource served at `/<name>`.
    pub fn resource(&self, name: &str) -> Option<&Resource> {
        self.resources.get(name)
    }

    /// `(default page size, largest page size)` for a resource or
    /// aggregation's own settings, falling back to the API's.
    pub fn page_limits(&self, max_results: Option<u32>, limit: Option<u32>) -> (u32, u32) {
        (max_results.unwrap_or(self.api.max_results), limit.unwrap_or(self.api.max_results_limit))
    }
}

/// The meta fields every document carries (Eve's names).
pub const META_FIELDS: [&str; 4] = ["_id", "_created", "_updated", "_etag"];

impl Resource {
    /// The collection's name.
    pub fn collection_name<'a>(&'a self, resource_name: &'a str) -> &'a str {
        self.collection.as_deref().unwrap_or(resource_name)
    }

    /// The rules of a field, by dotted path (`score`, `address.city`);
    /// list items are looked through, as MongoDB does (`players.name`).
    pub fn field(&self, path: &str) -> Option<&Field> {
        let mut parts = path.split('.');
        let mut field = self.schema.get(parts.next()?)?;
        for part in parts {
            while field.kind == FieldType::List {
                field = field.items.as_deref()?;
            }
            field = field.schema.as_ref()?.get(part)?;
        }
        Some(field)
    }

    /// The type of a field or meta field, by dotted path; `None` for
    /// unknown fields. Meta fields have fixed types.
    pub fn field_type(&self, path: &str) -> Option<FieldType> {
        match path {
            "_id" => Some(FieldType::Objectid),
            "_created" | "_updated" => Some(FieldType::Datetime),
            "_etag" => Some(FieldType::String),
            _ => self.field(path).map(|f| f.kind),
        }
    }

    /// Whether `where` and `sort` may use this (top-level or dotted) field.
    pub fn filter_allowed(&self, path: &str) -> bool {
        let top = path.split('.').next().unwrap_or(path);
        matches!(top, "_id" | "_created" | "_updated")
            || self.allowed_filters.iter().any(|f| f == top || f == path || (f == "*" && self.schema.contains_key(top)))
    }

    /// Whether `where` may use `$regex` on this field.
    pub fn regex_allowed(&self, path: &str) -> bool {
        self.regex_filters.iter().any(|f| f == path || f == "*")
    }

    /// Whether a method is allowed on the collection URL.
    pub fn allows(&self, method: Method) -> bool {
        self.resource_methods.contains(&method)
    }

    /// Whether a method is allowed on item URLs.
    pub fn item_allows(&self, method: Method) -> bool {
        self.item_methods.contains(&method)
    }
}

#[cfg(test)]
mod tests;
