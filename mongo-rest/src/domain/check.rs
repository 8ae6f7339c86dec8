//! The checks of a parsed domain that serde cannot make: names, cross
//! references (relations, filters, hidden and computed fields, aggregation
//! resources), page limits, regexes and pipelines. Each failure names the
//! place in the file.

use super::*;

impl Domain {
    /// Checks what serde cannot: cross references and limits.
    pub(super) fn check(&self) -> Result<(), DomainError> {
        let invalid = |message: String| Err(DomainError::Invalid(message));
        if self.api.max_results == 0 || self.api.max_results > self.api.max_results_limit {
            return invalid(format!(
                "api.max_results ({}) must be between 1 and api.max_results_limit ({})",
                self.api.max_results, self.api.max_results_limit
            ));
        }
        for (name, resource) in &self.resources {
            if !is_plain_name(name) || name == OPLOG_RESOURCE || name == "aggregations" || name == "openapi.json" {
                return invalid(format!("resource name {name:?} is reserved or not a plain name"));
            }
            let (default, limit) = self.page_limits(resource.max_results, resource.max_results_limit);
            if default == 0 || default > limit {
                return invalid(format!("resources.{name}: max_results ({default}) above max_results_limit ({limit})"));
            }
            let collection = resource.collection_name(name);
            if collection == self.api.oplog_collection || collection == COUNTERS_COLLECTION {
                return invalid(format!(
                    "resources.{name}: the collection {collection:?} is the API's own (oplog or counters)"
                ));
            }
            for (field_name, field) in &resource.schema {
                if field_name.starts_with('_') || field_name.contains('.') || field_name.contains('$') {
                    return invalid(format!("resources.{name}.schema.{field_name}: field names may not start with '_' or contain '.' or '$'"));
                }
                self.check_field(&format!("resources.{name}.schema.{field_name}"), field, resource)?;
            }
            for filter in resource.allowed_filters.iter().chain(&resource.regex_filters) {
                if filter != "*" && resource.field(filter).is_none() && !META_FIELDS.contains(&filter.as_str()) {
                    return invalid(format!("resources.{name}: filter {filter:?} is not a field of the schema"));
                }
            }
            for hidden in &resource.hidden_fields {
                if !resource.schema.contains_key(hidden) {
                    return invalid(format!("resources.{name}: hidden field {hidden:?} is not in the schema"));
                }
            }
            for index in &resource.indexes {
                if index.keys.is_empty() || index.keys.iter().any(|(_, dir)| *dir != 1 && *dir != -1) {
                    return invalid(format!("resources.{name}: index keys must be [field, 1 or -1] pairs"));
                }
            }
        }
        for (name, aggregation) in &self.aggregations {
            if !is_plain_name(name) {
                return invalid(format!("aggregation name {name:?} is not a plain name"));
            }
            if !self.resources.contains_key(&aggregation.resource) {
                return invalid(format!("aggregations.{name}: unknown resource {:?}", aggregation.resource));
            }
            let (default, limit) = self.page_limits(aggregation.max_results, aggregation.max_results_limit);
            if default == 0 || default > limit {
                return invalid(format!(
                    "aggregations.{name}: max_results ({default}) above max_results_limit ({limit})"
                ));
            }
            let pipeline: serde_json::Value = serde_json::from_str(&aggregation.pipeline)
                .map_err(|e| DomainError::Invalid(format!("aggregations.{name}.pipeline is not JSON: {e}")))?;
            if !pipeline.is_array() {
                return invalid(format!("aggregations.{name}.pipeline must be a JSON array of stages"));
            }
            for param in ["page", "max_results"] {
                if aggregation.params.contains_key(param) {
                    return invalid(format!("aggregations.{name}: parameter name {param:?} is reserved for paging"));
                }
            }
        }
        Ok(())
    }

    fn check_field(&self, at: &str, field: &Field, resource: &Resource) -> Result<(), DomainError> {
        if let Some(relation) = &field.data_relation {
            if !self.resources.contains_key(&relation.resource) {
                return Err(DomainError::Invalid(format!(
                    "{at}: data_relation to unknown resource {:?}",
                    relation.resource
                )));
            }
        }
        if let Some(regex) = &field.regex {
            regex::Regex::new(regex).map_err(|e| DomainError::Invalid(format!("{at}: bad regex: {e}")))?;
        }
        if let Some(computed) = &field.computed {
            if let Some(missing) = computed.from.iter().find(|f| !resource.schema.contains_key(*f)) {
                return Err(DomainError::Invalid(format!("{at}: computed from unknown field {missing:?}")));
            }
        }
        match field.kind {
            FieldType::List if field.schema.is_some() => {
                Err(DomainError::Invalid(format!("{at}: a list describes its items with `items`, not `schema`")))
            }
            FieldType::Dict if field.items.is_some() => {
                Err(DomainError::Invalid(format!("{at}: a dict describes its keys with `schema`, not `items`")))
            }
            FieldType::List => match &field.items {
                Some(items) => self.check_field(&format!("{at}.items"), items, resource),
                None => Ok(()),
            },
            FieldType::Dict => {
                for (key, sub) in field.schema.iter().flatten() {
                    self.check_field(&format!("{at}.schema.{key}"), sub, resource)?;
                }
                Ok(())
            }
            _ if field.items.is_some() || field.schema.is_some() => {
                Err(DomainError::Invalid(format!("{at}: only lists have `items` and only dicts have `schema`")))
            }
            _ => Ok(()),
        }
    }
}

/// Resource, aggregation and parameter names: ASCII letters, digits, `_`
/// and `-`, so that they are safe in URLs and as collection names.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
