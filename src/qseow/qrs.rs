//! Repository entities: about, apps, streams, custom properties.

use super::Site;
use crate::cloud::endpoint::filter_query;
use crate::cloud::error::{Error, Result};
use crate::cloud::seg;
use reqwest::Method;
use serde_json::{json, Value};

/// A QRS filter string literal: single-quoted, quotes doubled.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl Site {
    /// `GET /qrs/about`: build version, database, node type (the connectivity probe).
    pub async fn about(&self) -> Result<Value> {
        self.get("qrs/about", &[]).await
    }

    /// Apps with stream, owner and custom properties (`/qrs/app/full`), filtered QRS-style
    /// (`name eq 'Sales'`, `published eq true`, `stream.name eq 'Finance'`).
    pub async fn apps(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        self.get_list("qrs/app/full", &filter_query(filter)).await
    }

    pub async fn app(&self, id: &str) -> Result<Value> {
        self.get(&format!("qrs/app/{}", seg(id)?), &[]).await
    }

    /// The one app with this id or name.
    pub async fn find_app(&self, id_or_name: &str) -> Result<Value> {
        let by_id = format!("id eq {id_or_name}");
        let filter = if is_guid(id_or_name) {
            by_id
        } else {
            format!("name eq {}", quote(id_or_name))
        };
        let mut found = self.apps(Some(&filter)).await?;
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(Error::Usage(format!(
                "no app {id_or_name:?} on {}",
                self.host()
            ))),
            n => Err(Error::Usage(format!(
                "{n} apps are named {id_or_name:?}; use the app id"
            ))),
        }
    }

    pub async fn streams(&self) -> Result<Vec<Value>> {
        self.get_list("qrs/stream/full", &[]).await
    }

    pub async fn custom_properties(&self) -> Result<Vec<Value>> {
        self.get_list("qrs/custompropertydefinition/full", &[])
            .await
    }

    /// Sets the values of one custom property on an app, keeping the others: read, modify,
    /// write back with the `modifiedDate` read, so a change made meanwhile is a conflict.
    pub async fn set_app_property(
        &self,
        app_id: &str,
        name: &str,
        values: &[String],
    ) -> Result<Value> {
        let defs = self
            .get_list(
                "qrs/custompropertydefinition/full",
                &[("filter", format!("name eq {}", quote(name)))],
            )
            .await?;
        let def = defs
            .into_iter()
            .next()
            .ok_or_else(|| Error::Usage(format!("no custom property named {name:?}")))?;
        let def_id = def
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(choices) = def
            .get("choiceValues")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
        {
            for v in values {
                if !choices.iter().any(|c| c.as_str() == Some(v)) {
                    let allowed: Vec<&str> = choices.iter().filter_map(Value::as_str).collect();
                    return Err(Error::Usage(format!(
                        "{v:?} is not a value of {name}; allowed: {}",
                        allowed.join(", ")
                    )));
                }
            }
        }
        let mut app = self.app(app_id).await?;
        let mut props: Vec<Value> = app
            .get("customProperties")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| {
                p.pointer("/definition/id").and_then(Value::as_str) != Some(def_id.as_str())
            })
            .collect();
        for v in values {
            props.push(json!({"value": v, "definition": {"id": def_id, "name": name}}));
        }
        app["customProperties"] = Value::Array(props);
        self.put_app(app_id, &app).await
    }

    /// `PUT /qrs/app/{id}` of an app as read (and changed): the QRS checks its `modifiedDate`,
    /// so a change made since it was read is a conflict.
    async fn put_app(&self, app_id: &str, app: &Value) -> Result<Value> {
        self.send(
            Method::PUT,
            &format!("qrs/app/{}", seg(app_id)?),
            &[],
            Some(app),
        )
        .await
    }

    /// Publishes an app to a stream (by id), as the QMC does; policies then decide where it goes.
    pub async fn publish_app(&self, app_id: &str, stream_id: &str) -> Result<Value> {
        self.send(
            Method::PUT,
            &format!("qrs/app/{}/publish", seg(app_id)?),
            &[("stream", stream_id.to_string())],
            None,
        )
        .await
    }

    /// `POST /qrs/app/{id}/reload`: reloads the app's data; a published app is then
    /// distributed again (a documented distribution trigger). Answers the app as it is after.
    pub async fn reload_app(&self, app_id: &str) -> Result<Value> {
        let path = format!("qrs/app/{}/reload", seg(app_id)?);
        self.send(Method::POST, &path, &[], None).await?;
        self.app(app_id).await
    }

    /// Changes an app: reads it, applies `changes` (top-level fields such as `name`,
    /// `description`, `owner: {id}`, `stream: {id}`) and writes it back with the
    /// `modifiedDate` read, so a change made meanwhile is a conflict. With no changes this is a
    /// re-save, which the site treats as a change of a published app (re-evaluating where it
    /// is distributed).
    pub async fn update_app(&self, app_id: &str, changes: &Value) -> Result<Value> {
        let mut app = self.app(app_id).await?;
        if let (Some(target), Some(fields)) = (app.as_object_mut(), changes.as_object()) {
            for (k, v) in fields {
                target.insert(k.clone(), v.clone());
            }
        }
        self.put_app(app_id, &app).await
    }

    /// Moves a published app to another stream (by id): a PUT of the app with its new stream.
    pub async fn move_app(&self, app_id: &str, stream_id: &str) -> Result<Value> {
        self.update_app(app_id, &json!({"stream": {"id": stream_id}}))
            .await
    }

    /// `DELETE /qrs/app/{id}`: the app and, by the site's distribution, its cloud copies.
    pub async fn delete_app(&self, app_id: &str) -> Result<()> {
        self.send(
            Method::DELETE,
            &format!("qrs/app/{}", seg(app_id)?),
            &[],
            None,
        )
        .await
        .map(drop)
    }

    /// The stream with this id or name.
    pub async fn find_stream(&self, id_or_name: &str) -> Result<Value> {
        let streams = self.streams().await?;
        streams
            .into_iter()
            .find(|s| super::is(s, id_or_name))
            .ok_or_else(|| Error::Usage(format!("no stream {id_or_name:?} on {}", self.host())))
    }
}

/// `8-4-4-4-12` hex.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn filters_quote_and_guids_are_recognised() {
        assert_eq!(super::quote("O'Brien"), "'O''Brien'");
        assert!(super::is_guid("2a1f0b53-7c1d-4d8e-9f00-0123456789ab"));
        assert!(!super::is_guid("Sales"));
    }
}
