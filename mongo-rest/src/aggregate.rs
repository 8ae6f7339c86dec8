//! Named aggregations: pipelines declared in the domain, with typed
//! parameters from the query string.
//!
//! The pipeline is the server's code; a client only fills in the declared
//! parameters, each parsed to its type and checked against its limits. A
//! parameter lands in the pipeline as a value where the domain wrote
//! `{"$param": "name"}`. String values may not start with `$`: in an
//! expression a `$`-string is a field path, so `topics=$title` would read
//! another field instead of matching the text.

use std::collections::{BTreeMap, HashMap};

use mongodb::bson::{doc, Bson, Document};
use serde_json::Value;

use super::{
    convert,
    domain::{Aggregation, Domain, FieldType, Param},
    error::ApiError,
};

/// Every named aggregation of the domain, compiled.
pub type Aggregations = BTreeMap<String, CompiledAggregation>;

/// One aggregation, its pipeline parsed once at startup.
pub struct CompiledAggregation {
    /// The definition from the domain file.
    pub def: Aggregation,
    /// The pipeline as BSON, placeholders still in.
    stages: Vec<Bson>,
}

/// Compiles every aggregation of the domain.
pub fn compile(domain: &Domain) -> anyhow::Result<Aggregations> {
    let mut compiled = BTreeMap::new();
    for (name, def) in &domain.aggregations {
        let json: Value = serde_json::from_str(&def.pipeline)?;
        let Bson::Array(stages) = Bson::try_from(json)? else {
            anyhow::bail!("aggregations.{name}.pipeline must be an array");
        };
        compiled.insert(name.clone(), CompiledAggregation { def: def.clone(), stages });
    }
    Ok(compiled)
}

impl CompiledAggregation {
    /// The pipeline for one request: parameters substituted, then a
    /// `$skip`/`$limit` for the page. Unknown parameters are refused (a
    /// typo would otherwise silently run the default).
    pub fn pipeline(&self, given: &HashMap<&str, &str>, skip: u64, limit: i64) -> Result<Vec<Document>, ApiError> {
        if let Some(unknown) = given.keys().find(|k| !self.def.params.contains_key(**k)) {
            let known: Vec<&str> = self.def.params.keys().map(String::as_str).collect();
            return Err(ApiError::BadRequest(format!(
                "unknown parameter {unknown:?}; this aggregation takes {known:?}, page and max_results"
            )));
        }
        let mut values = HashMap::new();
        for (name, param) in &self.def.params {
            values.insert(name.as_str(), param_value(name, param, given.get(name.as_str()).copied())?);
        }
        let mut pipeline = Vec::with_capacity(self.stages.len() + 2);
        for stage in &self.stages {
            match substitute(stage, &values) {
                Bson::Document(d) => pipeline.push(d),
                _ => return Err(ApiError::BadRequest("malformed pipeline stage".into())),
            }
        }
        pipeline.push(doc! { "$skip": skip as i64 });
        pipeline.push(doc! { "$limit": limit });
        Ok(pipeline)
    }
}

/// Replaces every `{"$param": "name"}` by the parameter's value.
fn substitute(value: &Bson, values: &HashMap<&str, Bson>) -> Bson {
    match value {
        Bson::Document(d) => {
            if let (1, Ok(name)) = (d.len(), d.get_str("$param")) {
                if let Some(v) = values.get(name) {
                    return v.clone();
                }
            }
            Bson::Document(d.iter().map(|(k, v)| (k.clone(), substitute(v, values))).collect())
        }
        Bson::Array(items) => Bson::Array(items.iter().map(|v| substitute(v, values)).collect()),
        other => other.clone(),
    }
}

