//! Multi-cloud deployments in the hybrid deployment service (`/api/hds/v1/Deployments`).

use super::Site;
use crate::cloud::error::{Error, Result};
use crate::cloud::seg;
use crate::wire;
use reqwest::Method;
use serde_json::{json, Value};

/// What a deployment is created from (the UI's fields).
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub name: String,
    /// The tenant URL, `https://<tenant>.<region>.qlikcloud.com`.
    pub service_url: String,
    pub audience: String,
    /// `None`: the local bearer token mode. `Some`: client id, secret and token endpoint.
    pub client: Option<(String, crate::secret::Secret, String)>,
}

impl NewDeployment {
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "name": self.name,
            "serviceUrl": self.service_url,
            "audience": self.audience,
            "localBearerToken": self.client.is_none(),
        });
        if let Some((id, secret, endpoint)) = &self.client {
            body[wire::DEPLOYMENT_CLIENT_ID] = json!(id);
            body[wire::DEPLOYMENT_CLIENT_SECRET] = json!(secret.expose());
            body[wire::DEPLOYMENT_TOKEN_ENDPOINT] = json!(endpoint);
        }
        body
    }
}

impl Site {
    pub async fn deployments(&self) -> Result<Vec<Value>> {
        self.get_list(wire::HDS_DEPLOYMENTS, &[]).await
    }

    /// The deployment with this name (case-insensitive), if any.
    pub async fn deployment(&self, name: &str) -> Result<Option<Value>> {
        Ok(self
            .deployments()
            .await?
            .into_iter()
            .find(|d| super::named(d, name)))
    }

    /// The deployment with this name, or a usage error naming the ones that exist.
    pub async fn deployment_id(&self, name: &str) -> Result<String> {
        let all = self.deployments().await?;
        let found = all.iter().find(|d| super::named(d, name));
        match found.and_then(|d| d.get("id")).and_then(Value::as_str) {
            Some(id) => Ok(id.to_string()),
            None => {
                let names: Vec<&str> = all
                    .iter()
                    .filter_map(|d| d.get("name").and_then(Value::as_str))
                    .collect();
                Err(Error::Usage(format!(
                    "no deployment named {name:?} on {}; there are: {}",
                    self.host(),
                    names.join(", ")
                )))
            }
        }
    }

    pub async fn create_deployment(&self, new: &NewDeployment) -> Result<Value> {
        self.send(
            Method::POST,
            wire::HDS_DEPLOYMENTS,
            &[],
            Some(&new.to_json()),
        )
        .await
    }

    pub async fn update_deployment(&self, id: &str, deployment: &Value) -> Result<Value> {
        self.send(
            Method::PUT,
            &format!("{}/{}", wire::HDS_DEPLOYMENTS, seg(id)?),
            &[],
            Some(deployment),
        )
        .await
    }

    pub async fn delete_deployment(&self, id: &str) -> Result<()> {
        self.send(
            Method::DELETE,
            &format!("{}/{}", wire::HDS_DEPLOYMENTS, seg(id)?),
            &[],
            None,
        )
        .await
        .map(drop)
    }

    /// The local bearer token in Qlik Cloud format, to paste into the tenant's Multi-cloud IdP.
    pub async fn deployment_token(&self, id: &str) -> Result<String> {
        let path = format!(
            "{}/{}/{}",
            wire::HDS_DEPLOYMENTS,
            seg(id)?,
            wire::HDS_TOKEN_CONFIG
        );
        self.get_text(&path, &[("qcsFormat", "True".to_string())])
            .await
    }

    /// Test connection: the site proves itself to the tenant; `#{success, message}`.
    pub async fn test_deployment(&self, id: &str) -> Result<Value> {
        let path = format!(
            "{}/{}/{}",
            wire::HDS_DEPLOYMENTS,
            seg(id)?,
            wire::HDS_TEST_CONNECTION
        );
        self.send(Method::POST, &path, &[], Some(&json!({}))).await
    }
}
