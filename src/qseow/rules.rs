//! Distribution policies: QRS system rules over `App_*` with the Distribute action.

use super::Site;
use crate::cloud::error::{Error, Result};
use crate::cloud::seg;
use crate::wire;
use reqwest::Method;
use serde_json::{json, Value};

/// The resource filter of a distribution policy: apps only (not sheets or objects).
pub const POLICY_RESOURCE_FILTER: &str = "App_*";
/// The Distribute bit of a SystemRule's `actions` mask.
pub const DISTRIBUTE_ACTION: i64 = 1024;
/// The condition a new policy starts from in the QMC template.
pub const DEFAULT_CONDITION: &str = r#"((subject.name=""))"#;

/// Whether a system rule is a distribution policy (by filter and action, never by category).
pub fn is_policy(rule: &Value) -> bool {
    let filter = rule
        .get("resourceFilter")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let actions = rule.get("actions").and_then(Value::as_i64).unwrap_or(0);
    filter.eq_ignore_ascii_case(POLICY_RESOURCE_FILTER) && actions & DISTRIBUTE_ACTION != 0
}

/// A new policy from the template, with the fields a script gave.
pub fn new_policy(
    name: &str,
    condition: Option<&str>,
    comment: Option<&str>,
    disabled: bool,
    tags: Vec<Value>,
) -> Value {
    json!({
        "name": name,
        "category": wire::DISTRIBUTION_POLICY_CATEGORY,
        "type": "Custom",
        "rule": condition.unwrap_or(DEFAULT_CONDITION),
        "resourceFilter": POLICY_RESOURCE_FILTER,
        "actions": DISTRIBUTE_ACTION,
        "comment": comment.unwrap_or(""),
        "disabled": disabled,
        "ruleContext": 0,
        "tags": tags,
    })
}

impl Site {
    /// Every system rule matching a QRS filter (`/qrs/systemrule/full`).
    pub async fn system_rules(&self, filter: Option<&str>) -> Result<Vec<Value>> {
        let query = crate::cloud::endpoint::filter_query(filter);
        self.get_list("qrs/systemrule/full", &query).await
    }

    /// Every distribution policy on the site.
    pub async fn policies(&self) -> Result<Vec<Value>> {
        let filter = format!(
            "resourceFilter eq {}",
            super::qrs::quote(POLICY_RESOURCE_FILTER)
        );
        Ok(self
            .system_rules(Some(&filter))
            .await?
            .into_iter()
            .filter(is_policy)
            .collect())
    }

    /// The policy with this id or name.
    pub async fn policy(&self, id_or_name: &str) -> Result<Value> {
        self.policies()
            .await?
            .into_iter()
            .find(|p| super::is(p, id_or_name))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "no distribution policy {id_or_name:?} on {}",
                    self.host()
                ))
            })
    }

    pub async fn create_policy(&self, policy: &Value) -> Result<Value> {
        self.send(Method::POST, "qrs/systemrule", &[], Some(policy))
            .await
    }

    /// Writes back a changed policy; its `modifiedDate` must still be the stored one.
    pub async fn update_policy(&self, policy: &Value) -> Result<Value> {
        let id = policy
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Usage("policy without an id".into()))?;
        self.send(
            Method::PUT,
            &format!("qrs/systemrule/{}", seg(id)?),
            &[],
            Some(policy),
        )
        .await
    }

    pub async fn delete_policy(&self, id: &str) -> Result<()> {
        self.send(
            Method::DELETE,
            &format!("qrs/systemrule/{}", seg(id)?),
            &[],
            None,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_are_known_by_filter_and_distribute_bit() {
        let p = new_policy(
            "To Region1",
            Some(r#"((subject.name="Region1"))"#),
            None,
            false,
            vec![],
        );
        assert!(is_policy(&p));
        assert!(!is_policy(
            &json!({"resourceFilter": "App_*", "actions": 2})
        ));
        assert!(!is_policy(
            &json!({"resourceFilter": "Stream_*", "actions": 1024})
        ));
        assert_eq!(
            new_policy("x", None, None, false, vec![])["rule"],
            DEFAULT_CONDITION
        );
    }
}