/// One parameter's value: given, or its default; typed and checked.
fn param_value(name: &str, param: &Param, given: Option<&str>) -> Result<Bson, ApiError> {
    let bad = |why: String| ApiError::BadRequest(format!("invalid {name}: {why}"));
    let Some(text) = given else {
        if param.required {
            return Err(bad("this parameter is required".into()));
        }
        return match &param.default {
            Some(default) => {
                let json = serde_json::to_value(default).map_err(|e| bad(e.to_string()))?;
                Ok(convert::untyped(&json))
            }
            None => Ok(Bson::Null),
        };
    };
    let check_string = |s: &str| -> Result<(), ApiError> {
        if s.starts_with('$') {
            return Err(bad("values may not start with '$'".into()));
        }
        if param.maxlength.is_some_and(|max| s.chars().count() > max) {
            return Err(bad(format!("longer than {} characters", param.maxlength.unwrap_or_default())));
        }
        Ok(())
    };
    let check_number = |n: f64| -> Result<(), ApiError> {
        if param.min.is_some_and(|min| n < min) || param.max.is_some_and(|max| n > max) {
            return Err(bad(format!("out of range ({:?}..={:?})", param.min, param.max)));
        }
        Ok(())
    };
    Ok(match param.kind {
        FieldType::List => {
            // A blank parameter is an empty list; a blank item in a list
            // (`a,,b`, `a,`) is a mistake, refused rather than dropped.
            let items: Vec<&str> =
                if text.trim().is_empty() { vec![] } else { text.split(',').map(str::trim).collect() };
            if items.iter().any(|item| item.is_empty()) {
                return Err(bad("blank item in the comma-separated list".into()));
            }
            if param.maxlength.is_some_and(|max| items.len() > max) {
                return Err(bad(format!("more than {} items", param.maxlength.unwrap_or_default())));
            }
            for item in &items {
                if item.starts_with('$') {
                    return Err(bad("values may not start with '$'".into()));
                }
            }
            Bson::Array(items.into_iter().map(|s| Bson::String(s.to_string())).collect())
        }
        FieldType::String => {
            check_string(text)?;
            Bson::String(text.to_string())
        }
        FieldType::Integer => {
            let n: i64 = text.trim().parse().map_err(|_| bad("expected a whole number".into()))?;
            check_number(n as f64)?;
            Bson::Int64(n)
        }
        FieldType::Float | FieldType::Number => {
            let n: f64 = text.trim().parse().map_err(|_| bad("expected a number".into()))?;
            if !n.is_finite() {
                return Err(bad("expected a finite number".into()));
            }
            check_number(n)?;
            Bson::Double(n)
        }
        FieldType::Boolean => match text.trim() {
            "true" | "1" => Bson::Boolean(true),
            "false" | "0" => Bson::Boolean(false),
            _ => return Err(bad("expected true or false".into())),
        },
        FieldType::Objectid => {
            Bson::ObjectId(convert::parse_object_id(text.trim()).ok_or_else(|| bad("expected 24 hex digits".into()))?)
        }
        FieldType::Datetime => {
            Bson::DateTime(convert::parse_rfc1123(text).ok_or_else(|| bad("expected an RFC 1123 date".into()))?)
        }
        FieldType::Dict => return Err(bad("dict parameters are not supported".into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled() -> Aggregations {
        let domain = Domain::parse(
            r#"
            [resources.posts]
            [aggregations.top]
            resource = "posts"
            params.min = { type = "integer", min = 0, default = 50 }
            params.topics = { type = "list", maxlength = 2, default = [] }
            params.user = { type = "string" }
            pipeline = '[{"$match": {"score": {"$gt": {"$param": "min"}}}}, {"$project": {"hits": {"$setIntersection": ["$keywords", {"$param": "topics"}]}}}]'
            "#,
        )
        .unwrap();
        compile(&domain).unwrap()
    }

    #[test]
    fn parameters_are_typed_and_substituted() {
        let aggregations = compiled();
        let top = &aggregations["top"];
        let given = HashMap::from([("min", "10"), ("topics", "flask, async")]);
        let pipeline = top.pipeline(&given, 25, 26).unwrap();
        assert_eq!(pipeline[0], doc! { "$match": { "score": { "$gt": 10_i64 } } });
        assert_eq!(
            pipeline[1],
            doc! { "$project": { "hits": { "$setIntersection": ["$keywords", ["flask", "async"]] } } }
        );
        assert_eq!(pipeline[2], doc! { "$skip": 25_i64 });
        assert_eq!(pipeline[3], doc! { "$limit": 26_i64 });
        let defaults = top.pipeline(&HashMap::new(), 0, 13).unwrap();
        assert_eq!(defaults[0], doc! { "$match": { "score": { "$gt": 50_i64 } } });
        // A blank parameter is an empty list, not a list of one blank item.
        let blank = top.pipeline(&HashMap::from([("topics", " ")]), 0, 13).unwrap();
        assert_eq!(blank[1], doc! { "$project": { "hits": { "$setIntersection": ["$keywords", []] } } });
    }

    #[test]
    fn bad_parameters_are_refused_with_their_name() {
        let aggregations = compiled();
        let top = &aggregations["top"];
        for (given, named) in [
            (HashMap::from([("min", "x")]), "min"),
            (HashMap::from([("min", "-1")]), "min"),
            (HashMap::from([("topics", "a,b,c")]), "topics"),
            (HashMap::from([("topics", "$title")]), "topics"),
            (HashMap::from([("topics", "a,,b")]), "topics"),
            (HashMap::from([("topics", "a, ")]), "topics"),
            (HashMap::from([("user", "$where")]), "user"),
            (HashMap::from([("mni", "1")]), "mni"),
        ] {
            let err = top.pipeline(&given, 0, 10).unwrap_err().to_string();
            assert!(err.contains(named), "{err}");
        }
    }
}
